//! What the worker thread holds between requests, and one method per request.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use super::compute::{self, Last};
use super::{EmbedJob, ExplainGroups, ExplainPair, Loader, ModelChoice, Query, Request, Response};
use crate::app::result::SentenceTable;
use crate::engine::store::VectorStore;
use crate::engine::{Embedder, Pooling};
use crate::io::SentenceSet;
use crate::{Error, Result};

/// Vectors kept in memory before the worker's store starts again.
const MEMORY_LIMIT: usize = 200_000;
/// Sentences embedded between cache updates and supersede checks.
const CHUNK: usize = 256;

/// The worker's model, vectors and last answer.
pub(super) struct WorkerState {
    loader: Loader,
    embedder: Option<Box<dyn Embedder>>,
    /// The folder last asked for, to reload it after a crash.
    choice: Option<ModelChoice>,
    store: VectorStore,
    /// The last full answer, so a small edit can be answered with a patch.
    last: Option<Last>,
    /// The highest job id sent; lower jobs stop at their next batch.
    latest: Arc<AtomicU64>,
    answers: Sender<Response>,
    repaint: Box<dyn Fn() + Send>,
}

impl WorkerState {
    pub(super) fn new(
        loader: Loader,
        cache_dir: Option<PathBuf>,
        latest: Arc<AtomicU64>,
        answers: Sender<Response>,
        repaint: Box<dyn Fn() + Send>,
    ) -> Self {
        Self {
            loader,
            embedder: None,
            choice: None,
            store: VectorStore::new(cache_dir).with_memory(MEMORY_LIMIT).with_chunk(CHUNK),
            last: None,
            latest,
            answers,
            repaint,
        }
    }

    pub(super) fn handle(&mut self, request: Request) {
        match request {
            Request::Load(dir) => self.load(dir),
            Request::LoadVectors { path, texts } => self.load_vectors(&path, &texts),
            Request::Tokens(text) => self.tokens(text),
            Request::Score(file, pooling) => self.score(file, pooling),
            Request::Query(q) => self.query(q),
            Request::Embed(job) => self.embed(job),
            Request::Explain(pair) => self.explain(pair),
            Request::ExplainGroups(groups) => self.explain_groups(groups),
        }
    }

    fn send(&self, r: Response) {
        // The app drops its receiver only when it closes; nothing is left to tell then.
        self.answers.send(r).ok();
        (self.repaint)();
    }

    fn load_guarded(&self, choice: &ModelChoice) -> Result<Box<dyn Embedder>> {
        guarded(|| (self.loader)(&choice.dir, &choice.precision))
    }

    fn load(&mut self, choice: ModelChoice) {
        self.embedder = None;
        self.last = None;
        let result = self.load_guarded(&choice);
        self.choice = Some(choice);
        match result {
            Ok(e) => {
                self.send(Response::Loaded(Ok(e.info().clone())));
                self.embedder = Some(e);
            }
            Err(e) => self.send(Response::Loaded(Err(e))),
        }
    }

    fn load_vectors(&mut self, path: &Path, texts: &[String]) {
        self.embedder = None;
        self.last = None;
        // Nothing to reload after a crash: the file is read again only when asked.
        self.choice = None;
        match open_vectors(path, texts) {
            Ok((found, e)) => {
                if let Some((set, from)) = found {
                    self.send(Response::VectorsSentences { set: Box::new(set), from });
                }
                self.send(Response::Loaded(Ok(e.info().clone())));
                self.embedder = Some(Box::new(e));
            }
            Err(e) => self.send(Response::Loaded(Err(e))),
        }
    }

    fn tokens(&self, text: String) {
        let result = match &self.embedder {
            Some(e) => guarded(|| e.tokens(&text)),
            None => Err(Error::NoModel),
        };
        self.send(Response::Tokens(text, result));
    }

    fn score(&mut self, file: PathBuf, pooling: Pooling) {
        let Some(e) = self.embedder.as_mut() else {
            self.send(Response::Failed { job: None, error: Error::NoModel });
            return;
        };
        let model = e.info().clone();
        let mut last = Instant::now();
        let (answers, repaint) = (&self.answers, &self.repaint);
        let result = guarded(|| {
            let pairs = crate::io::pairs::read_pairs(&file)?;
            crate::engine::eval::score_pairs(e.as_mut(), pooling, &pairs, &mut |done, total| {
                if last.elapsed() > Duration::from_millis(100) {
                    answers.send(Response::ScoreProgress { done, total }).ok();
                    repaint();
                    last = Instant::now();
                }
                true
            })
        });
        self.send(Response::Scored { model, pooling, file, result });
    }

    fn explain(&mut self, pair: ExplainPair) {
        let result = match self.embedder.as_mut() {
            Some(e) => guarded(|| crate::engine::explain::explain(e.as_mut(), &pair.a, &pair.b, pair.pooling)),
            None => Err(Error::NoModel),
        };
        self.send(Response::Explained(pair, result));
    }

