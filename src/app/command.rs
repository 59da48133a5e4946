//! Commands: what views, dialogs and the worker's answers ask for, gathered during the
//! frame and applied after it by the reducer ([`super::reduce`]), the only place app
//! state changes. This file names them only, so every room can emit them without
//! depending on the rooms the reducer calls.

use std::path::PathBuf;

use super::export::ExportKind;
use super::notice::Notification;
use super::refs::{SentenceRef, StepId};
use super::result::JobId;
use crate::engine::{Pooling, Precision};
use crate::io::SentenceSet;
use crate::session::{QualityScore, ViewSettings};

/// How the shown result changed, for views that keep derived state (textures).
#[derive(Debug, Clone, PartialEq)]
pub enum ResultChange {
    /// A new result replaced the old one.
    Replaced,
    /// The result became `job` by changing the sentences `changed`.
    Patched {
        /// The job the result now answers.
        job: JobId,
        /// The changed sentences, ascending.
        changed: Vec<usize>,
    },
}

/// User actions and background answers, gathered while drawing and applied after the frame.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Command {
    /// Add an empty group at the end.
    AddGroup,
    /// Move a group up (-1) or down (+1).
    MoveGroup(usize, isize),
    /// Delete a group and its sentences.
    DeleteGroup(usize),
    /// Rename a group.
    RenameGroup {
        /// The group.
        group: usize,
        /// Its new name.
        name: String,
    },
    /// Append a sentence to a group.
    AddSentence(usize, String),
    /// Append one sentence per non-blank line.
    PasteLines(usize, String),
    /// Replace a sentence's text.
    EditSentence {
        /// The group.
        group: usize,
        /// The sentence within the group.
        index: usize,
        /// The new text.
        text: String,
    },
    /// Delete a sentence.
    DeleteSentence(usize, usize),
    /// Delete several sentences at once.
    DeleteSentences(Vec<SentenceRef>),
    /// Move sentences to the end of another group.
    MoveSentences {
        /// The sentences.
        from: Vec<SentenceRef>,
        /// The group they go to.
        to: usize,
    },
    /// Move sentences into a new group at the end (one undoable step).
    NewGroupFrom {
        /// The sentences.
        from: Vec<SentenceRef>,
        /// The new group's name.
        name: String,
    },
    /// Delete every sentence and group.
    ClearSentences,
    /// Replace the sentences (a file opened, the example loaded).
    ReplaceSet {
        /// The new sentences.
        set: Box<SentenceSet>,
        /// The step's name in the Edit menu.
        what: String,
    },
    /// Text typed into a group's "New:" field (kept with the session).
    SetDraft {
        /// The group.
        group: usize,
        /// The text.
        text: String,
    },
    /// Typing in a field ended (focus left it): the next keystroke starts a new step.
    EndTyping,
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Undo this step, if it is still the last one (a notification's Undo button).
    UndoStep(StepId),
    /// The caller changed the sentences in place (tests and benches do).
    Edited,
    /// Select a cell (row, column) of the matrix.
    Select(usize, usize),
    /// Select a cell (row group, column group) of the group matrix.
    SelectGroups(usize, usize),
    /// Change the pooling.
    SetPooling(Pooling),
    /// Change how results are shown.
    SetView(Box<ViewSettings>),
    /// Load a model folder; `None` is the bundled model.
    LoadModel(Option<PathBuf>),
    /// Ask for a model folder.
    PickModelFolder,
    /// Ask for configuration B's model folder.
    PickCompareModel,
    /// Use this model folder as configuration B, and remember it among the recent ones.
    SetCompareModel(PathBuf),
    /// Use a known model folder as configuration B (`None`: the bundled model).
    UseCompareModel(Option<PathBuf>),
    /// Configuration B's pooling (`None`: the model's own).
    SetComparePooling(Option<Pooling>),
    /// Embed with another graph of the model (fp32, int8, a shipped file): reloads it.
    SetPrecision(Precision),
    /// Configuration B's graph.
    SetComparePrecision(Precision),
    /// Ask for a scored-pairs file for the quality check.
    PickQualityFile,
    /// Score the current model and pooling on this scored-pairs file.
    CheckQuality(PathBuf),
    /// Keep a finished quality check's score.
    RecordQuality(QualityScore),
    /// Fill the open path prompt (from the native dialog).
    PromptPath(PathBuf),
    /// Load the current model again (after an error).
    Retry,
    /// Ask for a file with a dialog, then export.
    PickExport(ExportKind),
    /// Export to a path.
    Export(ExportKind, PathBuf),
    /// Replace the sentences with a file's.
    OpenSet(PathBuf),
    /// Ask for a sentence file to open.
    PickOpenSet,
    /// Use the vectors in a file (and the sentences that go with it) in place of a model.
    OpenVectors(PathBuf),
    /// Ask for a vectors file to open.
    PickOpenVectors,
    /// Replace the sentences with the seed example.
    LoadExample,
    /// Show a message.
    Notify(Notification),
    /// Dismiss the notification at this index.
    Dismiss(usize),
    /// Rank the sentences by similarity to this text (empty clears the search).
    Search(String),
    /// The shown result changed.
    ResultChanged(ResultChange),
}

impl Command {
    /// Whether applying it changes the saved state (and so asks for an autosave).
    pub fn changes_state(&self) -> bool {
        !matches!(
            self,
            Command::Select(..)
                | Command::SelectGroups(..)
                | Command::PickModelFolder
                | Command::PickCompareModel
                | Command::PickQualityFile
                | Command::PromptPath(_)
                | Command::Retry
                | Command::PickExport(_)
                | Command::PickOpenSet
                | Command::PickOpenVectors
                | Command::Notify(_)
                | Command::Dismiss(_)
                | Command::Search(_)
                | Command::ResultChanged(_)
                | Command::EndTyping
        )
    }
}

impl Command {
    /// Whether a person asked for it (not an answer from the worker or a thread).
    pub fn is_from_user(&self) -> bool {
        !matches!(self, Command::Notify(_) | Command::RecordQuality(_) | Command::ResultChanged(_))
    }
}
