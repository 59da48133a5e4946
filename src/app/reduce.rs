//! The reducer: [`SimlensApp::apply`] applies one [`Command`] after the frame, the only
//! place app state changes.

use std::path::Path;

use super::SimlensApp;
use super::command::Command;
use super::export::{self, ExportKind};
use super::notice::Notification;
use super::options::model_dir;
use super::selection::{GroupSelection, Selection};
use crate::io::SentenceSet;

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
            Command::SelectGroups(g, h) => self.jobs.select_groups(GroupSelection { g, h }),
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
            Command::Search(text) => self.jobs.search_for(&text),
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
        self.jobs.load_model(model_dir(&self.state, &self.options), self.state.precision.clone());
    }

    /// Changes to the model, configuration B and the quality check.
    /// Opens a vectors file: its sentences come from the Parquet file's `text` column, a
    /// sentence file of the same name beside it, or else the sentences open now.
    /// Opens a vectors file on the worker, which reads it once; its sentences (from the
    /// file, or a sentence file beside it) come back as a [`Command::ReplaceSet`].
    fn open_vectors(&mut self, path: &Path) {
        self.state.last_dir = path.parent().map(Path::to_path_buf);
        let texts = crate::app::result::SentenceTable::from_set(&self.state.set).0.texts;
        self.jobs.load_vectors(path.to_path_buf(), texts);
        self.chrome.notify(Notification::info(format!(
            "Reading the vectors in {}; no model is used until you load one.",
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
        let spawned = super::task::spawn("simlens-export", move || {
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
