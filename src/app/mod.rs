//! The desktop explorer: type sentences in groups, read their similarity.
//!
//! Layout: menu bar on top, the sentence editor on the left, details on the right,
//! the heatmap (or the group view) in the middle and a status line at the bottom.
//! UI code only records [`Command`]s; they are applied after the frame.

mod compare;
mod details;
mod editor;
mod export;
mod groups;
mod heatmap;
mod map;
mod pairs;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

/// The persisted state's types, under their app-facing name.
pub use crate::session as state;
pub use crate::session::{self, State};
pub use export::ExportKind;
use heatmap::HeatmapView;
use worker::{Computed, EmbedJob, Loader, Request, Response, Worker};

use crate::engine::{self, ModelInfo, Pooling, TokenInfo};
use crate::io::sentences::{SetFormat, UNGROUPED};
use crate::io::{Group, SentenceSet};

static PROCESS_START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Records when the process started, so "time to first heatmap" includes start-up.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// Opens the explorer window on the saved session (or the seed example).
pub fn run_native() -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("simlens")
            .with_inner_size([1360.0, 820.0])
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let opts = AppOptions::default();
    eframe::run_native("simlens", options, Box::new(move |_cc| Ok(Box::new(SimlensApp::new(opts)))))
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// How the app is set up; tests swap the loader for a fake and keep the session in memory.
pub struct AppOptions {
    /// Makes an embedder from a model folder.
    pub loader: Loader,
    /// Where the session is autosaved; `None` keeps it in memory only.
    pub session_path: Option<PathBuf>,
    /// Quiet time after an edit before re-embedding.
    pub debounce: Duration,
    /// The folder of the bundled model.
    pub bundled_model: PathBuf,
    /// The on-disk embedding cache; `None` embeds without one.
    pub cache_dir: Option<PathBuf>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            loader: worker::onnx_loader(),
            session_path: std::env::var_os("SIMLENS_SESSION").map(PathBuf::from).or_else(session::default_path),
            debounce: Duration::from_millis(300),
            bundled_model: engine::bundled_model_dir(),
            cache_dir: engine::cache::default_root(),
        }
    }
}

/// User actions, gathered while drawing and applied after the frame.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Command {
    /// Add an empty group at the end.
    AddGroup,
    /// Move a group up (-1) or down (+1).
    MoveGroup(usize, isize),
    /// Delete a group and its sentences.
    DeleteGroup(usize),
    /// Append a sentence to a group.
    AddSentence(usize, String),
    /// Append one sentence per non-blank line.
    PasteLines(usize, String),
    /// Delete a sentence.
    DeleteSentence(usize, usize),
    /// Mark the sentences as edited (the text was changed in place).
    Edited,
    /// Select a cell (row, column) of the matrix.
    Select(usize, usize),
    /// Change the pooling.
    SetPooling(Pooling),
    /// Load a model folder; `None` is the bundled model.
    LoadModel(Option<PathBuf>),
    /// Ask for a model folder.
    PickModelFolder,
    /// Ask for configuration B's model folder.
    PickCompareModel,
    /// Use this model folder as configuration B.
    SetCompareModel(PathBuf),
    /// Ask for a scored-pairs file for the quality check.
    PickQualityFile,
    /// Score the current model and pooling on this scored-pairs file.
    CheckQuality(PathBuf),
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
    /// Dismiss the notification at this index.
    Dismiss(usize),
    /// Rank the sentences by similarity to this text (empty clears the search).
    Search(String),
}

/// A message shown in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The text.
    pub text: String,
    /// Errors are shown in the error colour and stay until dismissed.
    pub is_error: bool,
    /// When it was raised.
    pub at: Instant,
}

/// The state of the model.
#[derive(Debug, Clone)]
pub enum ModelStatus {
    /// Being loaded from this folder.
    Loading(PathBuf),
    /// Ready.
    Ready(ModelInfo),
    /// Failed to load; the message says why and what to do.
    Failed(String),
}

/// What the autosaver last saw: changes through commands, and settings edited in place.
type SavedMark = (u64, session::ViewSettings, (Option<PathBuf>, Option<Pooling>));

/// What makes two jobs the same: texts, groups, group names, pooling, model.
type JobKey = (Vec<String>, Vec<usize>, Vec<String>, Pooling, String, bool, bool);

/// The running job, for the status line.
#[derive(Debug, Clone, Copy)]
struct Running {
    id: u64,
    done: usize,
    total: usize,
    started: Instant,
}

/// The app: persisted [`State`] plus runtime handles.
pub struct SimlensApp {
    /// What is saved.
    pub state: State,
    options: AppOptions,
    worker: Option<Worker>,
    model: ModelStatus,
    /// The latest finished comparison; it stays until a newer one arrives.
    pub result: Option<Arc<Computed>>,
    /// How many answers arrived as patches (a few rows changed in place).
    pub patches: u64,
    running: Option<Running>,
    next_job: u64,
    dirty_since: Option<Instant>,
    /// The job last sent, to avoid sending identical work twice.
    last_sent: Option<JobKey>,
    /// Selected (row, column) in the current result.
    pub selection: Option<(usize, usize)>,
    tokens: Option<(String, Result<TokenInfo, String>)>,
    /// Messages shown in the window, newest last.
    pub notifications: Vec<Notification>,
    commands: Vec<Command>,
    /// Commands from dialogs and background tasks.
    inbox: (Sender<Command>, Receiver<Notification>, Receiver<Command>, Sender<Notification>),
    heatmap: HeatmapView,
    /// The path prompt, when one is open.
    prompt: Option<PathPrompt>,
    /// The search box and its results.
    search: SearchState,
    /// Mined paraphrase pairs for the current result.
    pairs: pairs::PairsView,
    /// Configuration B and the comparison.
    compare: compare::CompareView,
    /// Progress of a running quality check.
    scoring: Option<(usize, usize)>,
    /// The last job failed: do not ask again for analyses until something changes.
    last_job_failed: bool,
    editor: editor::EditorBuffers,
    autosaver: session::Autosaver,
    skipped_empty: usize,
    /// Counts changes made through commands, to know when to autosave.
    revision: u64,
    /// The revision, view and comparison settings last sent to the autosaver.
    saved: SavedMark,
    /// When the pending autosave is due (changes are batched for a second).
    save_due: Option<Instant>,
    launched: Instant,
    /// Time from launch to the first result.
    pub first_result_after: Option<Duration>,
    /// Time from launch to the end of the first frame that drew a heatmap.
    pub first_heatmap_after: Option<Duration>,
    first_heatmap_shown: bool,
}

