//! The k-nearest-neighbour graph of a vector set: made once, shared by every analysis that
//! needs neighbours (UMAP, duplicates, outliers).
//!
//! Identical vectors (the same sentence twice) are one point of the graph: thousands of
//! copies of one vector would otherwise fill each other's neighbour lists with distance
//! zero, which says nothing and makes NN-descent degenerate. Each row knows its distinct
//! vector ([`KnnGraph::of`]), so an analysis can count the copies back in.
//!
//! The search is NN-descent (`ann-search-rs`, cosine, seeded); a set of fewer than
//! [`EXACT_BELOW`] distinct vectors is searched exactly, as umap-learn does. [`KnnCache`] keeps the graphs of the vector sets
//! it was asked about, keyed by a fingerprint of the vectors, `k` and the seed, so the app's
//! map and its duplicate and outlier views build one graph between them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::Embeddings;
use crate::{Error, Result};

/// What a graph was made from: the vectors (by fingerprint), `k` and the seed. Two requests
/// with the same key get the same graph, byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KnnKey {
    /// xxh3 of the vectors' bits (after -0 is made 0) and their length.
    pub fingerprint: u64,
    /// Neighbours per point, not counting the point itself.
    pub k: usize,
    /// NN-descent's seed.
    pub seed: u64,
}

/// The neighbour graph of a vector set's distinct vectors.
#[derive(Debug, Clone)]
pub struct KnnGraph {
    /// What it was made from.
    pub key: KnnKey,
    /// For each row of the vector set, the index of its distinct vector.
    of: Vec<u32>,
    /// For each distinct vector, the first row that has it.
    first: Vec<u32>,
    /// `first.len() × width` neighbour ids (distinct vectors), nearest first; rows shorter
    /// than `width` end at [`Self::EMPTY`].
    neighbours: Vec<u32>,
    /// The search's cosine distances, beside `neighbours`.
    distances: Vec<f32>,
    /// Slots per distinct vector.
    width: usize,
}

impl KnnGraph {
    /// The end of a short neighbour list.
    const EMPTY: u32 = u32::MAX;

    /// The graph of `emb`'s rows with `k` neighbours each (the point itself not counted).
    /// `stop` is asked between steps; `false` ends with [`Error::Cancelled`].
    pub fn build(emb: &Embeddings, k: usize, seed: u64, stop: &mut dyn FnMut() -> bool) -> Result<Self> {
        let fingerprint = fingerprint(emb);
        let (first, of) = distinct_rows(emb);
        let d = emb.dim;
        let mut data = Vec::with_capacity(first.len() * d);
        for &i in &first {
            data.extend(emb.row(i as usize).iter().map(|v| v + 0.0));
        }
        Self::search(
            Embeddings { dim: d, data, truncated: Vec::new() },
            first,
            of,
            KnnKey { fingerprint, k, seed },
            stop,
        )
    }

    /// [`Self::build`] on vectors it may consume: the neighbour search takes the buffer
    /// over (for a million vectors, 1.5 GB not copied).
    pub fn build_owned(mut emb: Embeddings, k: usize, seed: u64, stop: &mut dyn FnMut() -> bool) -> Result<Self> {
        // -0 and 0 are one value: the graph cannot depend on how the vectors came by their
        // zeros (the duplicate check compares bits).
        emb.data.iter_mut().for_each(|v| *v += 0.0);
        let fingerprint = fingerprint(&emb);
        let (first, of) = distinct_rows(&emb);
        let d = emb.dim;
        // The distinct rows moved to the front in place (each first row is at or after its
        // new place), then the rest dropped.
        for (u, &i) in first.iter().enumerate() {
            let i = i as usize;
            if u != i {
                emb.data.copy_within(i * d..(i + 1) * d, u * d);
            }
        }
        emb.data.truncate(first.len() * d);
        emb.data.shrink_to_fit();
        Self::search(emb, first, of, KnnKey { fingerprint, k, seed }, stop)
    }

