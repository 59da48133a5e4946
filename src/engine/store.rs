//! Where sentence vectors come from, fastest first: memory, the disk cache, the model.
//!
//! The one place that says "look up, embed the misses, store". The CLI uses it without
//! the memory layer (a run sees each sentence once, and a million vectors would not fit);
//! the app's worker keeps one with memory, so an edit re-embeds only what changed.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::cache::{self, DiskCache, text_key};
use super::embed::{Embedder, Embeddings, Progress};
use super::pooling::Pooling;
use crate::{Error, Result};

/// What a vector belongs to: the model's fingerprint and the pooling.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Context {
    fingerprint: String,
    pooling: Pooling,
}

/// A vector and whether its text was truncated.
#[derive(Debug, Clone)]
struct Cached {
    vector: Vec<f32>,
    truncated: bool,
}

/// Vectors of `texts`, in their order, and how many had to be embedded.
#[derive(Debug, Clone)]
pub struct Stored {
    /// One row per text.
    pub embeddings: Embeddings,
    /// Texts the model ran on (neither in memory nor on disk).
    pub embedded: usize,
}

/// The disk cache of one context, or why there is none.
enum Disk {
    /// Open for this context.
    Open(Context, Box<DiskCache>),
    /// Could not be opened for this context; said once, then the store goes on without it.
    Failed(Context),
    /// Not asked for, or not opened yet.
    None,
}

/// Memory over the disk cache over the model.
pub struct VectorStore {
    disk_root: Option<PathBuf>,
    disk: Disk,
    /// Vectors kept in memory by context and text hash; `None` keeps none.
    memory: Option<HashMap<Context, HashMap<u128, Cached>>>,
    /// Entries kept in memory before it is cleared.
    memory_limit: usize,
    /// Misses embedded between disk writes and progress reports.
    chunk: usize,
    /// The last reason the disk cache could not be opened, until taken.
    disk_note: Option<String>,
}

impl VectorStore {
    /// A store over the disk cache under `disk_root` (`None`: no disk cache), without memory.
    pub fn new(disk_root: Option<PathBuf>) -> Self {
        Self { disk_root, disk: Disk::None, memory: None, memory_limit: 0, chunk: usize::MAX, disk_note: None }
    }

    /// Also keeps up to `limit` vectors in memory (then it starts again).
    pub fn with_memory(mut self, limit: usize) -> Self {
        self.memory = Some(HashMap::new());
        self.memory_limit = limit;
        self
    }

    /// Embeds misses `chunk` at a time, storing and reporting after each chunk.
    pub fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    /// Whether vectors are read from and written to a disk cache.
    pub fn has_disk(&self) -> bool {
        matches!(self.disk, Disk::Open(..))
    }

    /// Why the disk cache could not be opened, once per failure.
    pub fn take_disk_note(&mut self) -> Option<String> {
        self.disk_note.take()
    }