impl SimlensApp {
    /// Creates the app, restoring the session from `options.session_path`.
    pub fn new(mut options: AppOptions) -> Self {
        let mut notifications = Vec::new();
        let state = match &options.session_path {
            Some(p) => {
                let loaded = session::load(p);
                if let Some(text) = loaded.notice {
                    notifications.push(Notification { text, is_error: true, at: Instant::now() });
                }
                if !loaded.writable {
                    options.session_path = None;
                }
                loaded.state
            }
            None => State::default(),
        };
        Self::with_state(state, options, notifications)
    }

    /// Creates the app on a given state (no session file is read).
    pub fn with_state(state: State, options: AppOptions, notifications: Vec<Notification>) -> Self {
        let state_view = state.view.clone();
        let state_compare = (state.compare_model.clone(), state.compare_pooling);
        let mut autosaver = session::Autosaver::new();
        autosaver.remember(&state);
        let (cmd_tx, cmd_rx) = channel();
        let (note_tx, note_rx) = channel();
        Self {
            state,
            options,
            worker: None,
            model: ModelStatus::Loading(PathBuf::new()),
            result: None,
            patches: 0,
            running: None,
            next_job: 0,
            dirty_since: None,
            last_sent: None,
            selection: None,
            tokens: None,
            notifications,
            commands: Vec::new(),
            inbox: (cmd_tx, note_rx, cmd_rx, note_tx),
            heatmap: HeatmapView::default(),
            prompt: None,
            search: SearchState::default(),
            pairs: pairs::PairsView::default(),
            compare: compare::CompareView::default(),
            scoring: None,
            last_job_failed: false,
            editor: editor::EditorBuffers::default(),
            autosaver,
            skipped_empty: 0,
            revision: 0,
            saved: (0, state_view, state_compare),
            save_due: None,
            launched: PROCESS_START.get().copied().unwrap_or_else(Instant::now),
            first_result_after: None,
            first_heatmap_after: None,
            first_heatmap_shown: false,
        }
    }

    /// The model's state.
    pub fn model_status(&self) -> &ModelStatus {
        &self.model
    }

    /// Whether a job is running or waiting for the debounce.
    pub fn is_busy(&self) -> bool {
        match self.model {
            ModelStatus::Loading(_) => true,
            ModelStatus::Ready(_) => self.running.is_some() || self.dirty_since.is_some(),
            ModelStatus::Failed(_) => false,
        }
    }

    fn model_dir(&self) -> PathBuf {
        self.state.model_dir.clone().unwrap_or_else(|| self.options.bundled_model.clone())
    }

    /// The pooling in effect: the chosen one if the model allows it, else the model's default.
    pub fn pooling(&self) -> Pooling {
        match (&self.model, self.state.pooling) {
            (ModelStatus::Ready(info), Some(p)) if info.poolings.contains(&p) => p,
            (ModelStatus::Ready(info), _) => info.default_pooling,
            (_, Some(p)) => p,
            (_, None) => Pooling::Mean,
        }
    }

    fn notify(&mut self, text: impl Into<String>, is_error: bool) {
        self.notifications.push(Notification { text: text.into(), is_error, at: Instant::now() });
        if self.notifications.len() > 6 {
            self.notifications.remove(0);
        }
    }

    /// Whether the heatmap texture is complete (a large one is refined in the background).
    pub fn heatmap_is_final(&self) -> bool {
        self.heatmap.is_final()
    }

    /// Queues a command, as a click would.
    pub fn push_command(&mut self, c: Command) {
        self.commands.push(c);
    }

    // ------------------------------------------------------------------------
    // Logic: worker answers, debounce, commands.

    fn ensure_worker(&mut self, ctx: &egui::Context) {
        if self.worker.is_none() {
            let ctx = ctx.clone();
            let worker = Worker::spawn(self.options.loader.clone(), self.options.cache_dir.clone(), move || {
                ctx.request_repaint()
            });
            let dir = self.model_dir();
            self.model = ModelStatus::Loading(dir.clone());
            worker.send(Request::Load(dir));
            self.worker = Some(worker);
            self.dirty_since = Some(Instant::now() - self.options.debounce);
        }
    }

    fn poll_worker(&mut self) {
        let Some(worker) = &self.worker else { return };
        let mut answers = Vec::new();
        while let Some(r) = worker.try_recv() {
            answers.push(r);
        }
        for r in answers {
            self.handle_response(r);
        }
    }

