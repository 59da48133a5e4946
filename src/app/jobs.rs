//! Job scheduling: the debounce, what was last sent, and the worker's answers turned
//! into commands or handed to [`Asks`], which the answers feed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::asks::Asks;
use super::command::{Command, ResultChange};
use super::notice::Notification;
use super::options::{AppOptions, ModelStatus, model_dir};
use super::quality::{Scoring, scored};
use super::result::{Computed, JobId, Patch, SentenceTable};
use super::search::QueryVector;
use super::selection::{GroupSelection, Selection, TokensOf};
use super::worker::{EmbedJob, Link, ModelChoice, Request, Response, Worker};
use crate::engine::{Pooling, Precision};
use crate::session::{self, State};

/// What makes two embed jobs the same; an identical job is never sent twice.
#[derive(Debug, Clone, PartialEq)]
struct JobKey {
    table: SentenceTable,
    pooling: Pooling,
    fingerprint: String,
    map: bool,
    cluster: bool,
}

/// The running job, for the status line.
#[derive(Debug, Clone, Copy)]
pub struct Running {
    /// The job.
    pub id: JobId,
    /// Sentences done.
    pub done: usize,
    /// Sentences to do (0 until the worker reports).
    pub total: usize,
    /// When it was sent.
    pub started: Instant,
}

/// When the next embed job is due and what the last one was.
struct Debounce {
    /// Quiet time after an edit before a job is sent.
    wait: Duration,
    /// Since when edits wait for a job.
    dirty_since: Option<Instant>,
    next_job: JobId,
    last_sent: Option<JobKey>,
    /// The last job failed: analyses are not asked for again until something changes.
    last_job_failed: bool,
}

/// The worker, the model's state and everything in flight.
pub struct JobScheduler {
    worker: Link,
    /// The model's state.
    pub model: ModelStatus,
    /// The latest finished comparison; it stays until a newer one arrives.
    pub result: Option<Arc<Computed>>,
    /// How many answers arrived as patches (a few rows changed in place).
    pub patches: u64,
    /// The running embed job.
    pub running: Option<Running>,
    /// A running quality check.
    pub scoring: Option<Scoring>,
    /// The selection, the search and the explanations: what is asked about the result.
    pub asks: Asks,
    /// Blank sentences left out of the last job.
    pub skipped_empty: usize,
    debounce: Debounce,
}

impl JobScheduler {
    /// Nothing running yet; the worker starts on the first frame.
    pub fn new(debounce: Duration) -> Self {
        Self {
            worker: Link(None),
            model: ModelStatus::Loading(Default::default()),
            result: None,
            patches: 0,
            running: None,
            scoring: None,
            asks: Asks::default(),
            skipped_empty: 0,
            debounce: Debounce {
                wait: debounce,
                dirty_since: None,
                next_job: JobId::default(),
                last_sent: None,
                last_job_failed: false,
            },
        }
    }

    /// Whether a job is running or waiting for the debounce.
    pub fn is_busy(&self) -> bool {
        match self.model {
            ModelStatus::Loading(_) => true,
            ModelStatus::Ready(_) => self.running.is_some() || self.debounce.dirty_since.is_some(),
            ModelStatus::Failed(_) => false,
        }
    }

    /// Whether edits are waiting for the debounce.
    pub fn is_waiting(&self) -> bool {
        self.debounce.dirty_since.is_some()
    }

    /// The pooling in effect: the chosen one if the model allows it, else the model's default.
    pub fn pooling(&self, chosen: Option<Pooling>) -> Pooling {
        self.model.pooling(chosen)
    }

    /// Starts the worker and loads the model, once. A thread that cannot start is
    /// reported as the model's failure, so the window says so instead of waiting.
    pub fn ensure_worker(&mut self, ctx: &egui::Context, options: &AppOptions, state: &State) {
        if self.worker.0.is_some() || matches!(self.model, ModelStatus::Failed(_)) {
            return;
        }
        let repaint = ctx.clone();
        match Worker::spawn(options.loader.clone(), options.cache_dir.clone(), move || repaint.request_repaint()) {
            Ok(worker) => {
                self.worker = Link(Some(worker));
                self.load_model(model_dir(state, options), state.precision.clone());
                self.mark_dirty_now();
            }
            Err(e) => {
                self.model = ModelStatus::Failed(format!(
                    "cannot start the embedding thread: {e}. Free some memory or close other programs, then retry."
                ));
            }
        }
    }