    fn search(
        distinct: Embeddings,
        first: Vec<u32>,
        of: Vec<u32>,
        key: KnnKey,
        stop: &mut dyn FnMut() -> bool,
    ) -> Result<Self> {
        use ann_search_rs::Verbosity;
        use ann_search_rs::prelude::{KNN_GRAPH_EMPTY, NNDescentKnnParams};

        if key.k == 0 {
            return Err(Error::input(None, "the neighbour graph needs at least 1 neighbour per point"));
        }
        if !stop() {
            return Err(Error::Cancelled);
        }
        let (n, d) = (distinct.len(), distinct.dim);
        let (neighbours, distances, width) = if n <= key.k + 1 || n < EXACT_BELOW {
            exact_lists(&distinct, key.k)
        } else {
            // umap-learn's delta; the rest are the crate's defaults.
            let nn = manifolds_rs::data::nearest_neighbours::NearestNeighbourParams::<f32>::default();
            let params = NNDescentKnnParams::new(key.k, None, None, None, f64::from(nn.delta), false, true);
            let graph = ann_search_rs::build_knn_graph_nndescent(
                (distinct.data, n, d),
                "cosine",
                Some(params),
                key.seed as usize,
                Verbosity::Quiet,
            )
            .map_err(|e| Error::internal(format!("neighbour search: {e}")))?;
            let width = graph.k.max(1);
            let distances =
                graph.distances.ok_or_else(|| Error::internal("the neighbour search returned no distances"))?;
            let neighbours =
                graph.indices.iter().map(|&j| if j == KNN_GRAPH_EMPTY { Self::EMPTY } else { j }).collect();
            (neighbours, distances, width)
        };
        if !stop() {
            return Err(Error::Cancelled);
        }
        Ok(Self { key, of, first, neighbours, distances, width })
    }

    /// Rows of the vector set.
    pub fn rows(&self) -> usize {
        self.of.len()
    }

    /// Distinct vectors: the graph's points.
    pub fn distinct(&self) -> usize {
        self.first.len()
    }

    /// For each row, its distinct vector.
    pub fn of(&self) -> &[u32] {
        &self.of
    }

    /// For each distinct vector, the first row that has it.
    pub fn first(&self) -> &[u32] {
        &self.first
    }

    /// Distinct vector `u`'s neighbours (distinct vectors, nearest first) and the search's
    /// cosine distances to them.
    pub fn neighbours(&self, u: usize) -> (&[u32], &[f32]) {
        let ids = &self.neighbours[u * self.width..(u + 1) * self.width];
        let len = ids.iter().position(|&j| j == Self::EMPTY).unwrap_or(ids.len());
        (&ids[..len], &self.distances[u * self.width..u * self.width + len])
    }

    /// Every distinct vector's neighbour list and distances, as UMAP's fuzzy graph takes
    /// them.
    pub fn lists(&self) -> (Vec<Vec<usize>>, Vec<Vec<f32>>) {
        (0..self.distinct())
            .map(|u| {
                let (ids, dist) = self.neighbours(u);
                (ids.iter().map(|&j| j as usize).collect(), dist.to_vec())
            })
            .unzip()
    }

    /// The rows of each distinct vector, in row order.
    pub fn copies(&self) -> Vec<Vec<u32>> {
        let mut out = vec![Vec::new(); self.distinct()];
        for (row, &u) in self.of.iter().enumerate() {
            out[u as usize].push(row as u32);
        }
        out
    }
}

impl KnnGraph {
    /// The file's first bytes: what it is and its layout's version.
    const MAGIC: &'static [u8; 8] = b"SLKNN001";

    /// The file a graph of `key` is kept in, in `dir`.
    pub fn file_in(dir: &Path, key: KnnKey) -> PathBuf {
        dir.join(format!("{:016x}-k{}-s{}.knn", key.fingerprint, key.k, key.seed))
    }