    fn handle_response(&mut self, r: Response) {
        match r {
            Response::Loaded(Ok(info)) => {
                self.model = ModelStatus::Ready(info);
                self.last_sent = None;
                self.mark_dirty_now();
            }
            Response::Loaded(Err(e)) => {
                self.running = None;
                self.model = ModelStatus::Failed(e.to_string());
            }
            Response::Progress { job, done, total } => {
                if let Some(r) = self.running.as_mut().filter(|r| r.id == job) {
                    r.done = done;
                    r.total = total;
                }
            }
            Response::Done(c) => {
                self.last_job_failed = false;
                if self.running.is_some_and(|r| r.id == c.job) {
                    self.running = None;
                }
                if self.first_result_after.is_none() {
                    let after = self.launched.elapsed();
                    log::info!(
                        "first result {:.0} ms after start ({} sentences)",
                        after.as_secs_f64() * 1000.0,
                        c.texts.len()
                    );
                    self.first_result_after = Some(after);
                }
                if !c.embeddings.truncated.is_empty() {
                    self.notify(
                        format!(
                            "{} sentence(s) are longer than {} tokens; only their start was used.",
                            c.embeddings.truncated.len(),
                            c.model.max_length
                        ),
                        false,
                    );
                }
                let same_shape = self.result.as_ref().is_some_and(|r| r.texts == c.texts);
                if !same_shape {
                    self.selection = self.selection.filter(|&(i, j)| i < c.texts.len() && j < c.texts.len());
                }
                self.result = Some(Arc::new(*c));
                self.heatmap.invalidate();
                self.rank_search();
                self.request_tokens();
            }
            Response::Patched(p) => {
                self.last_job_failed = false;
                if self.running.is_some_and(|r| r.id == p.job) {
                    self.running = None;
                }
                match self.result.as_mut().filter(|r| r.job == p.base) {
                    Some(r) => {
                        let cut = p.changed.iter().filter(|i| p.truncated.binary_search(i).is_ok()).count();
                        let note = (cut > 0).then(|| {
                            format!(
                                "{cut} edited sentence(s) are longer than {} tokens; only their start was used.",
                                r.model.max_length
                            )
                        });
                        // Unshared unless another view holds the old answer; then it is copied once.
                        Arc::make_mut(r).apply(&p);
                        self.patches += 1;
                        if let Some(note) = note {
                            self.notify(note, false);
                        }
                        self.heatmap.patched(p.job, &p.changed);
                        self.rank_search();
                        self.request_tokens();
                    }
                    None => {
                        // The answer it changes is gone: ask for a full one.
                        self.last_sent = None;
                        self.mark_dirty_now();
                    }
                }
            }
            Response::Failed { job, error } => {
                self.last_job_failed = true;
                if job == 0 {
                    // Job 0 is a request outside the embed jobs (a query or a quality check).
                    self.scoring = None;
                }
                if self.running.is_some_and(|r| r.id == job) {
                    self.running = None;
                }
                self.last_sent = None;
                self.notify(error.to_string(), true);
            }
            Response::ScoreProgress { done, total } => self.scoring = Some((done, total)),
            Response::Scored { model, pooling, file, result } => {
                self.scoring = None;
                match result {
                    Ok(score) => {
                        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        self.notify(
                            format!(
                                "Quality check of {} ({pooling}) on {name}: Spearman × 100 = {:.2} over {} pairs.",
                                model.name, score.spearman, score.pairs
                            ),
                            false,
                        );
                        self.state.quality.retain(|q| !(q.fingerprint == model.fingerprint && q.pooling == pooling));
                        self.state.quality.push(state::QualityScore {
                            fingerprint: model.fingerprint,
                            model: model.name,
                            pooling,
                            file,
                            spearman: score.spearman,
                            pearson: score.pearson,
                            pairs: score.pairs,
                        });
                        self.revision += 1;
                    }
                    Err(e) => self.notify(format!("Quality check failed: {e}"), true),
                }
            }
            Response::Query { text, result, fingerprint, pooling } => match result {
                Ok(v) => {
                    self.search.vector = Some((text, v, fingerprint, pooling));
                    self.rank_search();
                }
                Err(e) => self.notify(format!("Search failed: {e}"), true),
            },
            Response::Tokens(text, result) => {
                self.tokens = Some((text, result.map_err(|e| e.to_string())));
            }
        }
    }

    fn mark_dirty(&mut self) {
        self.dirty_since = Some(Instant::now());
    }

    fn mark_dirty_now(&mut self) {
        self.dirty_since = Some(Instant::now() - self.options.debounce);
    }

    /// Sends an embed job once edits have been quiet for the debounce time.
    fn maybe_submit(&mut self, ctx: &egui::Context) {
        let Some(since) = self.dirty_since else {
            return;
        };
        let wait = self.options.debounce.saturating_sub(since.elapsed());
        if !wait.is_zero() {
            ctx.request_repaint_after(wait);
            return;
        }
        let ModelStatus::Ready(info) = &self.model else {
            return;
        };
        self.dirty_since = None;
        let (texts, groups, group_names, skipped) = flatten_for_job(&self.state.set);
        self.skipped_empty = skipped;
        let pooling = self.pooling();
        let map = self.state.view.tab == state::Tab::Map;
        let cluster = self.state.view.order == state::Order::Clustered;
        let key = (texts.clone(), groups.clone(), group_names.clone(), pooling, info.fingerprint.clone(), map, cluster);
        if self.last_sent.as_ref() == Some(&key) {
            return;
        }
        self.last_sent = Some(key);
        self.next_job += 1;
        let id = self.next_job;
        self.running = Some(Running { id, done: 0, total: 0, started: Instant::now() });
        if let Some(w) = &self.worker {
            let patch_base = self.result.as_ref().map(|r| r.job);
            w.send(Request::Embed(EmbedJob { id, texts, groups, group_names, pooling, map, cluster, patch_base }));
        }
    }

