//! Commands: what views, dialogs and the worker's answers ask for, gathered during the
//! frame and applied after it by [`SimlensApp::apply`], the only place app state changes.

use std::path::{Path, PathBuf};

use super::edit::{SentenceRef, StepId};
use super::export::{self, ExportKind};
use super::{Notification, Selection, SimlensApp};
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
        job: super::result::JobId,
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

impl SimlensApp {
    /// Applies one command: the only place app state changes.
    pub(super) fn apply(&mut self, c: Command, ctx: &egui::Context) {
        match c {
            Command::AddGroup
            | Command::MoveGroup(..)
            | Command::DeleteGroup(_)
            | Command::RenameGroup { .. }
            | Command::AddSentence(..)
            | Command::PasteLines(..)
            | Command::EditSentence { .. }
            | Command::DeleteSentence(..)
            | Command::DeleteSentences(_)
            | Command::MoveSentences { .. }
            | Command::NewGroupFrom { .. }
            | Command::ClearSentences
            | Command::ReplaceSet { .. } => self.edit(c),
            Command::Edited => {
                self.set_version += 1;
                self.jobs.mark_dirty();
            }
            Command::SetDraft { group, text } => {
                let drafts = &mut self.state.drafts;
                if drafts.len() <= group {
                    drafts.resize(group + 1, String::new());
                }
                drafts[group] = text;
            }
            Command::EndTyping => self.history.end_typing(),
            Command::Undo | Command::Redo | Command::UndoStep(_) => self.undo_redo(c),
            Command::Select(row, col) => self.jobs.select(Some(Selection { row, col })),
            Command::SelectGroups(g, h) => self.jobs.select_groups(super::jobs::GroupSelection { g, h }),
            Command::SetPooling(p) => {
                self.state.pooling = Some(p);
                self.jobs.mark_dirty_now();
            }
            Command::SetView(v) => self.state.view = *v,
            Command::LoadModel(_)
            | Command::Retry
            | Command::SetCompareModel(_)
            | Command::UseCompareModel(_)
            | Command::SetComparePooling(_)
            | Command::SetPrecision(_)
            | Command::SetComparePrecision(_)
            | Command::CheckQuality(_)
            | Command::RecordQuality(_) => self.apply_model(c),
            Command::PickModelFolder
            | Command::PickCompareModel
            | Command::PickQualityFile
            | Command::PickExport(_)
            | Command::PickOpenSet
            | Command::PickOpenVectors
            | Command::PromptPath(_) => self.chrome.prompts.apply(c, &self.state, &self.options),
            Command::OpenVectors(path) => self.open_vectors(&path),
            Command::Export(kind, path) => self.export(kind, &path, ctx),
            Command::OpenSet(path) => match SentenceSet::read_path(&path) {
                Ok(set) => {
                    self.state.last_dir = path.parent().map(Path::to_path_buf);
                    let n = set.len();
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    self.edit(Command::ReplaceSet { set: Box::new(set), what: format!("open {name}") });
                    self.chrome.notify(Notification::info(format!("Opened {} ({n} sentences).", path.display())));
                }
                Err(e) => self.chrome.notify(Notification::error(e.to_string())),
            },
            Command::LoadExample => self.edit(Command::ReplaceSet {
                set: Box::new(SentenceSet::seed_example()),
                what: "load the example".to_owned(),
            }),
            Command::Notify(n) => self.chrome.notify(n),
            Command::Dismiss(i) => self.chrome.dismiss(i),
            Command::Search(text) => self.jobs.search_for(text),
            Command::ResultChanged(change) => self.views.result_changed(&change),
        }
    }

    /// Applies an edit of the sentences as one undoable step.
    fn edit(&mut self, c: Command) {
        let Some((applied, step)) = self.history.apply(&mut self.state, c) else { return };
        self.set_version += 1;
        if applied.replaced {
            self.jobs.select(None);
            self.jobs.mark_dirty_now();
        } else {
            self.jobs.mark_dirty();
        }
        self.drop_stale_undo_offers();
        if let Some(note) = applied.note {
            let mut n = Notification::info(note);
            n.undo = applied.offer_undo.then_some(step);
            self.chrome.notify(n);
        }
    }

    /// An Undo button whose step is no longer the last one would undo something else.
    fn drop_stale_undo_offers(&mut self) {
        let history = &self.history;
        self.chrome.notifications.retain(|n| n.undo.is_none_or(|s| history.is_last(s)));
    }

