//! Everything around the views: the menu bar, the status line, notifications, the model
//! error box, path prompts with their native dialogs, and dropped files.

pub mod menu;
pub mod notifications;
pub mod prompt;
pub mod status;

use std::sync::mpsc::{Receiver, Sender, channel};

pub use super::notice::Notification;
pub use menu::precision_choice;
use prompt::Prompts;

use super::command::Command;

/// Commands from other threads (native dialogs, exports), applied with the frame's own.
pub struct Inbox {
    tx: Sender<Command>,
    rx: Receiver<Command>,
}

impl Inbox {
    fn new() -> Self {
        let (tx, rx) = channel();
        Self { tx, rx }
    }

    /// A sender for a background thread.
    pub fn sender(&self) -> Sender<Command> {
        self.tx.clone()
    }

    /// Everything that arrived since the last call.
    pub fn drain(&self) -> impl Iterator<Item = Command> + '_ {
        self.rx.try_iter()
    }
}

/// The chrome's runtime state.
pub struct Chrome {
    /// Messages shown in the window, newest last.
    pub notifications: Vec<Notification>,
    /// The path prompt, when one is open.
    pub prompts: Prompts,
    /// Commands from other threads.
    pub inbox: Inbox,
}

/// Most notifications shown at once; older ones make room.
const MAX_NOTIFICATIONS: usize = 6;

impl Chrome {
    /// No messages and no prompt.
    pub fn new(notifications: Vec<Notification>) -> Self {
        Self { notifications, prompts: Prompts::default(), inbox: Inbox::new() }
    }

    /// Shows a message.
    pub fn notify(&mut self, n: Notification) {
        self.notifications.push(n);
        if self.notifications.len() > MAX_NOTIFICATIONS {
            self.notifications.remove(0);
        }
    }

    /// Dismisses the message at `i`.
    pub fn dismiss(&mut self, i: usize) {
        if i < self.notifications.len() {
            self.notifications.remove(i);
        }
    }
}