    /// Vectors of `texts` for `embedder` and `pooling`: from memory, then the disk cache,
    /// then the model for the misses (each distinct text once), which are stored in both.
    /// `progress` gets (done, total) over the misses; returning `false` cancels. An embedder
    /// that is not [`Embedder::is_cacheable`] is asked directly.
    pub fn embed(
        &mut self,
        embedder: &mut dyn Embedder,
        texts: &[&str],
        pooling: Pooling,
        progress: Progress<'_>,
    ) -> Result<Stored> {
        if !embedder.is_cacheable() {
            // Looked up, not computed: neither memory nor the disk cache would save work.
            return Ok(Stored { embeddings: embedder.embed(texts, pooling, progress)?, embedded: 0 });
        }
        let context = Context { fingerprint: embedder.info().fingerprint.clone(), pooling };
        self.open_disk(&context);
        let limit = self.memory_limit;
        if let Some(m) = self.memory.as_mut()
            && m.values().map(HashMap::len).sum::<usize>() > limit
        {
            m.clear();
        }
        let keys: Vec<u128> = texts.iter().map(|t| text_key(t)).collect();
        let chunk = self.chunk;
        let Self { memory, disk, .. } = self;
        let mut disk = match disk {
            Disk::Open(c, d) if *c == context => Some(d.as_mut()),
            _ => None,
        };
        let mut fresh: HashMap<u128, Cached> = HashMap::new();
        let mut missing: Vec<&str> = Vec::new();
        let mut seen = HashSet::new();
        let remembered = memory.as_ref().and_then(|m| m.get(&context));
        for (&key, &text) in keys.iter().zip(texts) {
            if !seen.insert(key) || remembered.is_some_and(|m| m.contains_key(&key)) {
                continue;
            }
            match disk.as_mut().and_then(|d| d.get(key)) {
                Some(hit) => {
                    fresh.insert(key, Cached { vector: hit.vector, truncated: hit.truncated });
                }
                None => missing.push(text),
            }
        }
        let embedded = missing.len();
        // With memory, every vector goes there as soon as it is known: a job cancelled half
        // way keeps what it computed for the next one.
        let mut remember = memory.as_mut().map(|m| m.entry(context.clone()).or_default());
        if let Some(m) = remember.as_mut() {
            m.extend(fresh.drain());
        }
        let mut done = 0;
        for part in missing.chunks(chunk) {
            let emb = embedder.embed(part, pooling, &mut |d, _| progress(done + d, embedded))?;
            for (i, (text, row)) in part.iter().zip(emb.rows()).enumerate() {
                let truncated = emb.truncated.binary_search(&i).is_ok();
                if let Some(d) = disk.as_mut() {
                    d.put(text_key(text), row, truncated);
                }
                let cached = Cached { vector: row.to_vec(), truncated };
                match remember.as_mut() {
                    Some(m) => m.insert(text_key(text), cached),
                    None => fresh.insert(text_key(text), cached),
                };
            }
            if let Some(d) = disk.as_mut() {
                d.finish();
            }
            done += part.len();
            if !progress(done, embedded) {
                return Err(Error::Cancelled);
            }
        }
        let gathered = match remember {
            Some(m) => gather(&keys, m),
            None => gather(&keys, &fresh),
        };
        match gathered? {
            Some(embeddings) => Ok(Stored { embeddings, embedded }),
            // Vectors of several lengths (a graph changed under the same fingerprint):
            // nothing stored can be trusted, so everything is embedded afresh.
            None => {
                let embeddings = embedder.embed(texts, pooling, &mut |_, _| true)?;
                Ok(Stored { embeddings, embedded: texts.len() })
            }
        }
    }

    /// Opens the disk cache of `context` unless it is open or failed for it already.
    fn open_disk(&mut self, context: &Context) {
        let current = match &self.disk {
            Disk::Open(c, _) | Disk::Failed(c) => Some(c),
            Disk::None => None,
        };
        if current == Some(context) {
            return;
        }
        let Some(root) = &self.disk_root else { return };
        // The old cache is closed (and flushed) before the new one opens.
        self.disk = Disk::None;
        self.disk = match DiskCache::open(root, &context.fingerprint, context.pooling, cache::default_limit()) {
            Ok(d) => Disk::Open(context.clone(), Box::new(d)),
            Err(e) => {
                let note = format!("embedding cache at {} unavailable ({e}); embedding without it", root.display());
                log::warn!("{note}");
                self.disk_note = Some(note);
                Disk::Failed(context.clone())
            }
        };
    }
}

