//! Job scheduling: the debounce, what was last sent, the worker's answers, and the
//! small requests (search query, tokens, quality check) that go beside the embed jobs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::command::{Command, ResultChange};
use super::result::{Computed, JobId, Patch, SentenceTable};
use super::worker::{EmbedJob, ExplainGroups, ExplainPair, ModelChoice, Request, Response, Worker};
use super::{AppOptions, ModelStatus, Notification, Selection};
use crate::engine::eval::PairScore;
use crate::engine::explain::{Explanation, GroupExplanation};
use crate::engine::{ModelInfo, Pooling, Precision, TokenInfo};
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

/// Progress of a quality check.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scoring {
    /// Sentences embedded.
    pub done: usize,
    /// Sentences to embed (0 until the worker reports).
    pub total: usize,
}

/// A sentence's tokens as the worker reported them.
#[derive(Debug, Clone)]
pub struct TokensOf {
    /// The sentence.
    pub text: String,
    /// Its tokens, or why not.
    pub result: Result<TokenInfo, String>,
}

/// An explanation as it arrived, for what it was asked.
#[derive(Debug, Clone)]
pub struct Explained<A, T> {
    /// What was asked.
    pub asked: A,
    /// The answer, or why not.
    pub result: Result<T, String>,
    /// From the request to the answer.
    pub took: Duration,
}

/// A selected cell of the group matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSelection {
    /// The row group.
    pub g: usize,
    /// The column group.
    pub h: usize,
}

/// Most sentences a group may have for the app to explain it (the model runs on each).
const MAX_EXPLAINED_GROUP: usize = 2_000;

/// A search query's vector and the model and pooling it was made with.
#[derive(Debug, Clone)]
struct QueryVector {
    vector: Vec<f32>,
    fingerprint: String,
    pooling: Pooling,
}

/// The search: the query, its vector, and the ranked sentences.
#[derive(Default)]
pub struct Search {
    /// The query last searched for.
    pub query: String,
    vector: Option<QueryVector>,
    /// (sentence, score), best first.
    pub hits: Option<Vec<(usize, f32)>>,
    requeried_for: Option<JobId>,
}

/// The worker, the model's state and everything in flight.
pub struct JobScheduler {
    worker: Option<Worker>,
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
    /// The selected cell, in matrix order.
    pub selection: Option<Selection>,
    /// Tokens of the selected row's sentence.
    pub tokens: Option<TokensOf>,
    /// The search.
    pub search: Search,
    /// The selected pair's explanation.
    pub explanation: Option<Explained<ExplainPair, Explanation>>,
    /// The selected group cell.
    pub group_selection: Option<GroupSelection>,
    /// Its explanation.
    pub group_explanation: Option<Explained<ExplainGroups, GroupExplanation>>,
    /// Explanations asked for and not answered yet, with when.
    explaining: Option<(ExplainPair, Instant)>,
    explaining_groups: Option<(ExplainGroups, Instant)>,
    /// Blank sentences left out of the last job.
    pub skipped_empty: usize,
    next_job: JobId,
    dirty_since: Option<Instant>,
    last_sent: Option<JobKey>,
    /// The last job failed: analyses are not asked for again until something changes.
    last_job_failed: bool,
    debounce: Duration,
}

impl JobScheduler {
    /// Nothing running yet; the worker starts on the first frame.
    pub fn new(debounce: Duration) -> Self {
        Self {
            worker: None,
            model: ModelStatus::Loading(Default::default()),
            result: None,
            patches: 0,
            running: None,
            scoring: None,
            selection: None,
            tokens: None,
            search: Search::default(),
            explanation: None,
            group_selection: None,
            group_explanation: None,
            explaining: None,
            explaining_groups: None,
            skipped_empty: 0,
            next_job: JobId::default(),
            dirty_since: None,
            last_sent: None,
            last_job_failed: false,
            debounce,
        }
    }

    /// Whether a job is running or waiting for the debounce.
    pub fn is_busy(&self) -> bool {
        match self.model {
            ModelStatus::Loading(_) => true,
            ModelStatus::Ready(_) => self.running.is_some() || self.dirty_since.is_some(),
            ModelStatus::Failed(_) => false,
        }
    }

    /// Whether edits are waiting for the debounce.
    pub fn is_waiting(&self) -> bool {
        self.dirty_since.is_some()
    }