    /// The map and the clustering are computed only when shown; switching to them asks
    /// the worker again (the vectors come from its cache).
    fn request_missing_analyses(&mut self) {
        let Some(r) = &self.result else { return };
        let want_map = self.state.view.tab == state::Tab::Map && r.map.is_none();
        let want_cluster = self.state.view.order == state::Order::Clustered
            && r.cluster_order.is_none()
            && r.texts.len() <= crate::engine::project::MAX_CLUSTER
            && r.sim.n == r.texts.len();
        if (want_map || want_cluster) && self.dirty_since.is_none() && self.running.is_none() && !self.last_job_failed {
            self.mark_dirty_now();
        }
    }

    /// Ranks the current result's sentences against the search vector.
    fn rank_search(&mut self) {
        let (Some(r), Some((_, v, fingerprint, pooling))) = (&self.result, &self.search.vector) else { return };
        if r.model.fingerprint != *fingerprint || r.pooling != *pooling {
            // The model or pooling changed since: embed the query again, once per result
            // (a failed job can leave the shown result on the old model).
            if self.search.requeried_for == Some(r.job) {
                return;
            }
            self.search.requeried_for = Some(r.job);
            let text = self.search.query.clone();
            self.search.vector = None;
            if let Some(w) = &self.worker {
                w.send(Request::Query(text));
            }
            return;
        }
        self.search.hits = Some(crate::engine::analysis::search(&r.embeddings, v, 10));
    }

    /// Search results: (sentence, score), best first.
    pub fn search_hits(&self) -> Option<&[(usize, f32)]> {
        self.search.hits.as_deref()
    }

    fn request_tokens(&mut self) {
        let Some((row, _)) = self.selection else {
            return;
        };
        let Some(text) = self.result.as_ref().and_then(|r| r.texts.get(row)).cloned() else {
            return;
        };
        if self.tokens.as_ref().is_some_and(|(t, _)| *t == text) {
            return;
        }
        if let Some(w) = &self.worker {
            w.send(Request::Tokens(text));
        }
    }

    fn run_commands(&mut self, ctx: &egui::Context) {
        while let Ok(c) = self.inbox.2.try_recv() {
            self.commands.push(c);
        }
        while let Ok(n) = self.inbox.1.try_recv() {
            self.notifications.push(n);
        }
        if let Some(e) = self.autosaver.take_error() {
            self.notify(e, true);
        }
        if !self.commands.is_empty() {
            self.revision += 1;
            self.last_job_failed = false;
        }
        for c in std::mem::take(&mut self.commands) {
            self.run_command(c, ctx);
        }
    }

    fn run_command(&mut self, c: Command, ctx: &egui::Context) {
        let groups = &mut self.state.set.groups;
        match c {
            Command::AddGroup => {
                let mut k = groups.len() + 1;
                while groups.iter().any(|g| g.name == format!("Group {k}")) {
                    k += 1;
                }
                groups.push(Group { name: format!("Group {k}"), sentences: Vec::new() });
                self.mark_dirty();
            }
            Command::MoveGroup(g, delta) => {
                let to = g as isize + delta;
                if g < groups.len() && to >= 0 && (to as usize) < groups.len() {
                    groups.swap(g, to as usize);
                    self.mark_dirty();
                }
            }
            Command::DeleteGroup(g) => {
                if g < groups.len() {
                    groups.remove(g);
                    self.mark_dirty();
                }
            }
            Command::AddSentence(g, text) => {
                let text = text.trim().to_owned();
                if let Some(group) = groups.get_mut(g)
                    && !text.is_empty()
                {
                    group.sentences.push(text);
                    self.mark_dirty();
                }
            }
            Command::PasteLines(g, text) => {
                if let Some(group) = groups.get_mut(g) {
                    let before = group.sentences.len();
                    group.sentences.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
                    let msg = format!("Added {} sentence(s) to {}.", group.sentences.len() - before, group.name);
                    self.notify(msg, false);
                    self.mark_dirty();
                }
            }
            Command::DeleteSentence(g, i) => {
                if let Some(group) = groups.get_mut(g)
                    && i < group.sentences.len()
                {
                    group.sentences.remove(i);
                    self.mark_dirty();
                }
            }
            Command::Edited => self.mark_dirty(),
            Command::Select(i, j) => {
                self.selection = Some((i, j));
                self.request_tokens();
            }
            Command::SetPooling(p) => {
                self.state.pooling = Some(p);
                self.mark_dirty_now();
            }
            Command::LoadModel(dir) => {
                if let Some(d) = &dir {
                    self.state.recent_models.retain(|r| r != d);
                    self.state.recent_models.insert(0, d.clone());
                    self.state.recent_models.truncate(8);
                }
                self.state.model_dir = dir;
                self.load_model();
            }
            Command::Retry => self.load_model(),
            Command::PickModelFolder => {
                let start = self.state.model_dir.clone().unwrap_or_else(|| self.options.bundled_model.clone());
                self.prompt = Some(PathPrompt::new(PromptPurpose::ModelFolder, start));
            }
            Command::PickExport(kind) => {
                let dir = self.state.last_dir.clone().or_else(|| std::env::current_dir().ok()).unwrap_or_default();
                self.prompt = Some(PathPrompt::new(PromptPurpose::Export(kind), dir.join(kind.default_name())));
            }
            Command::PickQualityFile => {
                let start = self.state.quality_file.clone().or_else(|| self.state.last_dir.clone()).unwrap_or_default();
                self.prompt = Some(PathPrompt::new(PromptPurpose::QualityFile, start));
            }
            Command::CheckQuality(path) => {
                self.state.quality_file = Some(path.clone());
                self.scoring = Some((0, 0));
                if let Some(w) = &self.worker {
                    w.send(Request::Score(path, self.pooling()));
                }
            }
            Command::SetCompareModel(dir) => {
                self.state.recent_models.retain(|r| *r != dir);
                self.state.recent_models.insert(0, dir.clone());
                self.state.recent_models.truncate(8);
                self.state.compare_model = Some(dir);
            }
            Command::PickCompareModel => {
                let start = self.state.compare_model.clone().unwrap_or_else(|| self.options.bundled_model.clone());
                self.prompt = Some(PathPrompt::new(PromptPurpose::CompareModel, start));
            }
            Command::PromptPath(p) => {
                if let Some(prompt) = &mut self.prompt {
                    prompt.path = p.display().to_string();
                }
            }
            Command::Export(kind, path) => {
                self.state.last_dir = path.parent().map(Path::to_path_buf);
                let ctx = ctx.clone();
                let Some(job) = export::prepare(kind, &path, self.result.clone(), &self.state) else {
                    self.notify("Nothing to export yet: wait for the heatmap to appear.", true);
                    return;
                };
                let tx = self.inbox.3.clone();
                std::thread::Builder::new()
                    .name("simlens-export".into())
                    .spawn(move || {
                        let note = match job() {
                            Ok(msg) => Notification { text: msg, is_error: false, at: Instant::now() },
                            Err(e) => {
                                Notification { text: format!("Export failed: {e}"), is_error: true, at: Instant::now() }
                            }
                        };
                        tx.send(note).ok();
                        ctx.request_repaint();
                    })
                    .ok();
            }
            Command::OpenSet(path) => match SentenceSet::read_path(&path) {
                Ok(set) => {
                    self.state.last_dir = path.parent().map(Path::to_path_buf);
                    let n = set.len();
                    self.state.set = set;
                    self.selection = None;
                    self.notify(format!("Opened {} ({n} sentences).", path.display()), false);
                    self.mark_dirty_now();
                }
                Err(e) => self.notify(format!("{e}"), true),
            },
            Command::PickOpenSet => {
                let dir = self.state.last_dir.clone().or_else(|| std::env::current_dir().ok()).unwrap_or_default();
                self.prompt = Some(PathPrompt::new(PromptPurpose::OpenSet, dir));
            }
            Command::LoadExample => {
                self.state.set = SentenceSet::seed_example();
                self.selection = None;
                self.mark_dirty_now();
            }
            Command::Search(text) => {
                self.search.query = text.clone();
                if text.trim().is_empty() {
                    self.search = SearchState::default();
                } else if let Some(w) = &self.worker {
                    w.send(Request::Query(text.trim().to_owned()));
                }
            }
            Command::Dismiss(i) => {
                if i < self.notifications.len() {
                    self.notifications.remove(i);
                }
            }
        }
    }