    /// The graph as bytes: a header, the arrays little-endian, and an xxh3 of all before it.
    fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(64 + 4 * (self.of.len() + self.first.len() + 2 * self.neighbours.len()));
        b.extend_from_slice(Self::MAGIC);
        for v in [
            self.key.fingerprint,
            self.key.k as u64,
            self.key.seed,
            self.of.len() as u64,
            self.first.len() as u64,
            self.width as u64,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for a in [&self.of, &self.first, &self.neighbours] {
            b.extend(a.iter().flat_map(|v| v.to_le_bytes()));
        }
        b.extend(self.distances.iter().flat_map(|v| v.to_le_bytes()));
        let sum = xxhash_rust::xxh3::xxh3_64(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        b
    }

    /// A graph read back with [`Self::to_bytes`], if it is whole and of `key`.
    fn from_bytes(b: &[u8], key: KnnKey) -> Option<Self> {
        let (body, sum) = b.split_at_checked(b.len().checked_sub(8)?)?;
        if xxhash_rust::xxh3::xxh3_64(body).to_le_bytes() != sum || !body.starts_with(Self::MAGIC) {
            return None;
        }
        let mut at = Self::MAGIC.len();
        let mut u64_at = || {
            let v = u64::from_le_bytes(body.get(at..at + 8)?.try_into().ok()?);
            at += 8;
            Some(v)
        };
        let head = [u64_at()?, u64_at()?, u64_at()?, u64_at()?, u64_at()?, u64_at()?];
        if head[..3] != [key.fingerprint, key.k as u64, key.seed] {
            return None;
        }
        let [rows, distinct, width] = [head[3], head[4], head[5]].map(|v| usize::try_from(v).ok());
        let (rows, distinct, width) = (rows?, distinct?, width?);
        let slots = distinct.checked_mul(width)?;
        let words = |at: &mut usize, n: usize| -> Option<Vec<u32>> {
            let bytes = body.get(*at..at.checked_add(n.checked_mul(4)?)?)?;
            *at += bytes.len();
            Some(bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        };
        let of = words(&mut at, rows)?;
        let first = words(&mut at, distinct)?;
        let neighbours = words(&mut at, slots)?;
        let distances: Vec<f32> = words(&mut at, slots)?.into_iter().map(f32::from_bits).collect();
        let sane = at == body.len()
            && of.iter().all(|&u| (u as usize) < distinct)
            && first.iter().all(|&r| (r as usize) < rows)
            && neighbours.iter().all(|&j| j == Self::EMPTY || (j as usize) < distinct);
        sane.then_some(Self { key, of, first, neighbours, distances, width })
    }

    /// The graph of `emb` kept in `dir` by an earlier run, else built (and kept there).
    /// Without `dir` it is always built. A damaged or unreadable file is built again; a
    /// file that cannot be written is said in the log, and the graph is still returned.
    pub fn load_or_build(emb: &Embeddings, k: usize, seed: u64, dir: Option<&Path>) -> Result<Self> {
        let key = KnnKey { fingerprint: fingerprint(emb), k, seed };
        Self::load_or(key, dir, || Self::build(emb, k, seed, &mut || true))
    }

    /// [`Self::load_or_build`] on vectors it may consume when it builds.
    pub fn load_or_build_owned(emb: Embeddings, k: usize, seed: u64, dir: Option<&Path>) -> Result<Self> {
        let key = KnnKey { fingerprint: fingerprint(&emb), k, seed };
        Self::load_or(key, dir, || Self::build_owned(emb, k, seed, &mut || true))
    }

    /// The graph of `key` kept in `dir`, else `build`'s (then kept there).
    fn load_or(key: KnnKey, dir: Option<&Path>, build: impl FnOnce() -> Result<Self>) -> Result<Self> {
        if let Some(g) = dir.and_then(|d| Self::load(d, key)) {
            return Ok(g);
        }
        let graph = build()?;
        if let Some(d) = dir {
            graph.save(d);
        }
        Ok(graph)
    }

    /// The graph of `key` kept in `dir`, if there is a whole one.
    pub fn load(dir: &Path, key: KnnKey) -> Option<Self> {
        let path = Self::file_in(dir, key);
        let bytes = std::fs::read(&path).ok()?;
        let g = Self::from_bytes(&bytes, key);
        match &g {
            Some(g) => log::info!("neighbour graph of {} rows read from {}", g.rows(), path.display()),
            None => log::warn!("{} is damaged or of another layout; the graph is built again", path.display()),
        }
        g
    }

    /// Keeps the graph in `dir` (a temporary file renamed into place), leaving only the
    /// newest [`KEEP_FILES`] graphs there. A failure is logged: the graph is only a cache.
    pub fn save(&self, dir: &Path) {
        let path = Self::file_in(dir, self.key);
        let written = std::fs::create_dir_all(dir).and_then(|()| super::int8::write_replacing(&path, &self.to_bytes()));
        match written {
            Ok(()) => log::info!("neighbour graph kept in {}", path.display()),
            Err(e) => log::warn!("the neighbour graph could not be kept in {}: {e}", path.display()),
        }
        prune(dir);
    }
}

/// Graph files kept in the cache folder: a million rows' graph is about 120 MB.
pub const KEEP_FILES: usize = 8;

/// Deletes all but the newest [`KEEP_FILES`] graph files in `dir`.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "knn"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, old) in files.into_iter().skip(KEEP_FILES) {
        if let Err(e) = std::fs::remove_file(&old) {
            log::warn!("could not remove the old neighbour graph {}: {e}", old.display());
        }
    }
}