    /// The pooling in effect: the chosen one if the model allows it, else the model's default.
    pub fn pooling(&self, chosen: Option<Pooling>) -> Pooling {
        match (&self.model, chosen) {
            (ModelStatus::Ready(info), Some(p)) if info.poolings.contains(&p) => p,
            (ModelStatus::Ready(info), _) => info.default_pooling,
            (_, Some(p)) => p,
            (_, None) => Pooling::Mean,
        }
    }

    /// Starts the worker and loads the model, once. A thread that cannot start is
    /// reported as the model's failure, so the window says so instead of waiting.
    pub fn ensure_worker(&mut self, ctx: &egui::Context, options: &AppOptions, state: &State) {
        if self.worker.is_some() || matches!(self.model, ModelStatus::Failed(_)) {
            return;
        }
        let repaint = ctx.clone();
        match Worker::spawn(options.loader.clone(), options.cache_dir.clone(), move || repaint.request_repaint()) {
            Ok(worker) => {
                self.worker = Some(worker);
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
        self.last_sent = None;
        match &self.worker {
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
        self.last_sent = None;
        self.model = ModelStatus::Loading(path.clone());
        if let Some(w) = &self.worker {
            w.send(Request::LoadVectors { path, texts });
        }
    }

    /// Sends a request that needs no bookkeeping.
    pub fn send(&self, request: Request) {
        if let Some(w) = &self.worker {
            w.send(request);
        }
    }

    /// Edits happened: a job follows once they pause.
    pub fn mark_dirty(&mut self) {
        self.dirty_since = Some(Instant::now());
        self.last_job_failed = false;
    }

    /// Something changed that needs no debounce (a model, a pooling, a file).
    pub fn mark_dirty_now(&mut self) {
        self.dirty_since = Some(Instant::now() - self.debounce);
        self.last_job_failed = false;
    }

    /// Something changed at the user's hand: a failed job no longer holds back analyses.
    pub fn forget_failure(&mut self) {
        self.last_job_failed = false;
    }

    /// The worker's answers as commands for the reducer.
    pub fn poll(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        let answers: Vec<Response> = match &self.worker {
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
                self.tokens = None;
                self.explanation = None;
                self.group_explanation = None;
                self.model = ModelStatus::Ready(Box::new(info));
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
            Response::Done(c) => self.done(*c, out),
            Response::Patched(p) => self.patched(*p, out),
            Response::Failed { job: Some(job), error } => {
                self.last_job_failed = true;
                if self.running.is_some_and(|r| r.id == job) {
                    self.running = None;
                }
                self.last_sent = None;
                out.push(Command::Notify(Notification::error(error.to_string())));
            }
            // A query or a quality check: the embed jobs are not held back by it.
            Response::Failed { job: None, error } => {
                self.scoring = None;
                out.push(Command::Notify(Notification::error(error.to_string())));
            }
            Response::ScoreProgress { done, total } => self.scoring = Some(Scoring { done, total }),
            Response::Scored { model, pooling, file, result } => self.scored(model, pooling, file, result, out),
            Response::Query { text, result, fingerprint, pooling } => match result {
                // A reply to an older query is dropped: the newer one is on its way.
                Ok(_) if text != self.search.query => {}
                Ok(vector) => {
                    self.search.vector = Some(QueryVector { vector, fingerprint, pooling });
                    self.rank_search();
                }
                Err(_) if text != self.search.query => {}
                Err(e) => out.push(Command::Notify(Notification::error(format!("Search failed: {e}")))),
            },
            Response::Note(text) => out.push(Command::Notify(Notification::info(text))),
            Response::Explained(asked, result) => {
                if let Some((_, at)) = self.explaining.take_if(|(p, _)| *p == asked) {
                    let took = at.elapsed();
                    log::info!("explanation in {:.1} ms", took.as_secs_f64() * 1000.0);
                    self.explanation = Some(Explained { asked, result: result.map_err(|e| e.to_string()), took });
                }
            }
            Response::GroupsExplained(asked, result) => {
                if let Some((_, at)) = self.explaining_groups.take_if(|(p, _)| *p == asked) {
                    let took = at.elapsed();
                    self.group_explanation = Some(Explained { asked, result: result.map_err(|e| e.to_string()), took });
                }
            }
            Response::Tokens(text, result) => {
                self.tokens = Some(TokensOf { text, result: result.map_err(|e| e.to_string()) });
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
                self.rank_search();
                self.request_tokens();
                self.request_explanation();
                self.refresh_group_explanation();
            }
            None => {
                // The answer it changes is gone: ask for a full one.
                self.last_sent = None;
                self.mark_dirty_now();
            }
        }
    }

    fn scored(
        &mut self,
        model: ModelInfo,
        pooling: Pooling,
        file: PathBuf,
        result: crate::Result<PairScore>,
        out: &mut Vec<Command>,
    ) {
        self.scoring = None;
        let score = match result {
            Ok(score) => score,
            Err(e) => {
                out.push(Command::Notify(Notification::error(format!("Quality check failed: {e}"))));
                return;
            }
        };
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        out.push(Command::Notify(Notification::info(format!(
            "Quality check of {} ({pooling}) on {name}: Spearman × 100 = {:.2} over {} pairs.",
            model.name, score.spearman, score.pairs
        ))));
        out.push(Command::RecordQuality(session::QualityScore {
            fingerprint: model.fingerprint,
            model: model.name,
            pooling,
            file,
            spearman: score.spearman,
            pearson: score.pearson,
            pairs: score.pairs,
        }));
    }

    fn finished(&mut self, job: JobId) {
        self.last_job_failed = false;
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
            self.selection = self.follow_selection(&c.table);
        }
        self.result = Some(Arc::new(c));
        out.push(Command::ResultChanged(ResultChange::Replaced));
        self.rank_search();
        self.request_tokens();
        self.request_explanation();
        self.refresh_group_explanation();
    }

    /// Sends an embed job once edits have been quiet for the debounce time.
    pub fn maybe_submit(&mut self, ctx: &egui::Context, state: &State) {
        let Some(since) = self.dirty_since else {
            return;
        };
        let wait = self.debounce.saturating_sub(since.elapsed());
        if !wait.is_zero() {
            ctx.request_repaint_after(wait);
            return;
        }
        let ModelStatus::Ready(info) = &self.model else {
            return;
        };
        self.dirty_since = None;
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
        if self.last_sent.as_ref() == Some(&key) {
            return;
        }
        self.next_job = self.next_job.next();
        let id = self.next_job;
        self.running = Some(Running { id, done: 0, total: 0, started: Instant::now() });
        let job = EmbedJob {
            id,
            table: key.table.clone(),
            pooling: key.pooling,
            map: key.map,
            cluster: key.cluster,
            patch_base: self.result.as_ref().map(|r| r.job),
        };
        self.last_sent = Some(key);
        self.send(Request::Embed(job));
    }

    /// The map and the clustering are computed only when shown; switching to them asks
    /// the worker again (the vectors come from its cache).
    pub fn request_missing_analyses(&mut self, state: &State) {
        let Some(r) = &self.result else { return };
        let want_map = state.view.tab == session::Tab::Map && r.map.is_none();
        let want_cluster =
            state.view.order == session::Order::Clustered && r.cluster_order.is_none() && !r.table.is_empty();
        if (want_map || want_cluster) && self.dirty_since.is_none() && self.running.is_none() && !self.last_job_failed {
            self.mark_dirty_now();
        }
    }

    /// Searches for `text`; an empty text clears the search.
    pub fn search_for(&mut self, text: String) {
        if text.trim().is_empty() {
            self.search = Search::default();
        } else {
            self.search.query = text.trim().to_owned();
            self.send(Request::Query(self.search.query.clone()));
        }
    }

    /// Ranks the current result's sentences against the search vector.
    fn rank_search(&mut self) {
        let (Some(r), Some(q)) = (&self.result, &self.search.vector) else { return };
        if r.model.fingerprint != q.fingerprint || r.pooling != q.pooling {
            // The model or pooling changed since: embed the query again, once per result
            // (a failed job can leave the shown result on the old model).
            if self.search.requeried_for == Some(r.job) {
                return;
            }
            self.search.requeried_for = Some(r.job);
            self.search.vector = None;
            self.send(Request::Query(self.search.query.clone()));
            return;
        }
        self.search.hits = Some(crate::engine::analysis::search(&r.embeddings, &q.vector, 10));
    }

    /// Selects a cell and asks for its row's tokens and the pair's explanation.
    pub fn select(&mut self, selection: Option<Selection>) {
        self.selection = selection;
        self.request_tokens();
        self.request_explanation();
    }

    /// Asks why the selected pair scores what it does, unless that is known or asked.
    fn request_explanation(&mut self) {
        let (Some(sel), Some(r)) = (self.selection, &self.result) else { return };
        let (Some(a), Some(b)) = (r.table.texts.get(sel.row), r.table.texts.get(sel.col)) else { return };
        let pair =
            ExplainPair { a: a.clone(), b: b.clone(), pooling: r.pooling, fingerprint: r.model.fingerprint.clone() };
        if self.explaining.as_ref().is_some_and(|(p, _)| *p == pair) {
            return;
        }
        // A failed answer (no model for a moment) is asked again; a good one is kept.
        if self.explanation.as_ref().is_some_and(|e| e.asked == pair && e.result.is_ok()) {
            // An answer on its way for another pair would replace this one: it is not wanted now.
            self.explaining = None;
            return;
        }
        self.explaining = Some((pair.clone(), Instant::now()));
        self.send(Request::Explain(pair));
    }

    /// Keeps the group explanation in step with the result: asked again for the new
    /// sentences, or dropped when its groups are gone.
    fn refresh_group_explanation(&mut self) {
        let Some(sel) = self.group_selection else { return };
        let groups = self.result.as_ref().map_or(0, |r| r.table.group_names.len());
        if sel.g >= groups || sel.h >= groups {
            self.group_selection = None;
            self.group_explanation = None;
            return;
        }
        self.select_groups(sel);
    }

    /// Where the selected sentences are in the new result, by text; `None` when one is gone.
    fn follow_selection(&self, new: &SentenceTable) -> Option<Selection> {
        let (sel, old) = (self.selection?, &self.result.as_ref()?.table);
        let at = |i: usize| old.texts.get(i).and_then(|t| new.texts.iter().position(|n| n == t));
        Some(Selection { row: at(sel.row)?, col: at(sel.col)? })
    }

    /// Selects a cell of the group matrix and asks for its explanation.
    pub fn select_groups(&mut self, selection: GroupSelection) {
        self.group_selection = Some(selection);
        let Some(r) = &self.result else { return };
        let texts = |g: usize| -> Vec<String> {
            r.table.texts.iter().zip(&r.table.groups).filter(|(_, gg)| **gg == g).map(|(t, _)| t.clone()).collect()
        };
        let asked = ExplainGroups {
            g: selection.g,
            h: selection.h,
            texts_g: texts(selection.g),
            texts_h: if selection.g == selection.h { Vec::new() } else { texts(selection.h) },
            fingerprint: r.model.fingerprint.clone(),
        };
        let largest = asked.texts_g.len().max(asked.texts_h.len());
        if largest > MAX_EXPLAINED_GROUP {
            let why = format!(
                "A group explanation runs the model on every sentence of both groups; these have up to {largest}, more than {MAX_EXPLAINED_GROUP}. Explain single pairs in the heatmap, or use `simlens explain FILE --groups A B`."
            );
            self.group_explanation = Some(Explained { asked, result: Err(why), took: Duration::ZERO });
            return;
        }
        if r.pooling != Pooling::Mean {
            let why = format!(
                "Group explanations are exact for mean pooling only; this result uses {} pooling. Choose mean in the Pooling menu.",
                r.pooling
            );
            self.group_explanation = Some(Explained { asked, result: Err(why), took: Duration::ZERO });
            return;
        }
        if self.group_explanation.as_ref().is_some_and(|e| e.asked == asked && e.result.is_ok()) {
            self.explaining_groups = None;
            return;
        }
        if self.explaining_groups.as_ref().is_some_and(|(a, _)| *a == asked) {
            return;
        }
        // The old answer is of other sentences: a spinner until the new one lands.
        self.group_explanation = None;
        self.explaining_groups = Some((asked.clone(), Instant::now()));
        self.send(Request::ExplainGroups(asked));
    }

    fn request_tokens(&mut self) {
        let Some(row) = self.selection.map(|s| s.row) else {
            return;
        };
        let Some(text) = self.result.as_ref().and_then(|r| r.table.texts.get(row)).cloned() else {
            return;
        };
        if self.tokens.as_ref().is_some_and(|t| t.text == text) {
            return;
        }
        self.send(Request::Tokens(text));
    }

    /// Starts a quality check on `path`.
    pub fn check_quality(&mut self, path: PathBuf, pooling: Pooling) {
        self.scoring = Some(Scoring::default());
        self.send(Request::Score(path, pooling));
    }
}

/// The model folder the state names, or the bundled one.
pub fn model_dir(state: &State, options: &AppOptions) -> PathBuf {
    state.model_dir.clone().unwrap_or_else(|| options.bundled_model.clone())
}
