//! A persistent embedding cache on disk, so a sentence is embedded once per model,
//! pooling and maximum length, across runs of the app and the CLI.
//!
//! Layout: `ROOT/v1/CONTEXT/*.seg`, where CONTEXT names the model's content hash, its
//! maximum length and the pooling. Each process appends to segment files of its own
//! (unique names), so concurrent processes never write the same file. A segment is a
//! 32-byte header and fixed-size records:
//!
//! | bytes | what |
//! |---|---|
//! | 16 | xxh3-128 of the text |
//! | 4 | flags (bit 0: the text was truncated) |
//! | 4 × dim | the normalised vector, f32 little-endian |
//! | 8 | xxh3-64 of everything above |
//!
//! A record whose checksum fails (a torn write, a flipped bit) is a miss, never a
//! wrong vector. A partial record at the end of a segment (a writer killed mid-write,
//! or one still writing) is ignored. The cache is bounded: past the limit the oldest
//! segments, across all contexts, are deleted. Every failure of the cache turns into
//! a miss or a skipped write, logged; the cache never fails a job.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use super::pooling::Pooling;

const MAGIC: &[u8; 8] = b"SLEMB01\0";
const HEADER: usize = 32;
/// A writer starts a new segment past this size, so eviction has a fine grain.
const SEGMENT_BYTES: u64 = 32 << 20;
/// Past this many small, settled segment files in one context, opening it merges them.
const COMPACT_SEGMENTS: usize = 64;
/// Age after which no process is assumed to append to a segment any more.
const SETTLED: std::time::Duration = std::time::Duration::from_secs(600);
/// The default bound on the whole cache.
pub const DEFAULT_LIMIT_BYTES: u64 = 1 << 30;

/// The cache key of a text.
pub fn text_key(text: &str) -> u128 {
    xxh3_128(text.as_bytes())
}

