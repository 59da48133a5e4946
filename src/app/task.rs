//! One background task: a closure on a named thread that the UI polls once per frame.
//!
//! The views run their slow work (mining pairs, a full-resolution texture, block means,
//! a comparison, a layout, a splat) through [`Task`], so each of them spawns, polls,
//! cancels and reports a failure the same way: a failure is shown once and then
//! forgotten, a panic in the thread is one of them, and a thread that cannot be started
//! is one too, never a panic on the UI thread.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::sync::{Arc, Mutex, PoisonError};

/// What a poll of a task found.
#[derive(Debug, PartialEq)]
pub enum TaskPoll<T, P> {
    /// Nothing running: never started, already collected, or cancelled.
    Idle,
    /// Still working; the last progress it reported, if any.
    Running(Option<P>),
    /// Finished with this value (given out once).
    Done(T),
    /// Failed: the closure's error, a panic, or a thread that could not start (given out once).
    Failed(String),
}

/// What the closure holds: the cancel flag to check, and where to report progress.
pub struct TaskHandle<P> {
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<Option<P>>>,
    ctx: egui::Context,
}

impl<P> TaskHandle<P> {
    /// Whether the task was cancelled (dropped or replaced): the closure should stop soon.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Reports progress and asks for a frame so the view shows it.
    pub fn report(&self, p: P) {
        self.report_quietly(p);
        self.ctx.request_repaint();
    }

    /// Reports progress without asking for a frame: for reports that come faster than the
    /// view needs them (UMAP epochs), where the view repaints on its own timer.
    pub fn report_quietly(&self, p: P) {
        *self.progress.lock().unwrap_or_else(PoisonError::into_inner) = Some(p);
    }
}

/// The running thread's side of a task: its answer, the flag and the progress.
struct Running<T, P> {
    rx: Receiver<Result<T, String>>,
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<Option<P>>>,
}

/// A background task, or none. Dropping or replacing it cancels the running one.
pub struct Task<T, P = ()> {
    running: Option<Running<T, P>>,
    /// A failure not yet given out by [`Task::poll`].
    failure: Option<String>,
}

impl<T, P> Default for Task<T, P> {
    fn default() -> Self {
        Self { running: None, failure: None }
    }
}

impl<T: Send + 'static, P: Clone + Send + 'static> Task<T, P> {
    /// Runs `f` on a thread called `name`. Its `Err`, or a panic, becomes the task's
    /// failure; so does a thread the system cannot start. A frame is asked for when it ends.
    pub fn spawn<E: std::fmt::Display>(
        name: &str,
        ctx: &egui::Context,
        f: impl FnOnce(&TaskHandle<P>) -> Result<T, E> + Send + 'static,
    ) -> Self {
        let (tx, rx) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Mutex::new(None));
        let handle = TaskHandle { cancel: Arc::clone(&cancel), progress: Arc::clone(&progress), ctx: ctx.clone() };
        let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
            let result = match catch_unwind(AssertUnwindSafe(|| f(&handle))) {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(e)) => Err(e.to_string()),
                Err(panic) => Err(format!("the {} thread stopped: {}", thread_name(), panic_message(panic.as_ref()))),
            };
            // A cancelled task has nobody waiting for it; a closed receiver means the same.
            if !handle.is_cancelled() && tx.send(result).is_ok() {
                handle.ctx.request_repaint();
            }
        });
        match spawned {
            Ok(_) => Self { running: Some(Running { rx, cancel, progress }), failure: None },
            Err(e) => {
                // The failure is given out at the next poll: a frame is asked for so it comes.
                ctx.request_repaint();
                Self { running: None, failure: Some(e.to_string()) }
            }
        }
    }

    /// The last progress reported, without collecting the answer.
    pub fn progress(&self) -> Option<P> {
        self.running.as_ref().and_then(|r| r.progress.lock().unwrap_or_else(PoisonError::into_inner).clone())
    }

    /// Looks without blocking: the answer or the failure is given out once, then the
    /// task is idle.
    pub fn poll(&mut self) -> TaskPoll<T, P> {
        if let Some(e) = self.failure.take() {
            return TaskPoll::Failed(e);
        }
        let Some(running) = &self.running else { return TaskPoll::Idle };
        let polled = match running.rx.try_recv() {
            Ok(Ok(value)) => TaskPoll::Done(value),
            Ok(Err(e)) => TaskPoll::Failed(e),
            Err(TryRecvError::Empty) => return TaskPoll::Running(self.progress()),
            // The thread sends unless cancelled, and catches its panics: only an abort ends here.
            Err(TryRecvError::Disconnected) => TaskPoll::Failed("the thread ended without an answer".to_owned()),
        };
        self.running = None;
        polled
    }
}

