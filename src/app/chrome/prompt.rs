//! Path prompts: a text field anyone can type or paste into, with a "Browse…" button for
//! the native dialog (which some desktops do not provide); and files dropped on the window.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use crate::app::command::Command;
use crate::app::export::ExportKind;
use crate::app::options::AppOptions;
use crate::session::State;

/// What a path prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptPurpose {
    /// The model folder.
    ModelFolder,
    /// Configuration B's model folder.
    CompareModel,
    /// A scored-pairs file.
    QualityFile,
    /// A sentence file to open.
    OpenSet,
    /// A vectors file to open (with its sentences).
    OpenVectors,
    /// Where to export.
    Export(ExportKind),
}

impl PromptPurpose {
    fn title(self) -> &'static str {
        match self {
            PromptPurpose::ModelFolder => "Open model folder",
            PromptPurpose::CompareModel => "Model folder for configuration B",
            PromptPurpose::QualityFile => "Check model quality",
            PromptPurpose::OpenSet => "Open sentences",
            PromptPurpose::OpenVectors => "Open vectors",
            PromptPurpose::Export(kind) => kind.menu_label().trim_end_matches('…'),
        }
    }

    fn hint(self) -> &'static str {
        match self {
            PromptPurpose::ModelFolder | PromptPurpose::CompareModel => {
                "A folder with model.onnx (or onnx/model.onnx) and tokenizer.json."
            }
            PromptPurpose::QualityFile => {
                "An STS benchmark file (e.g. sts-test.csv: tab-separated, score in field 5, sentences in 6 and 7) or your own pairs as CSV/TSV with text1, text2 and score columns. The Spearman rank correlation × 100 of cosine similarity with the scores is reported; all-MiniLM-L6-v2 with mean pooling gives 82.03 on the STS benchmark test split."
            }
            PromptPurpose::OpenSet => {
                "A .txt file (one sentence per line, `# Group` headers) or a .csv/.tsv with a `text` column."
            }
            PromptPurpose::OpenVectors => {
                "An NPY file (N × d float32) or a Parquet file with an `embedding` column; no model is loaded. Its sentences: the Parquet file's `text` column, or the .txt/.csv/.tsv of the same name beside it (what `simlens embed SENTENCES -o VECTORS.npy` leaves), or else the sentences open now, in order."
            }
            PromptPurpose::Export(ExportKind::EmbeddingsTsv) => {
                "A folder; vectors.tsv and metadata.tsv are written into it."
            }
            PromptPurpose::Export(ExportKind::Sentences) => "The extension chooses the format: .txt, .csv or .tsv.",
            PromptPurpose::Export(_) => "The file to write. An existing file is replaced.",
        }
    }

    fn action(self) -> &'static str {
        match self {
            PromptPurpose::ModelFolder
            | PromptPurpose::CompareModel
            | PromptPurpose::OpenSet
            | PromptPurpose::OpenVectors => "Open",
            PromptPurpose::QualityFile => "Check",
            PromptPurpose::Export(_) => "Save",
        }
    }

    /// The command a submitted path becomes.
    fn command(self, path: PathBuf) -> Command {
        match self {
            PromptPurpose::ModelFolder => Command::LoadModel(Some(path)),
            PromptPurpose::CompareModel => Command::SetCompareModel(path),
            PromptPurpose::QualityFile => Command::CheckQuality(path),
            PromptPurpose::OpenSet => Command::OpenSet(path),
            PromptPurpose::OpenVectors => Command::OpenVectors(path),
            PromptPurpose::Export(kind) => Command::Export(kind, path),
        }
    }
}

/// An open path prompt.
struct PathPrompt {
    purpose: PromptPurpose,
    path: String,
    focused: bool,
}

/// The prompt, when one is open.
#[derive(Default)]
pub struct Prompts {
    open: Option<PathPrompt>,
}