/// The folder the cache lives in: `SIMLENS_CACHE_DIR`, else `$XDG_CACHE_HOME/simlens`,
/// else `~/.cache/simlens`. `None` (no cache) when `SIMLENS_NO_CACHE` is set.
pub fn default_root() -> Option<PathBuf> {
    if std::env::var_os("SIMLENS_NO_CACHE").is_some_and(|v| !v.is_empty()) {
        return None;
    }
    if let Some(dir) = std::env::var_os("SIMLENS_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("simlens"))
}

/// The size bound: `SIMLENS_CACHE_MAX_MB` if set, else [`DEFAULT_LIMIT_BYTES`].
pub fn default_limit() -> u64 {
    std::env::var("SIMLENS_CACHE_MAX_MB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(DEFAULT_LIMIT_BYTES, |mb| mb.saturating_mul(1 << 20))
}

struct Segment {
    path: PathBuf,
    /// `None` once compaction has moved its records and deleted it.
    file: Option<File>,
    dim: usize,
    bytes: u64,
    modified: SystemTime,
}

#[derive(Clone, Copy)]
struct Location {
    segment: u32,
    record: u32,
}

struct Writer {
    segment: u32,
    out: BufWriter<File>,
    dim: usize,
    records: u64,
}

/// Cached vectors of one (model, maximum length, pooling) context.
pub struct DiskCache {
    root: PathBuf,
    dir: PathBuf,
    limit: u64,
    segments: Vec<Segment>,
    index: HashMap<u128, Location>,
    writer: Option<Writer>,
    /// Bytes written since the last size check.
    written: u64,
    /// A writer starts a new segment past this size.
    segment_bytes: u64,
    /// Set after a write failed: the cache is still read, never written again.
    read_only: bool,
    /// Set while compaction rewrites records (no eviction meanwhile).
    compacting: bool,
    /// Size of the whole cache at the last scan plus what was written since.
    approx_total: Option<u64>,
}

/// One cached vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The normalised vector.
    pub vector: Vec<f32>,
    /// Whether the text was cut to the model's maximum length.
    pub truncated: bool,
}

fn record_len(dim: usize) -> u64 {
    (16 + 4 + 4 * dim + 8) as u64
}

impl DiskCache {
    /// Opens the context `fingerprint`/`pooling` under `root`, indexing what earlier runs
    /// stored. Fails only when the folder cannot be created or listed.
    pub fn open(root: &Path, fingerprint: &str, pooling: Pooling, limit: u64) -> std::io::Result<Self> {
        if fingerprint.starts_with("unhashed") {
            return Err(std::io::Error::other("the model's files could not be hashed"));
        }
        let context: String = format!("{fingerprint}-{pooling}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        let root = root.join("v1");
        let dir = root.join(context);
        std::fs::create_dir_all(&dir)?;
        let mut paths: Vec<(SystemTime, PathBuf)> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "seg"))
            .map(|p| (p.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH), p))
            .collect();
        // Oldest first, so newer records of the same key win in the index.
        paths.sort();
        let mut cache = Self {
            root,
            dir,
            limit,
            segments: Vec::new(),
            index: HashMap::new(),
            writer: None,
            written: 0,
            segment_bytes: SEGMENT_BYTES,
            read_only: false,
            compacting: false,
            approx_total: None,
        };
        for (_, path) in paths {
            if let Err(e) = cache.index_segment(&path) {
                log::warn!("embedding cache: skipping {}: {e}", path.display());
            }
        }
        cache.compact();
        Ok(cache)
    }

    /// Rewrites every live record into one new segment and deletes the old segments, so
    /// many small runs do not leave many small files (each indexed segment stays open).
    fn compact(&mut self) {
        let small: Vec<u32> = self.compactable();
        if small.len() <= COMPACT_SEGMENTS {
            return;
        }
        let chosen: std::collections::HashSet<u32> = small.iter().copied().collect();
        let keys: Vec<u128> =
            self.index.iter().filter(|(_, loc)| chosen.contains(&loc.segment)).map(|(k, _)| *k).collect();
        self.compacting = true;
        let mut moved = 0usize;
        for key in keys {
            if let Some(hit) = self.get(key) {
                if let Err(e) = self.try_put(key, &hit.vector, hit.truncated) {
                    log::warn!("embedding cache: compaction stopped: {e}");
                    self.writer = None;
                    self.compacting = false;
                    return;
                }
                moved += 1;
            }
        }
        let flushed = self.writer.as_mut().is_none_or(|w| w.out.flush().is_ok());
        self.compacting = false;
        if !flushed {
            return;
        }
        // Only now are the old files redundant. Another process may still read them
        // through handles it holds; on Unix that keeps working.
        for &s in &small {
            if let Some(seg) = self.segments.get_mut(s as usize) {
                std::fs::remove_file(&seg.path).ok();
                seg.file = None;
            }
        }
        log::info!("embedding cache: compacted {} small segments into one ({moved} vectors)", small.len());
    }

    /// Segments worth merging: small, and old enough that no process still appends to them.
    fn compactable(&self) -> Vec<u32> {
        let now = SystemTime::now();
        (0..self.segments.len() as u32)
            .filter(|&s| {
                let seg = &self.segments[s as usize];
                seg.file.is_some()
                    && seg.bytes < SEGMENT_BYTES / 4
                    && now.duration_since(seg.modified).is_ok_and(|age| age >= SETTLED)
            })
            .collect()
    }

    fn index_segment(&mut self, path: &Path) -> std::io::Result<()> {
        let mut file = File::open(path)?;
        let mut header = [0u8; HEADER];
        file.read_exact(&mut header)?;
        if &header[..8] != MAGIC {
            return Err(std::io::Error::other("not a simlens cache segment"));
        }
        let dim = u32::from_le_bytes([header[8], header[9], header[10], header[11]]) as usize;
        if dim == 0 || dim > 1 << 16 {
            return Err(std::io::Error::other("bad vector length"));
        }
        let len = record_len(dim) as usize;
        let segment = self.segments.len() as u32;
        // Only the keys are needed now: read the file in large chunks and pick them out.
        let mut buf = vec![0u8; len * (4usize << 20).div_ceil(len)];
        let mut record = 0u32;
        loop {
            let mut filled = 0;
            while filled < buf.len() {
                match file.read(&mut buf[filled..])? {
                    0 => break,
                    k => filled += k,
                }
            }
            let whole = filled / len;
            for r in 0..whole {
                let at = r * len;
                let key = u128::from_le_bytes(buf[at..at + 16].try_into().unwrap_or([0; 16]));
                self.index.insert(key, Location { segment, record });
                record += 1;
            }
            if filled < buf.len() {
                break;
            }
        }
        let meta = file.metadata()?;
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        self.segments.push(Segment { path: path.to_path_buf(), file: Some(file), dim, bytes: meta.len(), modified });
        Ok(())
    }

    /// Number of texts this context has vectors for.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the context is empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The cached vector of `key`, if present and intact.
    pub fn get(&mut self, key: u128) -> Option<Hit> {
        let loc = *self.index.get(&key)?;
        if let Some(w) = self.writer.as_mut().filter(|w| w.segment == loc.segment) {
            // Records of this process are read back through the file, so flush first.
            w.out.flush().ok();
        }
        let seg = self.segments.get(loc.segment as usize)?;
        let file = seg.file.as_ref()?;
        let len = record_len(seg.dim) as usize;
        let mut buf = vec![0u8; len];
        let ok = file.read_exact_at(&mut buf, HEADER as u64 + loc.record as u64 * len as u64).is_ok()
            && u128::from_le_bytes(buf[..16].try_into().unwrap_or([0; 16])) == key
            && xxh3_64(&buf[..len - 8]).to_le_bytes() == buf[len - 8..];
        if !ok {
            log::warn!("embedding cache: a damaged record in {} is ignored", seg.path.display());
            self.index.remove(&key);
            return None;
        }
        let truncated = buf[16] & 1 == 1;
        let vector = buf[20..len - 8].chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        Some(Hit { vector, truncated })
    }

    /// Stores `vector` for `key`. Errors are logged and the write is skipped.
    pub fn put(&mut self, key: u128, vector: &[f32], truncated: bool) {
        if self.read_only {
            return;
        }
        if let Err(e) = self.try_put(key, vector, truncated) {
            log::warn!("embedding cache: cannot write to {} ({e}); reading only from now on", self.dir.display());
            // A half-written record is ignored by readers.
            self.writer = None;
            self.read_only = true;
        }
    }

    fn try_put(&mut self, key: u128, vector: &[f32], truncated: bool) -> std::io::Result<()> {
        let dim = vector.len();
        if self.writer.as_ref().is_none_or(|w| w.dim != dim || w.records * record_len(dim) >= self.segment_bytes) {
            self.start_segment(dim)?;
        }
        let Some(w) = self.writer.as_mut() else { return Ok(()) };
        let mut rec = Vec::with_capacity(record_len(dim) as usize);
        rec.extend_from_slice(&key.to_le_bytes());
        rec.extend_from_slice(&u32::from(truncated).to_le_bytes());
        for v in vector {
            rec.extend_from_slice(&v.to_le_bytes());
        }
        rec.extend_from_slice(&xxh3_64(&rec).to_le_bytes());
        w.out.write_all(&rec)?;
        self.index.insert(key, Location { segment: w.segment, record: w.records as u32 });
        w.records += 1;
        self.written += rec.len() as u64;
        Ok(())
    }

    fn start_segment(&mut self, dim: usize) -> std::io::Result<()> {
        self.finish();
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        // Unique across processes (pid) and across caches of one process (counter).
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self.dir.join(format!("{nanos:032}-{}-{n}.seg", std::process::id()));
        // Not `io::atomic_write`: a segment is appended to record by record and never
        // replaced; a torn tail is found by the records' checksums when it is read.
        let file = OpenOptions::new().create_new(true).read(true).write(true).open(&path)?;
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&(dim as u32).to_le_bytes());
        let mut out = BufWriter::with_capacity(1 << 20, file.try_clone()?);
        out.write_all(&header)?;
        let segment = self.segments.len() as u32;
        self.segments.push(Segment { path, file: Some(file), dim, bytes: 0, modified: SystemTime::now() });
        self.writer = Some(Writer { segment, out, dim, records: 0 });
        self.written += HEADER as u64;
        Ok(())
    }

    /// Flushes pending writes and, when the cache is over its bound, deletes the oldest
    /// segments of every context until it is under 80% of it.
    pub fn finish(&mut self) {
        if let Some(w) = &mut self.writer
            && let Err(e) = w.out.flush()
        {
            log::warn!("embedding cache: cannot write to {} ({e}); reading only from now on", self.dir.display());
            self.writer = None;
            self.read_only = true;
        }
        if self.written > 0 && !self.compacting {
            let total = self.approx_total.map(|t| t + self.written);
            self.written = 0;
            // The folders are listed only when the running estimate passes the bound.
            match total {
                Some(t) if t <= self.limit => self.approx_total = Some(t),
                _ => self.approx_total = Some(self.evict()),
            }
        }
    }

    /// Deletes the oldest settled segments until the cache is under 80% of its bound;
    /// returns the size left.
    fn evict(&mut self) -> u64 {
        let mut all: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        let Ok(contexts) = std::fs::read_dir(&self.root) else { return 0 };
        for ctx in contexts.filter_map(|e| e.ok()) {
            let Ok(files) = std::fs::read_dir(ctx.path()) else { continue };
            for f in files.filter_map(|e| e.ok()) {
                let path = f.path();
                if path.extension().is_some_and(|x| x == "seg")
                    && let Ok(m) = f.metadata()
                {
                    all.push((m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len(), path));
                }
            }
        }
        let mut total: u64 = all.iter().map(|(_, len, _)| len).sum();
        if total <= self.limit {
            return total;
        }
        all.sort();
        let now = SystemTime::now();
        let current = self.writer.as_ref().and_then(|w| self.segments.get(w.segment as usize)).map(|s| s.path.clone());
        for (modified, len, path) in all {
            if total <= self.limit / 10 * 8 {
                break;
            }
            // A recent file may be another process's open segment: its records would go
            // to a file without a name. It becomes fair game once it has settled.
            let settled = now.duration_since(modified).is_ok_and(|age| age >= SETTLED);
            if Some(&path) == current.as_ref() || !(settled || self.owns(&path)) {
                continue;
            }
            // Another process may delete it at the same time; either way it is gone.
            if std::fs::remove_file(&path).is_ok() || !path.exists() {
                total = total.saturating_sub(len);
                log::info!("embedding cache: evicted {}", path.display());
            }
        }
        total
    }

    /// Whether `path` is a segment this cache wrote (and no longer writes to).
    fn owns(&self, path: &Path) -> bool {
        let pid = format!("-{}-", std::process::id());
        path.file_name().is_some_and(|n| n.to_string_lossy().contains(&pid))
    }
}

