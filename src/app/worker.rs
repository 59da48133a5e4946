//! The one thread that owns the model: requests in, results out, a repaint on each answer.
//!
//! It keeps a cache keyed by (model fingerprint, pooling, text), so an edit re-embeds
//! only the sentences that changed. A newer job supersedes an older one: the older job
//! stops at its next batch. A panic inside the model is caught, reported on that job,
//! and the model is reloaded for the next one.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::engine::analysis::Misfit;
use crate::engine::cache::DiskCache;
use crate::engine::project::Projection;
use crate::engine::{self, Embedder, Embeddings, ModelInfo, Pooling, SimMatrix, TokenInfo};
use crate::{Error, Result};

/// Makes an embedder for a model folder (the real ONNX loader, or a fake in UI tests).
pub type Loader = Arc<dyn Fn(&Path) -> Result<Box<dyn Embedder>> + Send + Sync>;

/// The loader for real model folders through ONNX Runtime.
pub fn onnx_loader() -> Loader {
    Arc::new(|dir: &Path| {
        let start = Instant::now();
        let runtime = engine::runtime::load()?;
        let loaded = start.elapsed();
        let e = engine::OnnxEmbedder::load(&runtime, dir, engine::LoadOptions::default())?;
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
    /// Increasing job number; a higher one supersedes lower ones.
    pub id: u64,
    /// The sentences, in matrix order.
    pub texts: Vec<String>,
    /// The group index of each sentence.
    pub groups: Vec<usize>,
    /// The group names.
    pub group_names: Vec<String>,
    /// The pooling.
    pub pooling: Pooling,
    /// Also compute the 2-D map.
    pub map: bool,
    /// Also compute the clustering order.
    pub cluster: bool,
    /// The job whose answer the app shows; when only a few sentences differ from it,
    /// the worker answers with a [`Patch`] against it.
    pub patch_base: Option<u64>,
}

/// A few sentences changed: their new vectors and matrix rows, against an earlier answer.
#[derive(Debug, Clone)]
pub struct Patch {
    /// The answer this patch applies to.
    pub base: u64,
    /// The job it answers.
    pub job: u64,
    /// Indices of the changed sentences, ascending.
    pub changed: Vec<usize>,
    /// Their new texts.
    pub texts: Vec<String>,
    /// Their new vectors (`changed.len() × dim`).
    pub vectors: Vec<f32>,
    /// Their new rows of the matrix (`changed.len() × N`), which are also its columns;
    /// empty when the answer has no matrix.
    pub rows: Vec<f32>,
    /// Indices of all truncated sentences after the change.
    pub truncated: Vec<usize>,
    /// New mean similarity between groups.
    pub group_matrix: Vec<Option<f32>>,
    /// New misfits.
    pub misfits: Vec<Misfit>,
    /// Sentences that had to be embedded.
    pub embedded: usize,
    /// Time the job took.
    pub elapsed: Duration,
}

impl Computed {
    /// Applies `patch` in place: texts, vectors, matrix rows and columns, summaries.
    pub fn apply(&mut self, patch: &Patch) {
        let n = self.texts.len();
        let dim = self.embeddings.dim;
        for (k, &i) in patch.changed.iter().enumerate() {
            self.texts[i].clone_from(&patch.texts[k]);
            self.embeddings.data[i * dim..(i + 1) * dim].copy_from_slice(&patch.vectors[k * dim..(k + 1) * dim]);
            if self.sim.n == n && patch.rows.len() == patch.changed.len() * n {
                let row = &patch.rows[k * n..(k + 1) * n];
                self.sim.data[i * n..(i + 1) * n].copy_from_slice(row);
                for (j, &v) in row.iter().enumerate() {
                    self.sim.data[j * n + i] = v;
                }
            }
        }
        self.embeddings.truncated.clone_from(&patch.truncated);
        self.group_matrix.clone_from(&patch.group_matrix);
        self.misfits.clone_from(&patch.misfits);
        self.job = patch.job;
        self.embedded = patch.embedded;
        self.elapsed = patch.elapsed;
        // The map and the clustering describe the old vectors; they are asked for again.
        self.map = None;
        self.cluster_order = None;
        self.auto_range = std::sync::OnceLock::new();
    }
}

/// A finished comparison.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The job it answers.
    pub job: u64,
    /// The model used.
    pub model: ModelInfo,
    /// The pooling used.
    pub pooling: Pooling,
    /// The sentences, in matrix order.
    pub texts: Vec<String>,
    /// The group index of each sentence.
    pub groups: Vec<usize>,
    /// The group names.
    pub group_names: Vec<String>,
    /// The vectors.
    pub embeddings: Embeddings,
    /// Cosine similarity of every pair.
    pub sim: SimMatrix,
    /// Mean similarity between groups (`group_names.len()²`, row-major).
    pub group_matrix: Vec<Option<f32>>,
    /// Sentences closer to another group than to their own.
    pub misfits: Vec<Misfit>,
    /// The PCA map, when asked for.
    pub map: Option<Projection>,
    /// Average-linkage leaf order, when asked for and N allows it.
    pub cluster_order: Option<Vec<usize>>,
    /// Sentences that had to be embedded (not found in the cache).
    pub embedded: usize,
    /// Time the job took.
    pub elapsed: Duration,
    /// The off-diagonal value range, found once on first use (an N² scan).
    pub auto_range: std::sync::OnceLock<Option<(f32, f32)>>,
}

impl Computed {
    /// Smallest and largest similarity off the diagonal, computed once per result.
    pub fn off_diagonal_range(&self) -> Option<(f32, f32)> {
        *self.auto_range.get_or_init(|| self.sim.off_diagonal_range())
    }
}

/// Requests to the worker.
#[derive(Debug)]
pub enum Request {
    /// Load a model folder, replacing the current model.
    Load(PathBuf),
    /// Embed and compare.
    Embed(EmbedJob),
    /// Tokenize one sentence for inspection.
    Tokens(String),
    /// Embed a search query.
    Query(String),
    /// Score the model on a scored-pairs file with this pooling.
    Score(PathBuf, Pooling),
}

/// Answers from the worker.
#[derive(Debug)]
pub enum Response {
    /// A model finished loading (or failed to).
    Loaded(Result<ModelInfo>),
    /// Progress of the running job.
    Progress {
        /// The job.
        job: u64,
        /// Sentences done.
        done: usize,
        /// Sentences to do.
        total: usize,
    },
    /// A job finished.
    Done(Box<Computed>),
    /// A job finished as a change to an earlier answer.
    Patched(Box<Patch>),
    /// A job failed (never sent for a superseded job).
    Failed {
        /// The job.
        job: u64,
        /// Why.
        error: Error,
    },
    /// Tokens of a sentence.
    Tokens(String, Result<TokenInfo>),
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
    /// A query's vector, with the model and pooling it was made with.
    Query {
        /// The query text.
        text: String,
        /// Its normalised vector.
        result: Result<Vec<f32>>,
        /// The model's fingerprint.
        fingerprint: String,
        /// The pooling.
        pooling: Pooling,
    },
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
    /// vectors are also kept in (and read from) the on-disk cache there.
    pub fn spawn(loader: Loader, cache_dir: Option<PathBuf>, repaint: impl Fn() + Send + 'static) -> Self {
        let (tx, requests) = channel();
        let (answers, rx) = channel();
        let latest = Arc::new(AtomicU64::new(0));
        let shared = latest.clone();
        let handle = std::thread::Builder::new()
            .name("simlens-embedder".into())
            .spawn(move || run(loader, cache_dir, requests, answers, shared, repaint))
            .ok();
        Self { tx: Some(tx), rx, latest, handle }
    }

    /// Sends a request. An embed job supersedes every earlier one at once.
    pub fn send(&self, request: Request) {
        if let Request::Embed(job) = &request {
            self.latest.fetch_max(job.id, Ordering::SeqCst);
        }
        if let Some(tx) = &self.tx {
            tx.send(request).ok();
        }
    }

    /// The next answer, if any.
    pub fn try_recv(&self) -> Option<Response> {
        self.rx.try_recv().ok()
    }

    /// Waits up to `timeout` for the next answer (for tests and headless harnesses).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Response> {
        self.rx.recv_timeout(timeout).ok()
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

type CacheKey = (String, Pooling, String);
/// A vector and whether its text was truncated.
type Cached = (Vec<f32>, bool);

/// Most sentences the app builds a full matrix (and heatmap) for.
pub const MAX_APP_MATRIX: usize = 12_000;

/// Entries kept in the embedding cache before it is cleared.
const CACHE_LIMIT: usize = 200_000;
/// Sentences embedded between cache updates and supersede checks.
const CHUNK: usize = 256;

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

fn run(
    loader: Loader,
    cache_dir: Option<PathBuf>,
    requests: Receiver<Request>,
    answers: Sender<Response>,
    latest: Arc<AtomicU64>,
    repaint: impl Fn(),
) {
    let mut embedder: Option<Box<dyn Embedder>> = None;
    let mut dir: Option<PathBuf> = None;
    let mut cache: HashMap<CacheKey, Cached> = HashMap::new();
    let mut last_pooling: Option<Pooling> = None;
    let mut disk: Option<Disk> = None;
    let mut disk_failed: Option<(String, Pooling)> = None;
    let mut last: Option<Last> = None;
    let send = |r: Response| {
        answers.send(r).ok();
        repaint();
    };
    let load = |dir: &Path| -> Result<Box<dyn Embedder>> {
        std::panic::catch_unwind(AssertUnwindSafe(|| loader(dir)))
            .unwrap_or_else(|p| Err(Error::WorkerPanic(panic_message(p.as_ref()))))
    };
    while let Ok(request) = requests.recv() {
        match request {
            Request::Load(d) => {
                embedder = None;
                last = None;
                let result = load(&d);
                dir = Some(d);
                match result {
                    Ok(e) => {
                        send(Response::Loaded(Ok(e.info().clone())));
                        embedder = Some(e);
                    }
                    Err(e) => send(Response::Loaded(Err(e))),
                }
            }
            Request::Tokens(text) => {
                let result = match &embedder {
                    Some(e) => std::panic::catch_unwind(AssertUnwindSafe(|| e.tokens(&text)))
                        .unwrap_or_else(|p| Err(Error::WorkerPanic(panic_message(p.as_ref())))),
                    None => Err(Error::input(None, "no model is loaded")),
                };
                send(Response::Tokens(text, result));
            }
            Request::Score(file, pooling) => {
                let Some(e) = embedder.as_mut() else {
                    send(Response::Failed { job: 0, error: Error::input(None, "no model is loaded") });
                    continue;
                };
                let model = e.info().clone();
                let mut last = Instant::now();
                let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    let pairs = crate::io::pairs::read_pairs(&file)?;
                    crate::engine::eval::score_pairs(e.as_mut(), pooling, &pairs, &mut |done, total| {
                        if last.elapsed() > Duration::from_millis(100) {
                            send(Response::ScoreProgress { done, total });
                            last = Instant::now();
                        }
                        true
                    })
                }))
                .unwrap_or_else(|p| Err(Error::WorkerPanic(panic_message(p.as_ref()))));
                send(Response::Scored { model, pooling, file, result });
            }
            Request::Query(text) => {
                let Some(e) = embedder.as_mut() else {
                    send(Response::Failed { job: 0, error: Error::input(None, "no model is loaded") });
                    continue;
                };
                let pooling = last_pooling.unwrap_or(e.info().default_pooling);
                let fingerprint = e.info().fingerprint.clone();
                let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    e.embed(&[text.as_str()], pooling, &mut |_, _| true).map(|v| v.data)
                }))
                .unwrap_or_else(|p| Err(Error::WorkerPanic(panic_message(p.as_ref()))));
                send(Response::Query { text, result, fingerprint, pooling });
            }
            Request::Embed(job) => {
                last_pooling = Some(job.pooling);
                if job.id < latest.load(Ordering::SeqCst) {
                    continue;
                }
                // After a crash the model is reloaded: the worker restarts itself.
                if embedder.is_none()
                    && let Some(d) = &dir
                {
                    match load(d) {
                        // The same model again: no `Loaded`, which would make the app
                        // resend the job that just crashed.
                        Ok(e) => embedder = Some(e),
                        Err(error) => {
                            send(Response::Failed { job: job.id, error });
                            continue;
                        }
                    }
                }
                let Some(e) = embedder.as_mut() else {
                    send(Response::Failed { job: job.id, error: Error::input(None, "no model is loaded") });
                    continue;
                };
                if cache.len() > CACHE_LIMIT {
                    cache.clear();
                }
                let fingerprint = e.info().fingerprint.clone();
                let context = (fingerprint.clone(), job.pooling);
                if disk.as_ref().is_some_and(|d| d.fingerprint != fingerprint || d.pooling != job.pooling) {
                    disk = None;
                }
                if let Some(root) = &cache_dir
                    && disk.is_none()
                    && disk_failed.as_ref() != Some(&context)
                {
                    match DiskCache::open(root, &fingerprint, job.pooling, engine::cache::default_limit()) {
                        Ok(cache) => disk = Some(Disk { fingerprint, pooling: job.pooling, cache }),
                        Err(e) => {
                            // Said once per model and pooling; the jobs go on without it.
                            log::warn!("embedding cache at {} unavailable: {e}", root.display());
                            disk_failed = Some(context);
                        }
                    }
                }
                let changed = patchable(last.as_ref(), &job, &e.info().fingerprint);
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    let disk = disk.as_mut().map(|d| &mut d.cache);
                    let progress = |done, total| send(Response::Progress { job: job.id, done, total });
                    match (changed, last.as_mut()) {
                        (Some(changed), Some(l)) => {
                            patch_job(e.as_mut(), &job, changed, l, &mut cache, disk, &latest, &progress)
                                .map(|p| Response::Patched(Box::new(p)))
                        }
                        _ => embed_job(e.as_mut(), &job, &mut cache, disk, &latest, &progress).map(|c| {
                            last = Some(Last {
                                job: c.job,
                                fingerprint: c.model.fingerprint.clone(),
                                pooling: c.pooling,
                                texts: c.texts.clone(),
                                groups: c.groups.clone(),
                                group_names: c.group_names.clone(),
                                embeddings: c.embeddings.clone(),
                                has_matrix: c.sim.n == c.texts.len(),
                            });
                            Response::Done(Box::new(c))
                        }),
                    }
                }));
                match outcome {
                    Ok(Ok(answer)) => send(answer),
                    Ok(Err(Error::Cancelled)) => {}
                    Ok(Err(error)) => {
                        last = None;
                        send(Response::Failed { job: job.id, error });
                    }
                    Err(p) => {
                        last = None;
                        embedder = None;
                        send(Response::Failed { job: job.id, error: Error::WorkerPanic(panic_message(p.as_ref())) });
                    }
                }
            }
        }
    }
}

