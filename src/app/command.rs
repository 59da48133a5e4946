//! Commands: what views, dialogs and the worker's answers ask for, gathered during the
//! frame and applied after it by [`SimlensApp::apply`], the only place app state changes.

use std::path::{Path, PathBuf};

use super::export::{self, ExportKind};
use super::{Notification, Selection, SimlensApp};
use crate::engine::Pooling;
use crate::io::{Group, SentenceSet};
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
    /// The caller changed the sentences in place (tests and benches do).
    Edited,
    /// Select a cell (row, column) of the matrix.
    Select(usize, usize),
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
                | Command::PickModelFolder
                | Command::PickCompareModel
                | Command::PickQualityFile
                | Command::PromptPath(_)
                | Command::Retry
                | Command::PickExport(_)
                | Command::PickOpenSet
                | Command::Notify(_)
                | Command::Dismiss(_)
                | Command::Search(_)
                | Command::ResultChanged(_)
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
            | Command::Edited => self.apply_edit(c),
            Command::Select(row, col) => self.jobs.select(Some(Selection { row, col })),
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
            | Command::CheckQuality(_)
            | Command::RecordQuality(_) => self.apply_model(c),
            Command::PickModelFolder
            | Command::PickCompareModel
            | Command::PickQualityFile
            | Command::PickExport(_)
            | Command::PickOpenSet
            | Command::PromptPath(_) => self.chrome.prompts.apply(c, &self.state, &self.options),
            Command::Export(kind, path) => self.export(kind, &path, ctx),
            Command::OpenSet(path) => match SentenceSet::read_path(&path) {
                Ok(set) => {
                    self.state.last_dir = path.parent().map(Path::to_path_buf);
                    let n = set.len();
                    self.replace_set(set);
                    self.chrome.notify(Notification::info(format!("Opened {} ({n} sentences).", path.display())));
                }
                Err(e) => self.chrome.notify(Notification::error(e.to_string())),
            },
            Command::LoadExample => self.replace_set(SentenceSet::seed_example()),
            Command::Notify(n) => self.chrome.notify(n),
            Command::Dismiss(i) => self.chrome.dismiss(i),
            Command::Search(text) => self.jobs.search_for(text),
            Command::ResultChanged(change) => self.views.result_changed(&change),
        }
    }

    fn replace_set(&mut self, set: SentenceSet) {
        self.state.set = set;
        self.jobs.select(None);
        self.jobs.mark_dirty_now();
    }

    /// Changes to the sentences and groups.
    fn apply_edit(&mut self, c: Command) {
        let groups = &mut self.state.set.groups;
        let changed = match c {
            Command::AddGroup => {
                let mut k = groups.len() + 1;
                while groups.iter().any(|g| g.name == format!("Group {k}")) {
                    k += 1;
                }
                groups.push(Group { name: format!("Group {k}"), sentences: Vec::new() });
                true
            }
            Command::MoveGroup(g, delta) => {
                let to = g as isize + delta;
                let ok = g < groups.len() && to >= 0 && (to as usize) < groups.len();
                if ok {
                    groups.swap(g, to as usize);
                }
                ok
            }
            Command::DeleteGroup(g) => {
                g < groups.len() && {
                    groups.remove(g);
                    true
                }
            }
            Command::RenameGroup { group, name } => groups.get_mut(group).is_some_and(|g| {
                g.name = name;
                true
            }),
            Command::AddSentence(g, text) => {
                let text = text.trim().to_owned();
                match groups.get_mut(g) {
                    Some(group) if !text.is_empty() => {
                        group.sentences.push(text);
                        true
                    }
                    _ => false,
                }
            }
            Command::PasteLines(g, text) => match groups.get_mut(g) {
                Some(group) => {
                    let before = group.sentences.len();
                    group.sentences.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
                    let msg = format!("Added {} sentence(s) to {}.", group.sentences.len() - before, group.name);
                    self.chrome.notify(Notification::info(msg));
                    true
                }
                None => false,
            },
            Command::EditSentence { group, index, text } => {
                match groups.get_mut(group).and_then(|g| g.sentences.get_mut(index)) {
                    Some(s) => {
                        *s = text;
                        true
                    }
                    None => false,
                }
            }
            Command::DeleteSentence(g, i) => match groups.get_mut(g) {
                Some(group) if i < group.sentences.len() => {
                    group.sentences.remove(i);
                    true
                }
                _ => false,
            },
            Command::Edited => true,
            _ => false,
        };
        if changed {
            self.jobs.mark_dirty();
        }
    }

    /// Changes to the model, configuration B and the quality check.
    fn apply_model(&mut self, c: Command) {
        match c {
            Command::LoadModel(dir) => {
                if let Some(d) = &dir {
                    self.remember_model(d);
                }
                self.state.model_dir = dir;
                self.jobs.load_model(super::jobs::model_dir(&self.state, &self.options));
            }
            Command::Retry => self.jobs.load_model(super::jobs::model_dir(&self.state, &self.options)),
            Command::SetCompareModel(dir) => {
                self.remember_model(&dir);
                self.state.compare_model = Some(dir);
            }
            Command::UseCompareModel(dir) => self.state.compare_model = dir,
            Command::SetComparePooling(p) => self.state.compare_pooling = p,
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