/// The vectors of `keys` in order; `None` when they differ in length.
fn gather(keys: &[u128], from: &HashMap<u128, Cached>) -> Result<Option<Embeddings>> {
    let dim = keys.first().and_then(|k| from.get(k)).map_or(0, |c| c.vector.len());
    let mut data = Vec::with_capacity(keys.len() * dim);
    let mut truncated = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let c = from.get(k).ok_or_else(|| Error::internal("a sentence's vector is missing from the store"))?;
        if c.vector.len() != dim {
            return Ok(None);
        }
        data.extend_from_slice(&c.vector);
        if c.truncated {
            truncated.push(i);
        }
    }
    Ok(Some(Embeddings { dim, data, truncated }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::engine::fake::FakeEmbedder;

    fn all(_: usize, _: usize) -> bool {
        true
    }

    #[test]
    fn equals_embedding_and_counts_misses_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = FakeEmbedder::new("fake", 32);
        let texts = ["a b", "c d", "a b", "e f"];
        let direct = e.embed(&texts, Pooling::Mean, &mut all).unwrap();
        let mut store = VectorStore::new(Some(dir.path().to_path_buf()));
        let first = store.embed(&mut e, &texts, Pooling::Mean, &mut all).unwrap();
        assert_eq!(first.embedded, 3);
        assert_eq!(first.embeddings.data, direct.data);
        drop(store);
        let mut store = VectorStore::new(Some(dir.path().to_path_buf()));
        let more = ["e f", "g h", "a b"];
        let second = store.embed(&mut e, &more, Pooling::Mean, &mut all).unwrap();
        assert_eq!(second.embedded, 1);
        assert_eq!(second.embeddings.data, e.embed(&more, Pooling::Mean, &mut all).unwrap().data);
    }

    #[test]
    fn memory_answers_without_disk_and_keys_on_pooling() {
        let mut e = FakeEmbedder::new("fake", 16).with_pooled_output();
        let mut store = VectorStore::new(None).with_memory(100).with_chunk(2);
        let texts = ["one", "two", "three", "two"];
        assert_eq!(store.embed(&mut e, &texts, Pooling::Mean, &mut all).unwrap().embedded, 3);
        let again = store.embed(&mut e, &texts, Pooling::Mean, &mut all).unwrap();
        assert_eq!(again.embedded, 0);
        assert_eq!(again.embeddings.data, e.embed(&texts, Pooling::Mean, &mut all).unwrap().data);
        assert_eq!(store.embed(&mut e, &texts, Pooling::Cls, &mut all).unwrap().embedded, 3);
    }

    #[test]
    fn a_cancelled_call_keeps_what_it_embedded() {
        let mut e = FakeEmbedder::new("fake", 8);
        let mut store = VectorStore::new(None).with_memory(100).with_chunk(1);
        let texts = ["a", "b", "c", "d"];
        let r = store.embed(&mut e, &texts, Pooling::Mean, &mut |done, _| done < 2);
        assert!(matches!(r, Err(Error::Cancelled)));
        let again = store.embed(&mut e, &texts, Pooling::Mean, &mut |_, _| true).unwrap();
        // "a" was stored before the cancel came, inside the embedding of "b".
        assert_eq!(again.embedded, 3, "what was embedded before the cancel is kept");
    }

    #[test]
    fn a_false_progress_cancels() {
        let mut e = FakeEmbedder::new("fake", 8);
        let mut store = VectorStore::new(None).with_memory(100).with_chunk(1);
        let r = store.embed(&mut e, &["a", "b", "c"], Pooling::Mean, &mut |done, _| done < 1);
        assert!(matches!(r, Err(Error::Cancelled)));
    }

    #[test]
    fn an_unopenable_cache_is_noted_once_and_skipped() {
        let mut e = FakeEmbedder::new("fake", 8);
        let mut store = VectorStore::new(Some(PathBuf::from("/proc/simlens-cannot-be-here")));
        let got = store.embed(&mut e, &["a"], Pooling::Mean, &mut all).unwrap();
        assert_eq!(got.embedded, 1);
        assert!(!store.has_disk());
        assert!(store.take_disk_note().is_some_and(|n| n.contains("unavailable")));
        store.embed(&mut e, &["b"], Pooling::Mean, &mut all).unwrap();
        assert!(store.take_disk_note().is_none(), "said once per context");
    }
}