    fn load_model(&mut self) {
        let dir = self.model_dir();
        self.model = ModelStatus::Loading(dir.clone());
        self.last_sent = None;
        if let Some(w) = &self.worker {
            w.send(Request::Load(dir));
        }
    }

    /// Sends the state to the autosaver a second after the last change (or at once when
    /// `now` is set, as on exit). Cheap when nothing changed: no serialising here.
    fn autosave(&mut self, now: bool) {
        let Some(path) = self.options.session_path.clone() else { return };
        let current =
            (self.revision, self.state.view.clone(), (self.state.compare_model.clone(), self.state.compare_pooling));
        if current == self.saved && !now {
            return;
        }
        let due = *self.save_due.get_or_insert_with(|| Instant::now() + Duration::from_secs(1));
        if now || Instant::now() >= due {
            self.autosaver.save(&path, &self.state);
            self.saved = current;
            self.save_due = None;
        }
    }

    // ------------------------------------------------------------------------
    // The frame.

    /// Draws one frame and applies what the user did. Works with or without eframe.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if let Some(drawn) = self.first_heatmap_after
            && !self.first_heatmap_shown
        {
            // The frame that drew it has been painted (texture uploaded) by now.
            self.first_heatmap_shown = true;
            log::info!(
                "first heatmap on screen {:.0} ms after start (drawn at {:.0} ms)",
                self.launched.elapsed().as_secs_f64() * 1000.0,
                drawn.as_secs_f64() * 1000.0
            );
        }
        self.ensure_worker(&ctx);
        self.poll_worker();
        self.dropped_files_ui(&ctx);

        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        egui::Panel::left("editor").resizable(true).default_size(360.0).min_size(240.0).show(ui, |ui| {
            editor::editor_ui(ui, &mut self.state.set, &mut self.editor, self.result.as_deref(), &mut self.commands);
        });
        egui::Panel::right("details").resizable(true).default_size(300.0).min_size(200.0).show(ui, |ui| {
            details::details_ui(
                ui,
                self.result.as_deref(),
                self.selection,
                self.tokens.as_ref(),
                self.search.hits.as_deref().map(|h| (self.search.query.as_str(), h)),
                &mut self.commands,
            );
        });
        self.prompt_ui(&ctx);
        egui::CentralPanel::default().show(ui, |ui| {
            self.notifications_ui(ui);
            self.model_error_ui(ui);
            self.central_ui(ui);
        });