/// The folder simlens keeps neighbour graphs in: `knn/` in the embedding cache's folder, none
/// when that is off.
pub fn default_dir() -> Option<PathBuf> {
    super::cache::default_root().map(|r| r.join("knn"))
}

/// Below this many distinct vectors the neighbours are found exactly, as umap-learn does
/// below 4,096 points: every product costs less than NN-descent's set-up, and small sets are
/// where a missed neighbour shows.
pub const EXACT_BELOW: usize = 4_096;

/// Exact neighbour lists (every other point, best `k`, ties by index), padded to `k`: the
/// products by blocks of rows, each block on its own thread.
fn exact_lists(emb: &Embeddings, k: usize) -> (Vec<u32>, Vec<f32>, usize) {
    use rayon::prelude::*;
    const BLOCK: usize = 64;
    let (n, d) = (emb.len(), emb.dim);
    let mut ids = vec![KnnGraph::EMPTY; n * k];
    let mut dist = vec![0.0f32; n * k];
    ids.par_chunks_mut(BLOCK * k).zip(dist.par_chunks_mut(BLOCK * k)).enumerate().for_each(|(b, (ids, dist))| {
        let start = b * BLOCK;
        let m = ids.len() / k;
        let mut sims = vec![0.0f32; m * n];
        super::similarity::dot_rows(&emb.data[start * d..(start + m) * d], &emb.data, m, n, d, &mut sims);
        for r in 0..m {
            let best = super::similarity::top_k(&sims[r * n..(r + 1) * n], k, Some(start + r));
            for (slot, (j, s)) in best.into_iter().enumerate() {
                ids[r * k + slot] = j as u32;
                dist[r * k + slot] = 1.0 - s;
            }
        }
    });
    (ids, dist, k)
}

/// xxh3 of the vectors' bits and shape, -0 counted as 0.
pub fn fingerprint(emb: &Embeddings) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&(emb.dim as u64).to_le_bytes());
    h.update(&(emb.len() as u64).to_le_bytes());
    let mut buf = Vec::with_capacity(4 * 4096);
    for chunk in emb.data.chunks(4096) {
        buf.clear();
        buf.extend(chunk.iter().flat_map(|v| (v + 0.0).to_bits().to_le_bytes()));
        h.update(&buf);
    }
    h.digest()
}

