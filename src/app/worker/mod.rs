//! The one thread that owns the model: typed requests in, answers out, a repaint on each.
//!
//! A newer embed job supersedes an older one: the older job stops at its next batch.
//! A panic inside the model is caught, reported on that job, and the model is reloaded
//! for the next one. What the thread does with each request is in [`state`]; the
//! computations of an embed job are in [`compute`].

mod compute;
mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Instant;

use super::result::{Computed, JobId, Patch, SentenceTable};
use crate::engine::explain::{Explanation, GroupExplanation};
use crate::engine::{self, Embedder, ModelInfo, Pooling, Precision, TokenInfo};
use crate::{Error, Result};

/// Most sentences the app builds a full matrix (and heatmap) for.
pub const MAX_APP_MATRIX: usize = 12_000;

/// Makes an embedder for a model folder at a precision (the real ONNX loader, or a fake
/// in UI tests).
pub type Loader = Arc<dyn Fn(&Path, &Precision) -> Result<Box<dyn Embedder>> + Send + Sync>;

/// A model to load: its folder and which of its graphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    /// The model folder (or hub id).
    pub dir: PathBuf,
    /// fp32, int8, or a shipped quantized file.
    pub precision: Precision,
}

/// The loader for real model folders through ONNX Runtime.
pub fn onnx_loader() -> Loader {
    Arc::new(|dir: &Path, precision: &Precision| {
        let start = Instant::now();
        let runtime = engine::runtime::load()?;
        let loaded = start.elapsed();
        let options = engine::LoadOptions { precision: precision.clone(), ..engine::LoadOptions::default() };
        let e = engine::OnnxEmbedder::load(&runtime, dir, options)?;
        log::info!(
            "ONNX Runtime ready in {:.0} ms, model {} loaded in {:.0} ms",
            loaded.as_secs_f64() * 1000.0,
            e.info().name,
            (start.elapsed() - loaded).as_secs_f64() * 1000.0
        );
        Ok(Box::new(e) as Box<dyn Embedder>)
    })
}

/// A job: embed these sentences and compare them.
#[derive(Debug, Clone)]
pub struct EmbedJob {
    /// Supersedes every lower id.
    pub id: JobId,
    /// The sentences, in matrix order.
    pub table: SentenceTable,
    /// The pooling.
    pub pooling: Pooling,
    /// Also compute the 2-D map.
    pub map: bool,
    /// Also compute the clustering order.
    pub cluster: bool,
    /// The job whose answer the app shows; when only a few sentences differ from it,
    /// the worker answers with a [`Patch`] against it.
    pub patch_base: Option<JobId>,
}

/// Requests to the worker.
#[derive(Debug)]
pub enum Request {
    /// Load a model folder, replacing the current model.
    Load(ModelChoice),
    /// Use the vectors in a file in place of a model. The worker reads the file once: its
    /// sentences are its own `text` column, else a sentence file of the same name beside
    /// it, else `texts`; the first two replace the open ones ([`Response::VectorsSentences`]).
    LoadVectors {
        /// The NPY or Parquet file.
        path: PathBuf,
        /// The sentences open now, in the file's row order when it has none of its own.
        texts: Vec<String>,
    },
    /// Embed and compare.
    Embed(EmbedJob),
    /// Tokenize one sentence for inspection.
    Tokens(String),
    /// Embed a search query with its pooling.
    Query(Query),
    /// Score the model on a scored-pairs file with this pooling.
    Score(PathBuf, Pooling),
    /// Explain a pair's score.
    Explain(ExplainPair),
    /// Explain the mean similarity of two groups (mean pooling).
    ExplainGroups(ExplainGroups),
}

/// A search query to embed, made as the result it ranks was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The query text.
    pub text: String,
    /// The pooling to embed it with (the result's).
    pub pooling: Pooling,
    /// The graph the result was embedded with.
    pub precision: Precision,
    /// The model of the result: a query asked for another result is another question.
    pub fingerprint: String,
}

/// Which pair to explain.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainPair {
    /// The row's sentence.
    pub a: String,
    /// The column's sentence.
    pub b: String,
    /// The pooling of the shown result.
    pub pooling: Pooling,
    /// The model of the shown result: another model's explanation is not this one's.
    pub fingerprint: String,
}