/// The on-disk cache of the current model and pooling.
struct Disk {
    fingerprint: String,
    pooling: Pooling,
    cache: DiskCache,
}

/// What the worker last answered, so a small edit can be answered with a [`Patch`].
struct Last {
    job: u64,
    fingerprint: String,
    pooling: Pooling,
    texts: Vec<String>,
    groups: Vec<usize>,
    group_names: Vec<String>,
    embeddings: Embeddings,
    has_matrix: bool,
}

/// Most changed sentences answered with a patch; more get a full recomputation.
const PATCH_MAX: usize = 64;

/// Makes sure every text of `texts` has its vector in the in-memory cache: from there,
/// from the disk cache, or embedded. Returns how many were embedded.
#[expect(clippy::too_many_arguments, reason = "the worker's pieces, passed by the one caller loop")]
fn ensure_vectors(
    e: &mut dyn Embedder,
    texts: &[&str],
    job: u64,
    pooling: Pooling,
    cache: &mut HashMap<CacheKey, Cached>,
    mut disk: Option<&mut DiskCache>,
    latest: &AtomicU64,
    progress: &dyn Fn(usize, usize),
) -> Result<usize> {
    let fingerprint = e.info().fingerprint.clone();
    let key = |t: &str| (fingerprint.clone(), pooling, t.to_owned());
    let mut seen = std::collections::HashSet::new();
    let mut missing: Vec<&str> =
        texts.iter().copied().filter(|t| !cache.contains_key(&key(t)) && seen.insert(*t)).collect();
    if let Some(d) = disk.as_deref_mut() {
        missing.retain(|t| match d.get(engine::cache::text_key(t)) {
            Some(hit) => {
                cache.insert(key(t), (hit.vector, hit.truncated));
                false
            }
            None => true,
        });
    }
    let total = missing.len();
    let mut done = 0;
    let mut last_report = Instant::now();
    for chunk in missing.chunks(CHUNK) {
        if job < latest.load(Ordering::SeqCst) {
            return Err(Error::Cancelled);
        }
        let emb = e.embed(chunk, pooling, &mut |d, _| {
            if last_report.elapsed() > Duration::from_millis(50) {
                progress(done + d, total);
                last_report = Instant::now();
            }
            job >= latest.load(Ordering::SeqCst)
        })?;
        for (i, (t, row)) in chunk.iter().zip(emb.rows()).enumerate() {
            let cut = emb.truncated.contains(&i);
            if let Some(d) = disk.as_deref_mut() {
                d.put(engine::cache::text_key(t), row, cut);
            }
            cache.insert(key(t), (row.to_vec(), cut));
        }
        if let Some(d) = disk.as_deref_mut() {
            d.finish();
        }
        done += chunk.len();
        progress(done, total);
    }
    Ok(total)
}

