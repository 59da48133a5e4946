//! The session file: the [`State`] as JSON, autosaved atomically.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::state::{STATE_VERSION, State};
use crate::io::atomic_write;

/// The default session file, in the platform's data folder for simlens.
pub fn default_path() -> Option<PathBuf> {
    eframe::storage_dir("simlens").map(|d| d.join("session.json"))
}

/// The outcome of loading a session.
pub struct Loaded {
    /// The state to start with.
    pub state: State,
    /// Something to tell the user (a corrupt or newer file that was set aside).
    pub notice: Option<String>,
}

/// Loads the session at `path`. A missing file gives the seed example; an unreadable,
/// corrupt or newer file is kept aside (renamed with a `.bad-…` suffix) and the app
/// starts fresh, saying so.
pub fn load(path: &Path) -> Loaded {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Loaded {
                state: State::default(),
                notice: None,
            };
        }
        Err(e) => {
            return Loaded {
                state: State::default(),
                notice: Some(format!(
                    "Could not read the last session {}: {e}. Started with the example.",
                    path.display()
                )),
            };
        }
    };
    let problem = match serde_json::from_slice::<State>(&bytes) {
        Ok(state) if state.version <= STATE_VERSION => {
            return Loaded {
                state,
                notice: None,
            };
        }
        Ok(state) => format!(
            "it was written by a newer simlens (format {})",
            state.version
        ),
        Err(e) => format!("it is damaged ({e})"),
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aside = path.with_extension(format!("json.bad-{stamp}"));
    let kept = std::fs::rename(path, &aside).is_ok();
    Loaded {
        state: State::default(),
        notice: Some(format!(
            "The last session could not be opened: {problem}. {}Started with the example.",
            if kept {
                format!("It was kept as {}. ", aside.display())
            } else {
                String::new()
            }
        )),
    }
}

/// Writes sessions on a background thread, so the UI never waits for the disk.
pub struct Autosaver {
    tx: Option<mpsc::Sender<(PathBuf, String)>>,
    errors: mpsc::Receiver<String>,
    handle: Option<JoinHandle<()>>,
    last: String,
}

impl Autosaver {
    /// Starts the saver thread.
    pub fn new() -> Self {
        let (tx, rx) = mpsc::channel::<(PathBuf, String)>();
        let (etx, errors) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("simlens-autosave".into())
            .spawn(move || {
                while let Ok(mut job) = rx.recv() {
                    // Only the newest pending state matters.
                    while let Ok(newer) = rx.try_recv() {
                        job = newer;
                    }
                    let (path, json) = job;
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir).ok();
                    }
                    if let Err(e) = atomic_write(&path, |w| w.write_all(json.as_bytes())) {
                        etx.send(format!("Autosave failed: {e}")).ok();
                    }
                }
            })
            .ok();
        Self {
            tx: Some(tx),
            errors,
            handle,
            last: String::new(),
        }
    }

    /// Queues `state` for saving to `path` if it changed since the last call.
    pub fn save(&mut self, path: &Path, state: &State) {
        let Ok(json) = serde_json::to_string_pretty(state) else {
            return;
        };
        if json == self.last {
            return;
        }
        if let Some(tx) = &self.tx {
            tx.send((path.to_path_buf(), json.clone())).ok();
        }
        self.last = json;
    }

    /// An autosave error, if one happened.
    pub fn take_error(&self) -> Option<String> {
        self.errors.try_recv().ok()
    }
}

impl Default for Autosaver {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Autosaver {
    fn drop(&mut self) {
        // Closing the channel ends the thread after it writes what is queued.
        self.tx = None;
        if let Some(h) = self.handle.take() {
            h.join().ok();
        }
    }
}