        self.request_missing_analyses();
        self.run_commands(&ctx);
        self.maybe_submit(&ctx);
        self.autosave(false);
        if let Some(due) = self.save_due {
            ctx.request_repaint_after(due.saturating_duration_since(Instant::now()));
        }
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open sentences…").clicked() {
                    self.commands.push(Command::PickOpenSet);
                }
                if ui.button("Save sentences…").clicked() {
                    self.commands.push(Command::PickExport(ExportKind::Sentences));
                }
                if ui.button("Load the example").clicked() {
                    self.commands.push(Command::LoadExample);
                }
                ui.separator();
                ui.label("Export");
                for kind in ExportKind::ALL {
                    if kind != ExportKind::Sentences && ui.button(kind.menu_label()).clicked() {
                        self.commands.push(Command::PickExport(kind));
                    }
                }
            });
            ui.menu_button("Model", |ui| {
                if ui.button(format!("Bundled: {}", engine::BUNDLED_MODEL)).clicked() {
                    self.commands.push(Command::LoadModel(None));
                }
                for dir in self.state.recent_models.clone() {
                    if ui.button(dir.display().to_string()).clicked() {
                        self.commands.push(Command::LoadModel(Some(dir)));
                    }
                }
                if ui.button("Open model folder…").clicked() {
                    self.commands.push(Command::PickModelFolder);
                }
                ui.separator();
                if ui.button("Check model quality (STS benchmark or your pairs)…").clicked() {
                    self.commands.push(Command::PickQualityFile);
                }
            });
            ui.separator();
            let model_label = match &self.model {
                ModelStatus::Ready(info) => info.name.clone(),
                ModelStatus::Loading(d) => {
                    format!("loading {}…", d.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
                }
                ModelStatus::Failed(_) => "no model".to_owned(),
            };
            ui.label("Model:");
            ui.strong(model_label);
            if let ModelStatus::Ready(info) = &self.model {
                let pooling = self.pooling();
                if let Some(q) = self.state.quality.iter().find(|q| q.fingerprint == info.fingerprint && q.pooling == pooling) {
                    let name = q.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    ui.label(egui::RichText::new(format!("ρ×100 {:.2}", q.spearman)).color(ui.visuals().hyperlink_color))
                        .on_hover_text(format!(
                            "Quality check: Spearman × 100 of cosine similarity vs the gold scores of {name} ({} pairs), pooling {}; Pearson × 100 {:.2}.",
                            q.pairs, q.pooling, q.pearson
                        ));
                }
            }
            ui.separator();
            let current = self.pooling();
            let allowed = match &self.model {
                ModelStatus::Ready(info) => info.poolings.clone(),
                _ => Vec::new(),
            };
            let label = ui.label("Pooling:");
            egui::ComboBox::from_id_salt("pooling")
                .selected_text(current.as_str())
                .show_ui(ui, |ui| {
                    for p in Pooling::ALL {
                        let enabled = allowed.contains(&p);
                        let resp = ui.add_enabled(enabled, egui::Button::selectable(current == p, p.as_str()));
                        let resp = if enabled || p != Pooling::Pooled {
                            resp
                        } else {
                            resp.on_disabled_hover_text("This model has no pooled output (pooler_output)")
                        };
                        if resp.clicked() && current != p {
                            self.commands.push(Command::SetPooling(p));
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            ui.separator();
            ui.label("Range:");
            egui::ComboBox::from_id_salt("range").selected_text(self.state.view.range.name()).show_ui(ui, |ui| {
                for r in state::ColorRange::ALL {
                    ui.selectable_value(&mut self.state.view.range, r, r.name());
                }
            });
            egui::ComboBox::from_id_salt("colormap").selected_text(self.state.view.colormap.name()).show_ui(ui, |ui| {
                for c in crate::render::Colormap::ALL {
                    ui.selectable_value(&mut self.state.view.colormap, c, c.name());
                }
            });
            ui.checkbox(&mut self.state.view.show_values, "Values");
        });
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        /// A busy label that repaints four times a second, not every frame like a
        /// spinner: the work it waits for needs the cores more than the animation.
        fn slow_busy_ui(ui: &mut egui::Ui, text: &str) {
            ui.label(format!("⏳ {text}"));
            ui.ctx().request_repaint_after(Duration::from_millis(250));
        }

        ui.horizontal(|ui| {
            // Progress bars, not spinners, for long work: a spinner repaints every frame,
            // which on a software-rendered display costs the worker a whole core.
            if let Some((done, total)) = self.scoring {
                progress_ui(ui, done, total);
                ui.label(if total > 0 {
                    format!("checking quality {done}/{total}…")
                } else {
                    "checking quality…".to_owned()
                });
                ui.separator();
            }
            if let Some(r) = self.running {
                if r.total > 0 {
                    progress_ui(ui, r.done, r.total);
                    ui.label(format!("embedding {}/{}… {:.1} s", r.done, r.total, r.started.elapsed().as_secs_f32()));
                } else {
                    slow_busy_ui(ui, &format!("comparing… {:.1} s", r.started.elapsed().as_secs_f32()));
                }
            } else if matches!(self.model, ModelStatus::Loading(_)) {
                slow_busy_ui(ui, "loading model…");
            } else if matches!(self.model, ModelStatus::Failed(_)) {
                ui.colored_label(ui.visuals().error_fg_color, "no model loaded");
            } else if self.dirty_since.is_some() {
                ui.spinner();
                ui.label("waiting for typing to pause…");
            } else {
                ui.label("ready");
            }
            ui.separator();
            let n = self.state.set.len();
            ui.label(format!("{n} sentences in {} groups", self.state.set.groups.len()));
            if self.skipped_empty > 0 {
                ui.separator();
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("{} empty sentence(s) skipped", self.skipped_empty),
                );
            }
            if let Some(r) = &self.result {
                ui.separator();
                ui.label(format!(
                    "last run: {} · {} · {} embedded, {} cached · {:.0} ms",
                    r.model.name,
                    r.pooling,
                    r.embedded,
                    r.texts.len() - r.embedded.min(r.texts.len()),
                    r.elapsed.as_secs_f64() * 1000.0
                ));
            }
        });
    }

    fn notifications_ui(&mut self, ui: &mut egui::Ui) {
        let now = Instant::now();
        // Successes fade after a while; errors stay until dismissed.
        self.notifications.retain(|n| n.is_error || now.duration_since(n.at) < Duration::from_secs(8));
        for (i, n) in self.notifications.iter().enumerate() {
            let color = if n.is_error { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(color, if n.is_error { "⚠" } else { "✔" });
                ui.colored_label(color, &n.text);
                if ui.small_button("✖").on_hover_text("Dismiss").clicked() {
                    self.commands.push(Command::Dismiss(i));
                }
            });
        }
        if self.notifications.iter().any(|n| !n.is_error) {
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
    }

    fn model_error_ui(&mut self, ui: &mut egui::Ui) {
        if let ModelStatus::Failed(msg) = &self.model {
            let msg = msg.clone();
            egui::Frame::group(ui.style()).fill(ui.visuals().extreme_bg_color).show(ui, |ui| {
                ui.colored_label(ui.visuals().error_fg_color, "The model could not be loaded");
                ui.label(egui::RichText::new(msg).monospace());
                ui.label("Your sentences are kept. Fix the cause, then retry, or choose another model.");
                ui.horizontal(|ui| {
                    if ui.button("Retry").clicked() {
                        self.commands.push(Command::Retry);
                    }
                    if ui.button("Use the bundled model").clicked() {
                        self.commands.push(Command::LoadModel(None));
                    }
                    if ui.button("Open model folder…").clicked() {
                        self.commands.push(Command::PickModelFolder);
                    }
                });
            });
        }
    }

    fn central_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            use state::Tab;
            ui.selectable_value(&mut self.state.view.tab, Tab::Heatmap, "Sentences × sentences");
            ui.selectable_value(&mut self.state.view.tab, Tab::Groups, "Groups × groups");
            ui.selectable_value(&mut self.state.view.tab, Tab::Pairs, "Paraphrase pairs");
            ui.selectable_value(&mut self.state.view.tab, Tab::Map, "2-D map");
            ui.selectable_value(&mut self.state.view.tab, Tab::Compare, "Compare");
        });
        ui.horizontal(|ui| {
            use state::Tab;
            let search = ui.add(
                egui::TextEdit::singleline(&mut self.search.query)
                    .hint_text("🔍 Search: type a sentence, press Enter")
                    .desired_width(280.0),
            );
            if search.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.commands.push(Command::Search(self.search.query.clone()));
            }
            if self.search.hits.is_some() && ui.small_button("✖").on_hover_text("Clear the search").clicked() {
                self.commands.push(Command::Search(String::new()));
            }
            if self.state.view.tab == Tab::Heatmap {
                ui.separator();
                ui.label("Order:");
                ui.selectable_value(&mut self.state.view.order, state::Order::Groups, "groups");
                ui.selectable_value(&mut self.state.view.order, state::Order::Clustered, "clustered")
                    .on_hover_text("Average-linkage clustering on cosine distance: similar sentences side by side");
            }
        });
        ui.separator();
        let Some(result) = self.result.clone() else {
            ui.centered_and_justified(|ui| {
                if matches!(self.model, ModelStatus::Failed(_)) {
                    ui.label("No heatmap without a model.");
                } else {
                    // Static text: the status line shows progress (see `status_ui`).
                    ui.weak("Embedding the sentences…");
                }
            });
            return;
        };
        let hits: Vec<usize> =
            self.search.hits.as_ref().map(|h| h.iter().map(|&(i, _)| i).collect()).unwrap_or_default();
        match self.state.view.tab {
            state::Tab::Heatmap => {
                let clustered = self.state.view.order == state::Order::Clustered;
                let order: Vec<usize> = match (&result.cluster_order, clustered) {
                    (Some(o), true) => o.clone(),
                    _ => (0..result.texts.len()).collect(),
                };
                if clustered && result.cluster_order.is_none() {
                    ui.weak(if result.texts.len() > crate::engine::project::MAX_CLUSTER {
                        format!(
                            "Clustering is limited to {} sentences; showing group order.",
                            crate::engine::project::MAX_CLUSTER
                        )
                    } else {
                        "Clustering…".to_owned()
                    });
                }
                heatmap::heatmap_ui(
                    ui,
                    &mut self.heatmap,
                    &result,
                    &self.state.view,
                    &heatmap::Layout {
                        order: &order,
                        clustered: clustered && result.cluster_order.is_some(),
                        highlight: &hits,
                    },
                    self.selection,
                    &mut self.commands,
                );
                if self.first_heatmap_after.is_none() && result.sim.n > 0 {
                    let after = self.launched.elapsed();
                    log::info!(
                        "first heatmap drawn {:.0} ms after start ({} sentences; the GPU upload follows)",
                        after.as_secs_f64() * 1000.0,
                        result.sim.n
                    );
                    self.first_heatmap_after = Some(after);
                    // One more frame, to log when this one reached the screen.
                    ui.ctx().request_repaint();
                }
            }
            state::Tab::Groups => groups::groups_ui(ui, &result, &self.state.view),
            state::Tab::Pairs => {
                pairs::pairs_ui(ui, &mut self.pairs, &result, &mut self.state.view, &mut self.commands)
            }
            state::Tab::Map => map::map_ui(ui, &result, self.selection, &hits, &mut self.commands),
            state::Tab::Compare => compare::compare_ui(
                ui,
                &mut self.compare,
                &result,
                &self.options,
                &self.state.view,
                &mut self.state.compare_model,
                &mut self.state.compare_pooling,
                &self.state.recent_models,
                &mut self.commands,
            ),
        }
    }

    /// The path prompt: a text field anyone can type or paste into, and a "Browse…"
    /// button for the native dialog (which some desktops do not provide).
    fn prompt_ui(&mut self, ctx: &egui::Context) {
        let Some(prompt) = &mut self.prompt else {
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
                if ui.button(prompt.purpose.action()).clicked() {
                    submit = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
                if ui.button("Browse…").on_hover_text("Use the system's file dialog").clicked() {
                    browse(prompt.purpose, PathBuf::from(&prompt.path), self.inbox.0.clone(), ctx.clone());
                }
            });
        });
        if modal.should_close() {
            close = true;
        }
        if submit && !prompt.path.trim().is_empty() {
            let path = PathBuf::from(prompt.path.trim());
            self.commands.push(match prompt.purpose {
                PromptPurpose::ModelFolder => Command::LoadModel(Some(path)),
                PromptPurpose::CompareModel => Command::SetCompareModel(path),
                PromptPurpose::QualityFile => Command::CheckQuality(path),
                PromptPurpose::OpenSet => Command::OpenSet(path),
                PromptPurpose::Export(kind) => Command::Export(kind, path),
            });
            close = true;
        }
        if close {
            self.prompt = None;
        }
    }

    fn dropped_files_ui(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        for p in dropped {
            if p.is_dir() {
                self.commands.push(Command::LoadModel(Some(p)));
            } else {
                self.commands.push(Command::OpenSet(p));
            }
        }
    }
}

