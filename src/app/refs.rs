//! Names that commands, notifications and the undo history share, in a file of their own
//! so that none of those has to import another.

/// A sentence, by group and position within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SentenceRef {
    /// The group.
    pub group: usize,
    /// The sentence within the group.
    pub index: usize,
}

/// Identifies an undo step, so a notification's Undo undoes that step and no other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StepId(pub(super) u64);