    fn undo_redo(&mut self, c: Command) {
        let done = match c {
            Command::Undo => self.history.undo(&mut self.state).map(|l| format!("Undid {l}.")),
            Command::Redo => self.history.redo(&mut self.state).map(|l| format!("Redid {l}.")),
            Command::UndoStep(id) if self.history.is_last(id) => {
                self.history.undo(&mut self.state).map(|l| format!("Undid {l}."))
            }
            Command::UndoStep(_) => {
                let msg = "That change is no longer the last one; use Edit → Undo to go back step by step.";
                self.chrome.notify(Notification::info(msg));
                None
            }
            _ => None,
        };
        self.drop_stale_undo_offers();
        if let Some(msg) = done {
            self.set_version += 1;
            // The vectors of sentences that come back are still in the worker's store.
            self.jobs.mark_dirty_now();
            self.chrome.notify(Notification::info(msg));
        }
    }

    /// Loads the state's model at the state's precision.
    fn reload_model(&mut self) {
        self.jobs.load_model(super::jobs::model_dir(&self.state, &self.options), self.state.precision.clone());
    }

    /// Changes to the model, configuration B and the quality check.
    /// Opens a vectors file: its sentences come from the Parquet file's `text` column, a
    /// sentence file of the same name beside it, or else the sentences open now.
    fn open_vectors(&mut self, path: &Path) {
        let sibling = ["txt", "csv", "tsv"].iter().map(|ext| path.with_extension(ext)).find(|p| p.is_file());
        let from_file = if crate::io::parquet::is_parquet(path) {
            crate::io::parquet::read_vectors(path).map(|v| v.sentences.map(|s| (s, path.to_path_buf())))
        } else {
            sibling.map(|p| SentenceSet::read_path(&p).map(|s| (s, p))).transpose()
        };
        let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match from_file {
            Err(e) => return self.chrome.notify(Notification::error(e.to_string())),
            Ok(Some((set, from))) => {
                self.edit(Command::ReplaceSet { set: Box::new(set), what: format!("open {}", name(&from)) });
            }
            Ok(None) => {}
        }
        self.state.last_dir = path.parent().map(Path::to_path_buf);
        let texts = crate::app::result::SentenceTable::from_set(&self.state.set).0.texts;
        let n = texts.len();
        self.jobs.load_vectors(path.to_path_buf(), texts);
        self.chrome.notify(Notification::info(format!(
            "Reading the vectors of {n} sentences from {}; no model is used until you load one.",
            path.display()
        )));
    }

    fn apply_model(&mut self, c: Command) {
        match c {
            Command::LoadModel(dir) => {
                if let Some(d) = &dir {
                    self.remember_model(d);
                }
                self.state.model_dir = dir;
                self.reload_model();
            }
            Command::SetPrecision(p) => {
                self.state.precision = p;
                self.reload_model();
            }
            Command::Retry => self.reload_model(),
            Command::SetCompareModel(dir) => {
                self.remember_model(&dir);
                self.state.compare_model = Some(dir);
            }
            Command::UseCompareModel(dir) => self.state.compare_model = dir,
            Command::SetComparePooling(p) => self.state.compare_pooling = p,
            Command::SetComparePrecision(p) => self.state.compare_precision = p,
            Command::CheckQuality(path) => {
                self.state.quality_file = Some(path.clone());
                let pooling = self.pooling();
                self.jobs.check_quality(path, pooling);
            }
            Command::RecordQuality(q) => {
                self.state.quality.retain(|old| !(old.fingerprint == q.fingerprint && old.pooling == q.pooling));
                self.state.quality.push(q);
            }
            _ => {}
        }
    }

    fn remember_model(&mut self, dir: &Path) {
        let recent = &mut self.state.recent_models;
        recent.retain(|r| r != dir);
        recent.insert(0, dir.to_path_buf());
        recent.truncate(8);
    }

    /// Writes an export on its own thread; its message comes back as a notification.
    fn export(&mut self, kind: ExportKind, path: &Path, ctx: &egui::Context) {
        self.state.last_dir = path.parent().map(Path::to_path_buf);
        let Some(job) = export::prepare(kind, path, self.jobs.result.clone(), &self.state) else {
            self.chrome.notify(Notification::error("Nothing to export yet: wait for the heatmap to appear."));
            return;
        };
        let (tx, ctx) = (self.chrome.inbox.sender(), ctx.clone());
        let spawned = super::spawn("simlens-export", move || {
            let note = match job() {
                Ok(msg) => Notification::info(msg),
                Err(e) => Notification::error(format!("Export failed: {e}")),
            };
            // The window closed meanwhile: nobody is left to tell.
            tx.send(Command::Notify(note)).ok();
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            self.chrome.notify(Notification::error(format!("Export failed: {e}")));
        }
    }
}