/// The first row of each distinct vector, and for every row the index of its distinct
/// vector in that list. Rows are compared bit for bit (-0 as 0): a hash collision is never
/// a merge.
pub fn distinct_rows(emb: &Embeddings) -> (Vec<u32>, Vec<u32>) {
    let d = emb.dim;
    let bits = |i: usize| emb.data[i * d..(i + 1) * d].iter().map(|v| (v + 0.0).to_bits());
    let mut bytes = Vec::with_capacity(4 * d);
    let mut by_hash: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut first: Vec<u32> = Vec::new();
    let mut of = Vec::with_capacity(emb.len());
    for i in 0..emb.len() {
        bytes.clear();
        bytes.extend(bits(i).flat_map(u32::to_le_bytes));
        let bucket = by_hash.entry(xxhash_rust::xxh3::xxh3_64(&bytes)).or_default();
        // The map is only looked up, never walked, so its order decides nothing.
        let same = bucket.iter().copied().find(|&u| bits(first[u as usize] as usize).eq(bits(i)));
        match same {
            Some(u) => of.push(u),
            None => {
                let u = first.len() as u32;
                bucket.push(u);
                of.push(u);
                first.push(i as u32);
            }
        }
    }
    (first, of)
}

/// One graph's place in the cache: empty until built, locked while it is built.
type Slot = Arc<Mutex<Option<Arc<KnnGraph>>>>;

/// The graphs made so far, shared between threads: one graph per vector set, `k` and seed,
/// built by whoever asks first while the others wait.
#[derive(Default)]
pub struct KnnCache {
    slots: Mutex<Vec<(KnnKey, Slot)>>,
    /// Where graphs are also kept between runs, if anywhere.
    dir: Option<PathBuf>,
}

impl KnnCache {
    /// A cache that also keeps its graphs in `dir` (and reads them back from there).
    pub fn with_dir(dir: Option<PathBuf>) -> Self {
        Self { slots: Mutex::default(), dir }
    }

    /// Graphs kept: the newest few vector sets (a million rows' graph is about 120 MB).
    const KEEP: usize = 4;