impl Prompts {
    /// Opens the prompt a `Pick…` command asks for, or fills it from the native dialog.
    pub fn apply(&mut self, c: Command, state: &State, options: &AppOptions) {
        let last_dir = || state.last_dir.clone().or_else(|| std::env::current_dir().ok()).unwrap_or_default();
        let (purpose, start) = match c {
            Command::PickModelFolder => {
                (PromptPurpose::ModelFolder, state.model_dir.clone().unwrap_or_else(|| options.bundled_model.clone()))
            }
            Command::PickCompareModel => (
                PromptPurpose::CompareModel,
                state.compare_model.clone().unwrap_or_else(|| options.bundled_model.clone()),
            ),
            Command::PickQualityFile => (
                PromptPurpose::QualityFile,
                state.quality_file.clone().or_else(|| state.last_dir.clone()).unwrap_or_default(),
            ),
            Command::PickExport(kind) => (PromptPurpose::Export(kind), last_dir().join(kind.default_name())),
            Command::PickOpenSet => (PromptPurpose::OpenSet, last_dir()),
            Command::PickOpenVectors => (PromptPurpose::OpenVectors, last_dir()),
            Command::PromptPath(p) => {
                if let Some(prompt) = &mut self.open {
                    prompt.path = p.display().to_string();
                }
                return;
            }
            _ => return,
        };
        self.open = Some(PathPrompt { purpose, path: start.display().to_string(), focused: false });
    }

    /// Draws the open prompt as a modal.
    pub fn ui(&mut self, ctx: &egui::Context, inbox: &Sender<Command>, out: &mut Vec<Command>) {
        let Some(prompt) = &mut self.open else {
            return;
        };
        let mut close = false;
        let mut submit = false;
        let modal = egui::Modal::new(egui::Id::unique("path-prompt")).show(ctx, |ui| {
            ui.set_width(560.0);
            ui.heading(prompt.purpose.title());
            ui.label(prompt.purpose.hint());
            let edit = ui.add(egui::TextEdit::singleline(&mut prompt.path).desired_width(f32::INFINITY));
            if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                submit = true;
            }
            if !prompt.focused {
                edit.request_focus();
                prompt.focused = true;
            }
            ui.horizontal(|ui| {
                submit |= ui.button(prompt.purpose.action()).clicked();
                close |= ui.button("Cancel").clicked();
                if ui.button("Browse…").on_hover_text("Use the system's file dialog").clicked()
                    && let Err(e) = browse(prompt.purpose, PathBuf::from(&prompt.path), inbox.clone(), ctx.clone())
                {
                    out.push(Command::Notify(crate::app::notice::Notification::error(format!(
                        "The system's file dialog could not be opened ({e}); type or paste the path instead."
                    ))));
                }
            });
        });
        close |= modal.should_close();
        if submit && !prompt.path.trim().is_empty() {
            out.push(prompt.purpose.command(PathBuf::from(prompt.path.trim())));
            close = true;
        }
        if close {
            self.open = None;
        }
    }
}

/// Opens the native dialog on its own thread, so the window keeps drawing; its answer
/// fills the prompt.
fn browse(purpose: PromptPurpose, start: PathBuf, tx: Sender<Command>, ctx: egui::Context) -> std::io::Result<()> {
    crate::app::task::spawn("simlens-dialog", move || {
        let dir = if start.is_dir() { Some(start.clone()) } else { start.parent().map(Path::to_path_buf) };
        let mut dialog = rfd::FileDialog::new().set_title(purpose.title());
        if let Some(d) = dir.filter(|d| d.is_dir()) {
            dialog = dialog.set_directory(d);
        }
        let picked = match purpose {
            PromptPurpose::ModelFolder
            | PromptPurpose::CompareModel
            | PromptPurpose::Export(ExportKind::EmbeddingsTsv) => dialog.pick_folder(),
            PromptPurpose::OpenSet => dialog.add_filter("Sentences", &["txt", "csv", "tsv"]).pick_file(),
            PromptPurpose::OpenVectors => dialog.add_filter("Vectors", &["npy", "parquet"]).pick_file(),
            PromptPurpose::QualityFile => dialog.pick_file(),
            PromptPurpose::Export(_) => {
                let name = start.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                dialog.set_file_name(name).save_file()
            }
        };
        if let Some(p) = picked {
            // The window closed meanwhile: nobody is left to tell.
            tx.send(Command::PromptPath(p)).ok();
            ctx.request_repaint();
        }
    })
    .map(drop)
}

/// Files dropped on the window: a folder is a model, a file a sentence set.
pub fn dropped_files(ctx: &egui::Context, out: &mut Vec<Command>) {
    let dropped: Vec<PathBuf> = ctx.input(|i| {
        i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
    });
    for p in dropped {
        out.push(if p.is_dir() { Command::LoadModel(Some(p)) } else { Command::OpenSet(p) });
    }
}