impl Drop for DiskCache {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vec_of(seed: u32, dim: usize) -> Vec<f32> {
        (0..dim).map(|i| ((seed as usize * 31 + i) % 17) as f32 / 17.0).collect()
    }

    #[test]
    fn round_trip_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut c = DiskCache::open(dir.path(), "m1", Pooling::Mean, 1 << 30).unwrap();
            assert!(c.is_empty());
            for k in 0..100u32 {
                c.put(text_key(&format!("s{k}")), &vec_of(k, 8), k % 7 == 0);
            }
            assert_eq!(c.get(text_key("s3")).unwrap().vector, vec_of(3, 8));
        }
        let mut c = DiskCache::open(dir.path(), "m1", Pooling::Mean, 1 << 30).unwrap();
        assert_eq!(c.len(), 100);
        for k in 0..100u32 {
            let h = c.get(text_key(&format!("s{k}"))).unwrap();
            assert_eq!(h.vector, vec_of(k, 8));
            assert_eq!(h.truncated, k % 7 == 0);
        }
        // Another pooling or model is another context.
        assert!(DiskCache::open(dir.path(), "m1", Pooling::Cls, 1 << 30).unwrap().is_empty());
        assert!(DiskCache::open(dir.path(), "m2", Pooling::Mean, 1 << 30).unwrap().is_empty());
    }

    fn segments(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for ctx in std::fs::read_dir(dir.join("v1")).unwrap() {
            for f in std::fs::read_dir(ctx.unwrap().path()).unwrap() {
                out.push(f.unwrap().path());
            }
        }
        out.sort();
        out
    }

    #[test]
    fn damage_is_a_miss_never_a_wrong_vector() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, 1 << 30).unwrap();
            for k in 0..10u32 {
                c.put(text_key(&format!("s{k}")), &vec_of(k, 8), false);
            }
        }
        let seg = &segments(dir.path())[0];
        let mut bytes = std::fs::read(seg).unwrap();
        let len = record_len(8) as usize;
        // Flip one bit in record 2's vector, and cut record 9 in half.
        bytes[HEADER + 2 * len + 30] ^= 1;
        bytes.truncate(HEADER + 9 * len + len / 2);
        std::fs::write(seg, &bytes).unwrap();
        let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, 1 << 30).unwrap();
        assert!(c.get(text_key("s2")).is_none());
        assert!(c.get(text_key("s9")).is_none());
        for k in [0u32, 1, 3, 8] {
            assert_eq!(c.get(text_key(&format!("s{k}"))).unwrap().vector, vec_of(k, 8));
        }
        // A file that is not a segment is skipped. (The flipped record is still indexed:
        // checksums are verified when a vector is read.)
        std::fs::write(seg.with_file_name("junk.seg"), b"hello").unwrap();
        assert_eq!(DiskCache::open(dir.path(), "m", Pooling::Mean, 1 << 30).unwrap().len(), 9);
    }

    #[test]
    fn stays_within_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let dim = 384;
        let segment = 64 * record_len(dim);
        let limit = 3 * segment + 3 * HEADER as u64;
        let mut k = 0u32;
        for _round in 0..6 {
            let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, limit).unwrap();
            c.segment_bytes = segment;
            let per_segment = 64;
            for _ in 0..per_segment {
                c.put(text_key(&format!("s{k}")), &vec_of(k, dim), false);
                k += 1;
            }
        }
        let total: u64 = segments(dir.path()).iter().map(|p| p.metadata().unwrap().len()).sum();
        assert!(total <= limit, "{total} > {limit}");
        // The newest entries survive.
        let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, limit).unwrap();
        assert!(c.get(text_key(&format!("s{}", k - 1))).is_some());
        assert!(c.get(text_key("s0")).is_none());
    }

    #[test]
    fn concurrent_writers_do_not_clash() {
        let dir = tempfile::tempdir().unwrap();
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let root = dir.path();
                s.spawn(move || {
                    let mut c = DiskCache::open(root, "m", Pooling::Mean, 1 << 30).unwrap();
                    for k in 0..500u32 {
                        // Every thread writes some shared keys and some of its own.
                        let key = if k % 2 == 0 { k } else { t * 10_000 + k };
                        c.put(text_key(&format!("s{key}")), &vec_of(key, 16), false);
                        if k % 50 == 0 {
                            c.finish();
                        }
                    }
                });
            }
        });
        let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, 1 << 30).unwrap();
        assert_eq!(c.len(), 250 + 4 * 250);
        for t in 0..4u32 {
            for k in 0..500u32 {
                let key = if k % 2 == 0 { k } else { t * 10_000 + k };
                assert_eq!(c.get(text_key(&format!("s{key}"))).unwrap().vector, vec_of(key, 16));
            }
        }
    }

    #[test]
    fn many_small_segments_are_compacted_into_one() {
        let dir = tempfile::tempdir().unwrap();
        {
            // One record a segment, as many short runs would leave behind.
            let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, 1 << 30).unwrap();
            c.segment_bytes = record_len(8);
            for k in 0..(COMPACT_SEGMENTS as u32 + 6) {
                c.put(text_key(&format!("s{k}")), &vec_of(k, 8), k == 3);
            }
        }
        assert!(segments(dir.path()).len() > COMPACT_SEGMENTS);
        // Fresh segments may still be written by their process: they are left alone.
        drop(DiskCache::open(dir.path(), "m", Pooling::Mean, 1 << 30).unwrap());
        assert!(segments(dir.path()).len() > COMPACT_SEGMENTS);
        let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
        for path in segments(dir.path()) {
            File::options().write(true).open(path).unwrap().set_modified(hour_ago).unwrap();
        }
        let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, 1 << 30).unwrap();
        assert_eq!(segments(dir.path()).len(), 1, "compacted on open");
        for k in 0..(COMPACT_SEGMENTS as u32 + 6) {
            let hit = c.get(text_key(&format!("s{k}"))).unwrap();
            assert_eq!((hit.vector, hit.truncated), (vec_of(k, 8), k == 3));
        }
        drop(c);
        let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, 1 << 30).unwrap();
        assert_eq!(c.len(), COMPACT_SEGMENTS + 6);
        assert_eq!(c.get(text_key("s5")).unwrap().vector, vec_of(5, 8));
    }

    #[test]
    fn eviction_spares_another_process_s_recent_segment() {
        let dir = tempfile::tempdir().unwrap();
        let dim = 64;
        // Another process's segment in another context, written just now.
        let other = dir.path().join("v1").join("other-mean");
        std::fs::create_dir_all(&other).unwrap();
        let foreign = other.join("00000000000000000000000000000001-999999999-0.seg");
        std::fs::write(&foreign, vec![0u8; 40 * record_len(dim) as usize]).unwrap();
        let limit = 30 * record_len(dim);
        let mut c = DiskCache::open(dir.path(), "m", Pooling::Mean, limit).unwrap();
        c.segment_bytes = 10 * record_len(dim);
        for k in 0..30u32 {
            c.put(text_key(&format!("s{k}")), &vec_of(k, dim), false);
        }
        c.finish();
        assert!(foreign.exists(), "a recent foreign segment is never deleted");
        File::options().write(true).open(&foreign).unwrap().set_modified(SystemTime::UNIX_EPOCH).unwrap();
        c.approx_total = None;
        c.put(text_key("one more"), &vec_of(99, dim), false);
        c.finish();
        assert!(!foreign.exists(), "once settled, the oldest file goes first");
        assert_eq!(c.get(text_key("one more")).unwrap().vector, vec_of(99, dim));
    }
}