    fn explain_groups(&mut self, groups: ExplainGroups) {
        let result = match self.embedder.as_mut() {
            Some(e) => guarded(|| {
                let g: Vec<&str> = groups.texts_g.iter().map(String::as_str).collect();
                let h: Vec<&str> = groups.texts_h.iter().map(String::as_str).collect();
                crate::engine::explain::explain_groups(e.as_mut(), &g, &h, groups.g == groups.h)
            }),
            None => Err(Error::NoModel),
        };
        self.send(Response::GroupsExplained(groups, result));
    }

    /// Embeds a query with the pooling it carries, and says which model and graph made it:
    /// the app ranks with it only when they are the result's.
    fn query(&mut self, asked: Query) {
        let Some(e) = self.embedder.as_mut() else {
            self.send(Response::Failed { job: None, error: Error::NoModel });
            return;
        };
        let (fingerprint, precision) = (e.info().fingerprint.clone(), e.info().precision.clone());
        let result = guarded(|| e.embed(&[asked.text.as_str()], asked.pooling, &mut |_, _| true).map(|v| v.data));
        self.send(Response::Query { asked, result, fingerprint, precision });
    }

    fn embed(&mut self, job: EmbedJob) {
        if job.id.0 < self.latest.load(Ordering::SeqCst) {
            return;
        }
        // After a crash the model is reloaded: the worker restarts itself.
        if self.embedder.is_none()
            && let Some(d) = &self.choice
        {
            match self.load_guarded(d) {
                // The same model again: no `Loaded`, which would make the app resend the
                // job that just crashed.
                Ok(e) => self.embedder = Some(e),
                Err(error) => {
                    self.send(Response::Failed { job: Some(job.id), error });
                    return;
                }
            }
        }
        let Some(e) = self.embedder.as_mut() else {
            self.send(Response::Failed { job: Some(job.id), error: Error::NoModel });
            return;
        };
        let changed = compute::patchable(self.last.as_ref(), &job, &e.info().fingerprint);
        let (answers, repaint, latest) = (&self.answers, &self.repaint, &self.latest);
        let mut last_report = Instant::now();
        let mut progress = |done: usize, total: usize| {
            if last_report.elapsed() > Duration::from_millis(50) || done == total {
                answers.send(Response::Progress { job: job.id, done, total }).ok();
                repaint();
                last_report = Instant::now();
            }
            job.id.0 >= latest.load(Ordering::SeqCst)
        };
        let (store, last) = (&mut self.store, &mut self.last);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match (changed, last.as_mut()) {
            (Some(changed), Some(l)) => compute::patch_job(e.as_mut(), store, &job, changed, l, &mut progress)
                .map(|p| Response::Patched(Box::new(p))),
            _ => compute::embed_job(e.as_mut(), store, &job, &mut progress).map(|c| {
                *last = Some(Last::of(&c));
                Response::Done(Box::new(c))
            }),
        }));
        if let Some(note) = self.store.take_disk_note() {
            self.send(Response::Note(note));
        }
        match outcome {
            Ok(Ok(answer)) => self.send(answer),
            Ok(Err(Error::Cancelled)) => {}
            Ok(Err(error)) => {
                self.last = None;
                self.send(Response::Failed { job: Some(job.id), error });
            }
            Err(p) => {
                self.last = None;
                self.embedder = None;
                self.send(Response::Failed { job: Some(job.id), error: Error::WorkerPanic(panic_message(p.as_ref())) });
            }
        }
    }
}

/// Runs `f`, turning a panic (as a broken native library might raise) into an error.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(Error::WorkerPanic(panic_message(p.as_ref()))))
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Reads the vectors file at `path` once, and finds the sentences it belongs to: its own
/// `text` column, a sentence file of the same name beside it (`.txt`, `.csv`, `.tsv`), or
/// else `open`, the sentences open now. The first two come back to replace the open ones.
fn open_vectors(
    path: &Path,
    open: &[String],
) -> Result<(Option<(SentenceSet, PathBuf)>, crate::engine::file_vectors::FileVectors)> {
    use crate::engine::file_vectors::FileVectors;
    let file = crate::io::VectorsFile::read(path)?;
    if file.sentences.is_some() {
        let (set, emb) = file.into_own_sentences()?;
        let texts: Vec<String> = set.flatten().0.into_iter().map(str::to_owned).collect();
        let e = FileVectors::new(path, &texts, emb)?;
        return Ok((Some((set, path.to_path_buf())), e));
    }
    let sibling = ["txt", "csv", "tsv"].iter().map(|ext| path.with_extension(ext)).find(|p| p.is_file());
    let (found, texts) = match sibling {
        Some(p) => {
            let set = SentenceSet::read_path(&p)?;
            let texts = SentenceTable::from_set(&set).0.texts;
            (Some((set, p)), texts)
        }
        None => (None, open.to_vec()),
    };
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let emb = file.into_vectors_for(&refs)?;
    Ok((found, FileVectors::new(path, &texts, emb)?))
}