/// Indices where `job` differs from `last`, if the job can be answered with a patch.
fn patchable(last: Option<&Last>, job: &EmbedJob, fingerprint: &str) -> Option<Vec<usize>> {
    let last = last?;
    if job.patch_base != Some(last.job)
        || job.map
        // Clustering runs only up to MAX_CLUSTER; past it a clustered view is patched too.
        || (job.cluster && job.texts.len() <= engine::project::MAX_CLUSTER)
        || last.fingerprint != fingerprint
        || last.pooling != job.pooling
        || last.texts.len() != job.texts.len()
        || last.groups != job.groups
        || last.group_names != job.group_names
    {
        return None;
    }
    let changed: Vec<usize> = (0..job.texts.len()).filter(|&i| last.texts[i] != job.texts[i]).collect();
    (changed.len() <= PATCH_MAX).then_some(changed)
}

/// Answers a job that changes a few sentences of the last answer: only their vectors,
/// their rows (= columns) of the matrix, and the O(N) group summaries are computed.
#[expect(clippy::too_many_arguments, reason = "the worker's pieces, passed by the one caller loop")]
fn patch_job(
    e: &mut dyn Embedder,
    job: &EmbedJob,
    changed: Vec<usize>,
    last: &mut Last,
    cache: &mut HashMap<CacheKey, Cached>,
    disk: Option<&mut DiskCache>,
    latest: &AtomicU64,
    progress: &dyn Fn(usize, usize),
) -> Result<Patch> {
    let start = Instant::now();
    let texts: Vec<&str> = changed.iter().map(|&i| job.texts[i].as_str()).collect();
    let embedded = ensure_vectors(e, &texts, job.id, job.pooling, cache, disk, latest, progress)?;
    let info = e.info().clone();
    let emb = &mut last.embeddings;
    let dim = emb.dim;
    let mut vectors = Vec::with_capacity(changed.len() * dim);
    let mut now_cut = Vec::new();
    for (&i, t) in changed.iter().zip(&texts) {
        let Some((v, cut)) = cache.get(&(info.fingerprint.clone(), job.pooling, (*t).to_owned())) else {
            return Err(Error::input(None, "a sentence vanished from the cache"));
        };
        if *cut {
            now_cut.push(i);
        }
        if v.len() != dim {
            return Err(Error::input(None, "vector length changed"));
        }
        emb.data[i * dim..(i + 1) * dim].copy_from_slice(v);
        vectors.extend_from_slice(v);
        last.texts[i] = (*t).to_owned();
    }
    emb.truncated.retain(|i| changed.binary_search(i).is_err());
    emb.truncated.extend(now_cut);
    emb.truncated.sort_unstable();
    let n = job.texts.len();
    let rows = if last.has_matrix {
        let mut rows = vec![0.0f32; changed.len() * n];
        engine::similarity::dot_rows(&vectors, &emb.data, changed.len(), n, dim, &mut rows);
        rows
    } else {
        Vec::new()
    };
    let group_matrix = engine::group_matrix(emb, &job.groups, job.group_names.len());
    let misfits = engine::analysis::misfits(emb, &job.groups, job.group_names.len());
    let patch = Patch {
        base: last.job,
        job: job.id,
        texts: texts.iter().map(|t| (*t).to_owned()).collect(),
        changed,
        vectors,
        rows,
        truncated: emb.truncated.clone(),
        group_matrix,
        misfits,
        embedded,
        elapsed: start.elapsed(),
    };
    last.job = job.id;
    log::debug!("job {}: patched {} sentence(s) in {:?}", job.id, patch.changed.len(), patch.elapsed);
    Ok(patch)
}

