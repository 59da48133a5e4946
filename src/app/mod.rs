//! The desktop explorer: type sentences in groups, read their similarity.
//!
//! Rooms: [`views`] draw and emit [`Command`]s; [`command`] applies them after the frame,
//! the only place state changes; [`jobs`] schedules work on the [`worker`] thread and
//! turns its answers into commands; [`chrome`] is the menu, status line, notifications
//! and prompts around the views; [`result`] is what the views read.

mod asks;
mod autosave;
mod chrome;
mod command;
pub mod edit;
mod explanations;
mod export;
mod jobs;
mod neighbours;
mod notice;
mod options;
mod paint;
mod quality;
mod reduce;
mod refs;
pub mod result;
mod search;
mod selection;
mod startup;
mod task;
mod views;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

pub use command::Command;
pub use export::ExportKind;
pub use notice::Notification;
pub use options::{AppOptions, ModelStatus};
pub use result::Computed;
pub use selection::Selection;

/// The persisted state's types, under their app-facing name.
pub use crate::session as state;
pub use crate::session::{self, State};

use crate::engine::Pooling;
use autosave::Autosave;
use chrome::Chrome;
use jobs::JobScheduler;
use startup::Startup;
use views::{ViewCtx, Views};

/// Records when the process started, so "time to first heatmap" includes start-up.
pub fn mark_process_start() {
    startup::mark_process_start();
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

/// The app: persisted [`State`] plus the rooms' runtime state.
pub struct SimlensApp {
    /// What is saved.
    pub state: State,
    options: AppOptions,
    jobs: JobScheduler,
    views: Views,
    chrome: Chrome,
    autosave: Autosave,
    history: edit::History,
    /// Counts changes to the sentences, so views holding indices into them can let go.
    set_version: u64,
    /// Models in the Hugging Face cache, listed once at start.
    hub_models: Vec<crate::engine::hub::CachedModel>,
    startup: Startup,
    /// Commands gathered this frame.
    commands: Vec<Command>,
}

impl SimlensApp {
    /// Creates the app, restoring the session from `options.session_path`.
    pub fn new(mut options: AppOptions) -> Self {
        let mut notifications = Vec::new();
        let state = match &options.session_path {
            Some(p) => {
                let loaded = session::load(p);
                if let Some(text) = loaded.notice {
                    notifications.push(Notification::error(text));
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
        let mut views = Views::default();
        // Neighbour graphs kept beside the embedding cache, so a reopened million-row set
        // does not search its neighbours again.
        views.neighbours.cache = std::sync::Arc::new(crate::engine::knn::KnnCache::with_dir(
            options.cache_dir.as_ref().map(|d| d.join("knn")),
        ));
        Self {
            autosave: Autosave::new(options.session_path.clone(), &state),
            jobs: JobScheduler::new(options.debounce),
            state,
            options,
            views,
            chrome: Chrome::new(notifications),
            history: edit::History::default(),
            set_version: 0,
            hub_models: crate::engine::hub::list(),
            startup: Startup::new(),
            commands: Vec::new(),
        }
    }

    /// The model's state.
    pub fn model_status(&self) -> &ModelStatus {
        &self.jobs.model
    }

    /// Whether a job is running or waiting for the debounce.
    pub fn is_busy(&self) -> bool {
        self.jobs.is_busy()
    }

    /// The pooling in effect: the chosen one if the model allows it, else the model's default.
    pub fn pooling(&self) -> Pooling {
        self.jobs.pooling(self.state.pooling)
    }

    /// The latest finished comparison; it stays until a newer one arrives.
    pub fn result(&self) -> Option<&Arc<Computed>> {
        self.jobs.result.as_ref()
    }

    /// How many answers arrived as patches (a few rows changed in place).
    pub fn patches(&self) -> u64 {
        self.jobs.patches
    }

    /// The selected cell.
    pub fn selection(&self) -> Option<Selection> {
        self.jobs.asks.selected.cell
    }

    /// Messages shown in the window, newest last.
    pub fn notifications(&self) -> &[Notification] {
        &self.chrome.notifications
    }

    /// Search results: (sentence, score), best first.
    pub fn search_hits(&self) -> Option<&[(usize, f32)]> {
        self.jobs.asks.search.hits.as_deref()
    }

    /// Whether the heatmap texture is complete (a large one is refined in the background).
    pub fn heatmap_is_final(&self) -> bool {
        self.views.heatmap.is_final()
    }

    /// Time from launch to the first result.
    pub fn first_result_after(&self) -> Option<Duration> {
        self.startup.first_result_after
    }

    /// The name of the step Undo would undo, if any.
    pub fn undo_label(&self) -> Option<&str> {
        self.history.undo_label()
    }

    /// The last pair explanation that arrived well (it may be of a pair selected before).
    pub fn explanation(&self) -> Option<&crate::engine::explain::Explanation> {
        self.jobs.asks.explanations.pair.last().and_then(|e| e.result.as_ref().ok())
    }

    /// The pair the last explanation answers, and how long it took from the request.
    pub fn explanation_asked(&self) -> Option<(&str, &str, Duration)> {
        self.jobs.asks.explanations.pair.last().map(|e| (e.asked.a.as_str(), e.asked.b.as_str(), e.took))
    }

    /// Queues a command, as a click would.
    pub fn push_command(&mut self, c: Command) {
        self.commands.push(c);
    }

    /// Draws one frame, then applies what the user did and what the worker answered.
    /// Works with or without eframe.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.startup.frame_started();
        self.jobs.ensure_worker(&ctx, &self.options, &self.state);
        // The worker's answers first: views see a patched result together with its patch.
        let answers = self.jobs.poll();
        self.run(answers, &ctx);
        chrome::prompt::dropped_files(&ctx, &mut self.commands);
        chrome::menu::shortcuts(&ctx, &mut self.commands);
        let mut out = std::mem::take(&mut self.commands);
        let drew_heatmap = self.draw(ui, &ctx, &mut out);
        self.startup.drawn(self.jobs.result.as_deref(), drew_heatmap, &ctx);
        out.extend(self.chrome.inbox.drain());
        if let Some(e) = self.autosave.take_error() {
            out.push(Command::Notify(Notification::error(e)));
        }
        self.jobs.request_missing_analyses(&self.state);
        self.run(out, &ctx);
        self.jobs.maybe_submit(&ctx, &self.state);
        if let Some(due) = self.autosave.tick(&self.state, false) {
            ctx.request_repaint_after(due.saturating_duration_since(std::time::Instant::now()));
        }
    }

    /// The panels. Returns whether a heatmap with cells was drawn.
    fn draw(&mut self, ui: &mut egui::Ui, ctx: &egui::Context, out: &mut Vec<Command>) -> bool {
        let view = ViewCtx {
            state: &self.state,
            options: &self.options,
            model: &self.jobs.model,
            pooling: self.jobs.pooling(self.state.pooling),
            result: self.jobs.result.as_ref(),
            selected: &self.jobs.asks.selected,
            search: &self.jobs.asks.search,
            explanations: &self.jobs.asks.explanations,
            history: &self.history,
            set_version: self.set_version,
            hub_models: &self.hub_models,
        };
        let (views, chrome, jobs) = (&mut self.views, &mut self.chrome, &self.jobs);
        egui::Panel::top("menu").show(ui, |ui| chrome::menu::menu_ui(ui, &view, out));
        egui::Panel::bottom("status").show(ui, |ui| chrome::status::status_ui(ui, jobs, view.state));
        egui::Panel::left("editor").resizable(true).default_size(360.0).min_size(240.0).show(ui, |ui| {
            views.editor.ui(ui, &view, out);
        });
        egui::Panel::right("details").resizable(true).default_size(300.0).min_size(200.0).show(ui, |ui| {
            views.details.ui(ui, &view, out);
        });
        chrome.prompts.ui(ctx, &chrome.inbox.sender(), out);
        egui::CentralPanel::default()
            .show(ui, |ui| {
                chrome::notifications::notifications_ui(ui, &mut chrome.notifications, out);
                chrome::notifications::model_error_ui(ui, view.model, out);
                views.central_ui(ui, &view, out)
            })
            .inner
    }

    /// Applies the frame's commands. A user's action also lifts the hold that a failed
    /// job puts on asking for analyses again.
    fn run(&mut self, commands: Vec<Command>, ctx: &egui::Context) {
        for c in commands {
            if c.changes_state() {
                self.autosave.changed();
            }
            if c.is_from_user() {
                self.jobs.forget_failure();
            }
            self.apply(c, ctx);
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
        self.autosave.tick(&self.state, true);
    }
}