    /// Loads `dir` at `precision`, replacing the model.
    pub fn load_model(&mut self, dir: PathBuf, precision: Precision) {
        self.debounce.last_sent = None;
        match &self.worker.0 {
            Some(w) => {
                self.model = ModelStatus::Loading(dir.clone());
                w.send(Request::Load(ModelChoice { dir, precision }));
            }
            // The thread failed to start: a retry tries to start it again.
            None => self.model = ModelStatus::Loading(dir),
        }
    }

    /// Uses the vectors in `path` for `texts` in place of a model.
    pub fn load_vectors(&mut self, path: PathBuf, texts: Vec<String>) {
        self.debounce.last_sent = None;
        self.model = ModelStatus::Loading(path.clone());
        if let Some(w) = &self.worker.0 {
            w.send(Request::LoadVectors { path, texts });
        }
    }

    /// Sends a request that needs no bookkeeping.
    pub fn send(&self, request: Request) {
        self.worker.send(request);
    }

    /// Edits happened: a job follows once they pause.
    pub fn mark_dirty(&mut self) {
        self.debounce.dirty_since = Some(Instant::now());
        self.debounce.last_job_failed = false;
    }

    /// Something changed that needs no debounce (a model, a pooling, a file).
    pub fn mark_dirty_now(&mut self) {
        self.debounce.dirty_since = Some(Instant::now() - self.debounce.wait);
        self.debounce.last_job_failed = false;
    }

    /// Something changed at the user's hand: a failed job no longer holds back analyses.
    pub fn forget_failure(&mut self) {
        self.debounce.last_job_failed = false;
    }

    /// The worker's answers as commands for the reducer.
    pub fn poll(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        let answers: Vec<Response> = match &self.worker.0 {
            Some(w) => std::iter::from_fn(|| w.try_recv()).collect(),
            None => Vec::new(),
        };
        for r in answers {
            self.handle(r, &mut out);
        }
        out
    }