fn embed_job(
    e: &mut dyn Embedder,
    job: &EmbedJob,
    cache: &mut HashMap<CacheKey, Cached>,
    disk: Option<&mut DiskCache>,
    latest: &AtomicU64,
    progress: &dyn Fn(usize, usize),
) -> Result<Computed> {
    let start = Instant::now();
    let info = e.info().clone();
    let texts: Vec<&str> = job.texts.iter().map(String::as_str).collect();
    let total = ensure_vectors(e, &texts, job.id, job.pooling, cache, disk, latest, progress)?;
    let key = |t: &str| (info.fingerprint.clone(), job.pooling, t.to_owned());
    // The vector length depends on the pooling (a pooled output can be narrower).
    let dim = job.texts.first().and_then(|t| cache.get(&key(t))).map_or(info.dim, |(v, _)| v.len());
    let mut data = Vec::with_capacity(job.texts.len() * dim);
    let mut truncated = Vec::new();
    for (i, t) in job.texts.iter().enumerate() {
        match cache.get(&key(t)) {
            Some((v, cut)) => {
                data.extend_from_slice(v);
                if *cut {
                    truncated.push(i);
                }
            }
            None => return Err(Error::input(None, "a sentence vanished from the cache")),
        }
    }
    let embeddings = Embeddings { dim, data, truncated };
    let t_vectors = start.elapsed();
    // Past the limit the heatmap is not drawn; neighbours and group means come from
    // the vectors, so the rest of the app keeps working.
    let sim =
        if job.texts.len() <= MAX_APP_MATRIX { engine::similarity_matrix(&embeddings) } else { SimMatrix::default() };
    let t_sim = start.elapsed();
    let group_matrix = engine::group_matrix(&embeddings, &job.groups, job.group_names.len());
    let misfits = engine::analysis::misfits(&embeddings, &job.groups, job.group_names.len());
    let t_groups = start.elapsed();
    let map = job.map.then(|| engine::project::pca_2d(&embeddings));
    let cluster_order =
        if job.cluster && sim.n == job.texts.len() { engine::project::cluster(&sim).map(|c| c.order) } else { None };
    log::debug!(
        "job {}: vectors {:?} ({total} embedded), matrix {:?}, groups and misfits {:?}, map and order {:?}",
        job.id,
        t_vectors,
        t_sim - t_vectors,
        t_groups - t_sim,
        start.elapsed() - t_groups
    );
    Ok(Computed {
        misfits,
        map,
        cluster_order,
        job: job.id,
        model: info,
        pooling: job.pooling,
        texts: job.texts.clone(),
        groups: job.groups.clone(),
        group_names: job.group_names.clone(),
        embeddings,
        sim,
        group_matrix,
        embedded: total,
        elapsed: start.elapsed(),
        auto_range: std::sync::OnceLock::new(),
    })
}