/// Which groups to explain.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainGroups {
    /// The row group's index.
    pub g: usize,
    /// The column group's index.
    pub h: usize,
    /// The row group's sentences.
    pub texts_g: Vec<String>,
    /// The column group's sentences (unused when `g == h`).
    pub texts_h: Vec<String>,
    /// The model of the shown result.
    pub fingerprint: String,
}

/// Answers from the worker.
#[derive(Debug)]
pub enum Response {
    /// A model finished loading (or failed to).
    Loaded(Result<ModelInfo>),
    /// The sentences an opened vectors file belongs to, sent before its `Loaded`.
    VectorsSentences {
        /// The file's own sentences, or those of the sentence file beside it.
        set: Box<crate::io::SentenceSet>,
        /// Where they were read from.
        from: PathBuf,
    },
    /// Progress of the running job.
    Progress {
        /// The job.
        job: JobId,
        /// Sentences done.
        done: usize,
        /// Sentences to do.
        total: usize,
    },
    /// A job finished.
    Done(Box<Computed>),
    /// A job finished as a change to an earlier answer.
    Patched(Box<Patch>),
    /// A request failed (never sent for a superseded job).
    Failed {
        /// The embed job, or `None` for a request outside the embed jobs (a query or
        /// a quality check).
        job: Option<JobId>,
        /// Why.
        error: Error,
    },
    /// Tokens of a sentence.
    Tokens(String, Result<TokenInfo>),
    /// Something the user should know that is not an error of a request (the disk cache off).
    Note(String),
    /// A pair's explanation.
    Explained(ExplainPair, Result<Explanation>),
    /// Two groups' explanation.
    GroupsExplained(ExplainGroups, Result<GroupExplanation>),
    /// Progress of a quality check.
    ScoreProgress {
        /// Sentences embedded.
        done: usize,
        /// Sentences to embed.
        total: usize,
    },
    /// A quality check finished.
    Scored {
        /// The model.
        model: ModelInfo,
        /// The pooling.
        pooling: Pooling,
        /// The pairs file.
        file: PathBuf,
        /// The scores, or why not.
        result: Result<crate::engine::eval::PairScore>,
    },
    /// A query's vector, with the model it was made with (the pooling is the one asked).
    Query {
        /// What was asked.
        asked: Query,
        /// Its normalised vector.
        result: Result<Vec<f32>>,
        /// The fingerprint of the model that embedded it.
        fingerprint: String,
        /// The graph that embedded it.
        precision: Precision,
    },
}

/// The worker thread, if it started: requests without one go nowhere.
pub struct Link(pub Option<Worker>);

impl Link {
    /// Sends `request` to the worker, if there is one.
    pub fn send(&self, request: Request) {
        if let Some(w) = &self.0 {
            w.send(request);
        }
    }
}

/// Handle to the worker thread; dropping it stops and joins the thread.
pub struct Worker {
    tx: Option<Sender<Request>>,
    rx: Receiver<Response>,
    latest: Arc<AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker. `repaint` is called after every answer. With `cache_dir`,
    /// vectors are also kept in (and read from) the on-disk cache there. Fails only when
    /// the system cannot start a thread.
    pub fn spawn(
        loader: Loader,
        cache_dir: Option<PathBuf>,
        repaint: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, requests) = channel();
        let (answers, rx) = channel();
        let latest = Arc::new(AtomicU64::new(0));
        let shared = latest.clone();
        let handle = std::thread::Builder::new().name("simlens-embedder".into()).spawn(move || {
            let mut worker = state::WorkerState::new(loader, cache_dir, shared, answers, Box::new(repaint));
            while let Ok(request) = requests.recv() {
                worker.handle(request);
            }
        })?;
        Ok(Self { tx: Some(tx), rx, latest, handle: Some(handle) })
    }

    /// Sends a request. An embed job supersedes every earlier one at once.
    pub fn send(&self, request: Request) {
        if let Request::Embed(job) = &request {
            self.latest.fetch_max(job.id.0, Ordering::SeqCst);
        }
        if let Some(tx) = &self.tx {
            // The thread only ends when this handle drops, so the channel stays open;
            // were it gone, its last answer (a panic report) has already been shown.
            tx.send(request).ok();
        }
    }

    /// The next answer, if any.
    pub fn try_recv(&self) -> Option<Response> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Supersede any running job so the thread notices quickly, then close and join.
        self.latest.store(u64::MAX, Ordering::SeqCst);
        self.tx = None;
        if let Some(h) = self.handle.take() {
            h.join().ok();
        }
    }
}
