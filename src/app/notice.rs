//! A message shown in the window; the chrome draws them, every room may raise one.

use std::time::Instant;

use super::refs::StepId;

/// A message shown in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The text.
    pub text: String,
    /// Errors are shown in the error colour and stay until dismissed.
    pub is_error: bool,
    /// When it was raised.
    pub at: Instant,
    /// The step its Undo button undoes, when it offers one.
    pub undo: Option<StepId>,
}

impl Notification {
    /// A message that fades after a while.
    pub fn info(text: impl Into<String>) -> Self {
        Self { text: text.into(), is_error: false, at: Instant::now(), undo: None }
    }

    /// An error, shown until dismissed.
    pub fn error(text: impl Into<String>) -> Self {
        Self { text: text.into(), is_error: true, at: Instant::now(), undo: None }
    }
}