    fn handle(&mut self, r: Response, out: &mut Vec<Command>) {
        match r {
            Response::Loaded(Ok(info)) => {
                out.extend(info.notes.iter().map(|n| Command::Notify(Notification::info(n.clone()))));
                // Another model reads other tokens and explains otherwise.
                self.asks.forget_answers();
                self.model = ModelStatus::Ready(Box::new(info));
                self.debounce.last_sent = None;
                self.mark_dirty_now();
            }
            Response::VectorsSentences { set, from } => {
                let name = from.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                out.push(Command::ReplaceSet { set, what: format!("open {name}") });
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
            Response::Done(c) => self.done(*c, out),
            Response::Patched(p) => self.patched(*p, out),
            Response::Failed { job: Some(job), error } => {
                self.debounce.last_job_failed = true;
                if self.running.is_some_and(|r| r.id == job) {
                    self.running = None;
                }
                self.debounce.last_sent = None;
                out.push(Command::Notify(Notification::error(error.to_string())));
            }
            // A query or a quality check: the embed jobs are not held back by it.
            Response::Failed { job: None, error } => {
                self.scoring = None;
                out.push(Command::Notify(Notification::error(error.to_string())));
            }
            Response::ScoreProgress { done, total } => self.scoring = Some(Scoring { done, total }),
            Response::Scored { model, pooling, file, result } => {
                self.scoring = None;
                out.extend(scored(model, pooling, &file, result));
            }
            Response::Query { asked, result, fingerprint, precision: _ } => {
                let answer = result.map(|vector| QueryVector { vector, fingerprint }).map_err(|e| e.to_string());
                let (r, link) = (self.result.as_deref(), &self.worker);
                if let Some(e) = self.asks.search.answer(asked, answer, r, |q| link.send(Request::Query(q))) {
                    out.push(Command::Notify(Notification::error(e)));
                }
            }
            Response::Note(text) => out.push(Command::Notify(Notification::info(text))),
            Response::Explained(asked, result) => {
                if let Some(took) = self.asks.explanations.pair.answer(asked, result.map_err(|e| e.to_string())) {
                    log::info!("explanation in {:.1} ms", took.as_secs_f64() * 1000.0);
                }
            }
            Response::GroupsExplained(asked, result) => {
                self.asks.explanations.groups.answer(asked, result.map_err(|e| e.to_string()));
            }
            Response::Tokens(text, result) => {
                self.asks.selected.tokens = Some(TokensOf { text, result: result.map_err(|e| e.to_string()) });
            }
        }
    }

    fn patched(&mut self, p: Patch, out: &mut Vec<Command>) {
        self.finished(p.job);
        match self.result.as_mut().filter(|r| r.job == p.base) {
            Some(r) => {
                let cut = p.changed.iter().filter(|i| p.truncated.binary_search(i).is_ok()).count();
                if cut > 0 {
                    out.push(Command::Notify(Notification::info(format!(
                        "{cut} edited sentence(s) are longer than {} tokens; only their start was used.",
                        r.model.max_length
                    ))));
                }
                // Unshared unless another view holds the old answer; then it is copied once.
                Arc::make_mut(r).apply(&p);
                self.patches += 1;
                out.push(Command::ResultChanged(ResultChange::Patched { job: p.job, changed: p.changed }));
                self.asks.result_arrived(self.result.as_deref(), &self.worker);
            }
            None => {
                // The answer it changes is gone: ask for a full one.
                self.debounce.last_sent = None;
                self.mark_dirty_now();
            }
        }
    }

    fn finished(&mut self, job: JobId) {
        self.debounce.last_job_failed = false;
        if self.running.is_some_and(|r| r.id == job) {
            self.running = None;
        }
    }

    fn done(&mut self, c: Computed, out: &mut Vec<Command>) {
        self.finished(c.job);
        if !c.embeddings.truncated.is_empty() {
            out.push(Command::Notify(Notification::info(format!(
                "{} sentence(s) are longer than {} tokens; only their start was used.",
                c.embeddings.truncated.len(),
                c.model.max_length
            ))));
        }
        let same_shape = self.result.as_ref().is_some_and(|r| r.table.texts == c.table.texts);
        if !same_shape {
            // The selection follows its sentences; one that is gone is dropped.
            self.asks.selected.follow(self.result.as_ref().map(|r| &r.table), &c.table);
        }
        self.result = Some(Arc::new(c));
        out.push(Command::ResultChanged(ResultChange::Replaced));
        self.asks.result_arrived(self.result.as_deref(), &self.worker);
    }

    /// Sends an embed job once edits have been quiet for the debounce time.
    pub fn maybe_submit(&mut self, ctx: &egui::Context, state: &State) {
        let Some(since) = self.debounce.dirty_since else {
            return;
        };
        let wait = self.debounce.wait.saturating_sub(since.elapsed());
        if !wait.is_zero() {
            ctx.request_repaint_after(wait);
            return;
        }
        let ModelStatus::Ready(info) = &self.model else {
            return;
        };
        self.debounce.dirty_since = None;
        let (table, skipped) = SentenceTable::from_set(&state.set);
        self.skipped_empty = skipped;
        let key = JobKey {
            table,
            pooling: self.pooling(state.pooling),
            fingerprint: info.fingerprint.clone(),
            // With UMAP too: the PCA stands in while the UMAP runs.
            map: state.view.tab == session::Tab::Map,
            cluster: state.view.order == session::Order::Clustered,
        };
        if self.debounce.last_sent.as_ref() == Some(&key) {
            return;
        }
        self.debounce.next_job = self.debounce.next_job.next();
        let id = self.debounce.next_job;
        self.running = Some(Running { id, done: 0, total: 0, started: Instant::now() });
        let job = EmbedJob {
            id,
            table: key.table.clone(),
            pooling: key.pooling,
            map: key.map,
            cluster: key.cluster,
            patch_base: self.result.as_ref().map(|r| r.job),
        };
        self.debounce.last_sent = Some(key);
        self.send(Request::Embed(job));
    }

    /// The map and the clustering are computed only when shown; switching to them asks
    /// the worker again (the vectors come from its cache).
    pub fn request_missing_analyses(&mut self, state: &State) {
        let Some(r) = &self.result else { return };
        let want_map = state.view.tab == session::Tab::Map && r.map.is_none();
        let want_cluster =
            state.view.order == session::Order::Clustered && r.cluster_order.is_none() && !r.table.is_empty();
        if (want_map || want_cluster)
            && self.debounce.dirty_since.is_none()
            && self.running.is_none()
            && !self.debounce.last_job_failed
        {
            self.mark_dirty_now();
        }
    }

    /// Searches for `text`; an empty text clears the search.
    pub fn search_for(&mut self, text: &str) {
        self.asks.search_for(text, self.result.as_deref(), &self.worker);
    }

    /// Selects a cell and asks for its row's tokens and the pair's explanation.
    pub fn select(&mut self, selection: Option<Selection>) {
        self.asks.select(selection, self.result.as_deref(), &self.worker);
    }

    /// Selects a cell of the group matrix and asks for its explanation.
    pub fn select_groups(&mut self, selection: GroupSelection) {
        self.asks.select_groups(selection, self.result.as_deref(), &self.worker);
    }

    /// Starts a quality check on `path`.
    pub fn check_quality(&mut self, path: PathBuf, pooling: Pooling) {
        self.scoring = Some(Scoring::default());
        self.send(Request::Score(path, pooling));
    }
}