impl<T, P> Drop for Task<T, P> {
    /// A task no longer wanted stops at its closure's next check.
    fn drop(&mut self) {
        if let Some(r) = &self.running {
            r.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Starts a named background thread that nobody polls (a dialog, an export). The error
/// is the system's reason it could not.
pub(crate) fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name(name.to_owned()).spawn(f)
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("background").to_owned()
}

/// The text of a panic's payload.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Polls until the task leaves `Running`.
    fn settle<T: Send + 'static, P: Clone + Send + 'static>(task: &mut Task<T, P>) -> TaskPoll<T, P> {
        let start = Instant::now();
        loop {
            match task.poll() {
                TaskPoll::Running(_) => {
                    assert!(start.elapsed() < Duration::from_secs(10), "task never finished");
                    std::thread::sleep(Duration::from_millis(2));
                }
                other => return other,
            }
        }
    }

    #[test]
    fn done_is_given_once() {
        let mut t: Task<u32> = Task::spawn("test-done", &egui::Context::default(), |_| Ok::<_, String>(7));
        assert_eq!(settle(&mut t), TaskPoll::Done(7));
        assert_eq!(t.poll(), TaskPoll::Idle);
    }

    #[test]
    fn an_error_is_a_failure_given_once() {
        let mut t: Task<u32> = Task::spawn("test-failed", &egui::Context::default(), |_| Err("no luck"));
        assert_eq!(settle(&mut t), TaskPoll::Failed("no luck".to_owned()));
        assert_eq!(t.poll(), TaskPoll::Idle);
    }

    #[test]
    fn a_panic_is_a_failure() {
        let mut t: Task<u32> =
            Task::spawn("test-panic", &egui::Context::default(), |_| -> Result<u32, String> { panic!("boom") });
        match settle(&mut t) {
            TaskPoll::Failed(e) => assert!(e.contains("boom") && e.contains("test-panic"), "{e}"),
            _ => panic!("a panic must be a failure"),
        }
        assert_eq!(t.poll(), TaskPoll::Idle);
    }

    #[test]
    fn cancelling_stops_the_closure_and_gives_nothing() {
        let (seen_tx, seen_rx) = channel();
        let mut t: Task<u32> = Task::spawn("test-cancel", &egui::Context::default(), move |h| {
            while !h.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            seen_tx.send(()).ok();
            Ok::<_, String>(1)
        });
        assert!(matches!(t.poll(), TaskPoll::Running(None)));
        // Replacing a task cancels the old one; the new one answers.
        t = Task::spawn("test-replace", &egui::Context::default(), |_| Ok::<_, String>(2));
        seen_rx.recv_timeout(Duration::from_secs(10)).expect("the closure saw the flag");
        assert_eq!(settle(&mut t), TaskPoll::Done(2));

        // Dropping a task cancels it too.
        let (seen_tx, seen_rx) = channel();
        let t: Task<u32> = Task::spawn("test-drop", &egui::Context::default(), move |h| {
            while !h.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            seen_tx.send(()).ok();
            Ok::<_, String>(1)
        });
        drop(t);
        seen_rx.recv_timeout(Duration::from_secs(10)).expect("the closure saw the flag");
    }

    #[test]
    fn progress_is_read_while_running() {
        let (go_tx, go_rx) = channel::<()>();
        let mut t: Task<&'static str, (usize, usize)> =
            Task::spawn("test-progress", &egui::Context::default(), move |h| {
                h.report((3, 10));
                go_rx.recv().ok();
                Ok::<_, String>("done")
            });
        let start = Instant::now();
        while t.progress().is_none() {
            assert!(start.elapsed() < Duration::from_secs(10), "no progress");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(t.poll(), TaskPoll::Running(Some((3, 10))));
        go_tx.send(()).ok();
        assert_eq!(settle(&mut t), TaskPoll::Done("done"));

        let mut stage: Task<(), String> = Task::spawn("test-stage", &egui::Context::default(), |h| {
            h.report_quietly("neighbours".to_owned());
            Ok::<_, String>(())
        });
        assert_eq!(settle(&mut stage), TaskPoll::Done(()));
    }
}