impl eframe::App for SimlensApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        SimlensApp::ui(self, ui);
    }

    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        // The session has its own atomically written file; eframe's hook saves it on
        // exit and on eframe's autosave timer, in addition to the autosave after edits.
        self.autosave(true);
    }
}

/// Flattens the set for a job: non-blank sentences, their groups, the group names, and
/// how many blank sentences were skipped.
fn flatten_for_job(set: &SentenceSet) -> (Vec<String>, Vec<usize>, Vec<String>, usize) {
    let mut texts = Vec::new();
    let mut groups = Vec::new();
    let mut skipped = 0;
    for (gi, g) in set.groups.iter().enumerate() {
        for s in &g.sentences {
            if s.trim().is_empty() {
                skipped += 1;
            } else {
                texts.push(s.trim().to_owned());
                groups.push(gi);
            }
        }
    }
    let names =
        set.groups.iter().map(|g| if g.name.is_empty() { UNGROUPED.to_owned() } else { g.name.clone() }).collect();
    (texts, groups, names, skipped)
}

/// The search box: the query, its vector, and the ranked sentences.
#[derive(Default)]
struct SearchState {
    requeried_for: Option<u64>,
    query: String,
    vector: Option<(String, Vec<f32>, String, Pooling)>,
    hits: Option<Vec<(usize, f32)>>,
}

