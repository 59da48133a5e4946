//! When to autosave: a second after the last change made through a command, or at once
//! on exit. The writing itself happens on the session's autosave thread.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::session::{Autosaver, State};

/// Changes are batched for this long before a save.
const DELAY: Duration = Duration::from_secs(1);

/// Counts changes and sends the state to the autosaver when they settle.
pub struct Autosave {
    path: Option<PathBuf>,
    saver: Autosaver,
    /// Changes made through commands.
    revision: u64,
    /// The revision last sent to the autosaver.
    saved: u64,
    /// When the pending save is due.
    due: Option<Instant>,
}

impl Autosave {
    /// Saves to `path` (`None`: never), starting from `state` as saved.
    pub fn new(path: Option<PathBuf>, state: &State) -> Self {
        let mut saver = Autosaver::new();
        saver.remember(state);
        Self { path, saver, revision: 0, saved: 0, due: None }
    }

    /// A change was made.
    pub fn changed(&mut self) {
        self.revision += 1;
    }

    /// The autosaver's last error, once.
    pub fn take_error(&self) -> Option<String> {
        self.saver.take_error()
    }

    /// Sends the state when a change has settled (or at once when `now`, as on exit).
    /// Cheap when nothing changed: no serialising here. Returns when to look again.
    pub fn tick(&mut self, state: &State, now: bool) -> Option<Instant> {
        let path = self.path.as_ref()?;
        if self.revision == self.saved && !now {
            return None;
        }
        let due = *self.due.get_or_insert_with(|| Instant::now() + DELAY);
        if now || Instant::now() >= due {
            self.saver.save(path, state);
            self.saved = self.revision;
            self.due = None;
        }
        self.due
    }
}