    /// The graph of `emb` with `k` neighbours and `seed`, built unless a graph of the same
    /// vectors, `k` and seed was built before. `stop` is asked while building and while
    /// waiting for another thread's build of the same graph.
    pub fn get_or_build(
        &self,
        emb: &Embeddings,
        k: usize,
        seed: u64,
        stop: &mut dyn FnMut() -> bool,
    ) -> Result<Arc<KnnGraph>> {
        let key = KnnKey { fingerprint: fingerprint(emb), k, seed };
        let slot = {
            let mut slots = self.slots.lock().map_err(|_| Error::internal("the neighbour graph cache is poisoned"))?;
            match slots.iter().find(|(k, _)| *k == key) {
                Some((_, slot)) => Arc::clone(slot),
                None => {
                    let slot = Arc::new(Mutex::new(None));
                    slots.push((key, Arc::clone(&slot)));
                    if slots.len() > Self::KEEP {
                        slots.remove(0);
                    }
                    slot
                }
            }
        };
        // Held while building, so a second asker waits for this build instead of starting
        // its own; it polls so that it can still be cancelled.
        let mut guard = loop {
            match slot.try_lock() {
                Ok(g) => break g,
                Err(std::sync::TryLockError::WouldBlock) => {
                    if !stop() {
                        return Err(Error::Cancelled);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
            }
        };
        if let Some(g) = guard.as_ref() {
            return Ok(Arc::clone(g));
        }
        let graph = Arc::new(KnnGraph::load_or(key, self.dir.as_deref(), || KnnGraph::build(emb, k, seed, stop))?);
        *guard = Some(Arc::clone(&graph));
        Ok(graph)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random_unit;
    use crate::engine::similarity::dot;

    #[test]
    fn copies_share_a_point_and_small_sets_are_exact() {
        let base = random_unit(10, 8, 3);
        let mut data = base.data.clone();
        data.extend_from_slice(&base.data[..8]);
        data.extend_from_slice(&base.data[5 * 8..6 * 8]);
        let emb = Embeddings { dim: 8, data, truncated: Vec::new() };
        let g = KnnGraph::build(&emb, 20, 1, &mut || true).expect("graph");
        assert_eq!((g.rows(), g.distinct()), (12, 10));
        assert_eq!(g.of()[10], 0);
        assert_eq!(g.of()[11], 5);
        assert_eq!(g.copies()[0], [0, 10]);
        // Ten distinct points: each has the nine others, nearest first.
        for u in 0..10 {
            let (ids, dist) = g.neighbours(u);
            assert_eq!(ids.len(), 9);
            assert!(dist.windows(2).all(|w| w[0] <= w[1]));
            assert!(!ids.contains(&(u as u32)));
        }
    }

    #[test]
    fn nn_descent_finds_the_true_neighbours_and_the_cache_builds_once() {
        let emb = random_unit(5_000, 16, 9);
        let cache = KnnCache::default();
        let a = cache.get_or_build(&emb, 10, 7, &mut || true).expect("graph");
        let b = cache.get_or_build(&emb, 10, 7, &mut || true).expect("graph");
        assert!(Arc::ptr_eq(&a, &b), "the same vectors, k and seed: one graph");
        let c = cache.get_or_build(&emb, 12, 7, &mut || true).expect("graph");
        assert!(!Arc::ptr_eq(&a, &c));
        // Recall of the true 10 nearest, by brute force.
        let mut hits = 0;
        for i in (0..emb.len()).step_by(5) {
            let sims: Vec<f32> = (0..emb.len()).map(|j| dot(emb.row(i), emb.row(j))).collect();
            let truth: Vec<usize> = crate::engine::top_k(&sims, 10, Some(i)).into_iter().map(|(j, _)| j).collect();
            let (ids, _) = a.neighbours(a.of()[i] as usize);
            hits += truth.iter().filter(|&&j| ids.contains(&(j as u32))).count();
        }
        let recall = hits as f64 / (10 * emb.len() / 5) as f64;
        // Uniform random vectors in 16-d are NN-descent's hard case (no structure to
        // follow): 0.95 here, where clustered sentence vectors reach 0.99.
        assert!(recall > 0.93, "recall {recall}");
        let r = cache.get_or_build(&random_unit(50, 16, 1), 10, 7, &mut || false);
        assert!(matches!(r, Err(Error::Cancelled)));
    }

    #[test]
    fn a_kept_graph_reads_back_whole_and_a_damaged_one_is_built_again() {
        let dir = tempfile::tempdir().expect("dir");
        let emb = random_unit(4_500, 8, 4);
        let built = KnnGraph::load_or_build(&emb, 6, 2, Some(dir.path())).expect("graph");
        let path = KnnGraph::file_in(dir.path(), built.key);
        assert!(path.exists());
        let read = KnnGraph::load(dir.path(), built.key).expect("read back");
        assert_eq!(
            (read.of, read.first, read.neighbours, read.width),
            (built.of.clone(), built.first.clone(), built.neighbours.clone(), built.width)
        );
        assert_eq!(
            read.distances.iter().map(|d| d.to_bits()).collect::<Vec<_>>(),
            built.distances.iter().map(|d| d.to_bits()).collect::<Vec<_>>()
        );
        // Another key never reads this file; a flipped byte fails the checksum.
        assert!(KnnGraph::load(dir.path(), KnnKey { seed: 3, ..built.key }).is_none());
        let mut bytes = std::fs::read(&path).expect("file");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&path, &bytes).expect("write");
        assert!(KnnGraph::load(dir.path(), built.key).is_none());
        let again = KnnGraph::load_or_build(&emb, 6, 2, Some(dir.path())).expect("graph");
        assert_eq!(again.neighbours, built.neighbours, "built again, the same bytes");
        assert!(KnnGraph::load(dir.path(), built.key).is_some(), "and kept whole");
        // Truncated files and garbage are refused, never a panic.
        for cut in [0, 7, 8, 40, bytes.len() - 9] {
            assert!(KnnGraph::from_bytes(&bytes[..cut], built.key).is_none());
        }
    }
}