/// What a path prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PromptPurpose {
    ModelFolder,
    CompareModel,
    QualityFile,
    OpenSet,
    Export(ExportKind),
}

impl PromptPurpose {
    fn title(self) -> &'static str {
        match self {
            PromptPurpose::ModelFolder => "Open model folder",
            PromptPurpose::CompareModel => "Model folder for configuration B",
            PromptPurpose::QualityFile => "Check model quality",
            PromptPurpose::OpenSet => "Open sentences",
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
            PromptPurpose::Export(ExportKind::EmbeddingsTsv) => {
                "A folder; vectors.tsv and metadata.tsv are written into it."
            }
            PromptPurpose::Export(ExportKind::Sentences) => "The extension chooses the format: .txt, .csv or .tsv.",
            PromptPurpose::Export(_) => "The file to write. An existing file is replaced.",
        }
    }

    fn action(self) -> &'static str {
        match self {
            PromptPurpose::ModelFolder | PromptPurpose::CompareModel | PromptPurpose::OpenSet => "Open",
            PromptPurpose::QualityFile => "Check",
            PromptPurpose::Export(_) => "Save",
        }
    }
}

/// An open path prompt.
struct PathPrompt {
    purpose: PromptPurpose,
    path: String,
    focused: bool,
}

impl PathPrompt {
    fn new(purpose: PromptPurpose, path: PathBuf) -> Self {
        Self { purpose, path: path.display().to_string(), focused: false }
    }
}

/// Opens the native dialog on its own thread; its answer fills the prompt.
fn browse(purpose: PromptPurpose, start: PathBuf, tx: Sender<Command>, ctx: egui::Context) {
    spawn_dialog(move || {
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
            PromptPurpose::QualityFile => dialog.pick_file(),
            PromptPurpose::Export(_) => {
                let name = start.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                dialog.set_file_name(name).save_file()
            }
        };
        if let Some(p) = picked {
            tx.send(Command::PromptPath(p)).ok();
            ctx.request_repaint();
        }
    });
}

/// A small progress bar that repaints only when the worker reports progress.
fn progress_ui(ui: &mut egui::Ui, done: usize, total: usize) {
    let frac = if total > 0 { done as f32 / total as f32 } else { 0.0 };
    ui.add(egui::ProgressBar::new(frac).desired_width(120.0).animate(false));
}

/// Runs a native dialog off the UI thread, so the window keeps drawing.
fn spawn_dialog(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().name("simlens-dialog".into()).spawn(f).ok();
}

/// The set format for a sentence file path.
pub fn set_format(path: &Path) -> SetFormat {
    SetFormat::from_path(path)
}
