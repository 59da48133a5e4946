//! Opening a model's graph in ONNX Runtime: the fp32 file, simlens's int8 graph or a shipped
//! quantized file, with the tokenizer and the content hash (the caches' key) read beside it.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use super::int8::{self, GraphCache, Precision};
use super::model::ModelFolder;
use super::runtime::Runtime;
use super::tokenize::TextTokenizer;
use crate::{Error, Result};

/// A built session with the tokenizer and the content hash read beside it.
pub(super) struct Opened {
    pub(super) session: Session,
    pub(super) tokenizer: TextTokenizer,
    pub(super) fingerprint: String,
}

/// Builds the ONNX Runtime session. For fp32 the tokenizer is parsed and the graph's
/// content hash (for caches) is read meanwhile: start-up is the longest of the three. The
/// int8 graph is made from (or cached under) that hash, so it waits for both.
pub(super) fn open_session(
    runtime: &Runtime,
    folder: &ModelFolder,
    threads: usize,
    max_length: usize,
    precision: &Precision,
    graph_cache: &GraphCache,
) -> Result<Opened> {
    if *precision == Precision::Int8 {
        // The tokenizer parses on a side thread while the graph is found and loaded; the
        // graph's cache key is the fp32 content hash, so hashing comes first.
        return std::thread::scope(|s| {
            let side = s.spawn(|| TextTokenizer::from_file(&folder.tokenizer, max_length));
            let t = std::time::Instant::now();
            let fp32 = fingerprint(&folder.onnx, &folder.tokenizer, max_length);
            let hashed = t.elapsed();
            let built = (|| {
                let tokenizer_for_calibration = || TextTokenizer::from_file(&folder.tokenizer, max_length);
                let graph = int8::int8_graph(
                    runtime,
                    folder,
                    &tokenizer_for_calibration,
                    &fp32,
                    threads,
                    graph_cache.dir().as_deref(),
                )?;
                let read = t.elapsed();
                let session = build_session(runtime, folder, threads, Graph::Memory(&graph))?;
                log::debug!(
                    "int8: hash {:.0} ms, graph {:.0} ms, session {:.0} ms",
                    hashed.as_secs_f64() * 1000.0,
                    (read - hashed).as_secs_f64() * 1000.0,
                    (t.elapsed() - read).as_secs_f64() * 1000.0
                );
                Ok::<_, Error>(session)
            })();
            let tokenizer =
                side.join().unwrap_or_else(|_| Err(Error::model(&folder.tokenizer, "reading it crashed")))?;
            let fingerprint = int8::fingerprint_of(&fp32);
            Ok(Opened { session: built?, tokenizer, fingerprint })
        });
    }
    let (session, tokenizer, fingerprint) = std::thread::scope(|s| {
        let side = s.spawn(|| {
            (
                TextTokenizer::from_file(&folder.tokenizer, max_length),
                fingerprint(&folder.onnx, &folder.tokenizer, max_length),
            )
        });
        let session = build_session(runtime, folder, threads, Graph::File(&folder.onnx));
        let (tokenizer, fingerprint) = side.join().unwrap_or_else(|_| {
            (Err(Error::model(&folder.tokenizer, "reading it crashed")), format!("unhashed-{max_length}"))
        });
        (session, tokenizer, fingerprint)
    });
    // A broken tokenizer is reported before a broken graph, as the pipeline reads them.
    let tokenizer = tokenizer?;
    // A shipped graph is another file of the same folder: its hash already differs.
    Ok(Opened { session: session?, tokenizer, fingerprint })
}

/// Where a session's graph comes from.
enum Graph<'a> {
    File(&'a Path),
    Memory(&'a [u8]),
}

fn build_session(runtime: &Runtime, folder: &ModelFolder, threads: usize, graph: Graph<'_>) -> Result<Session> {
    let ctx = |what: &str| format!("{what} for {}", folder.onnx.display());
    let t = std::time::Instant::now();
    let mut builder = Session::builder(runtime.environment())
        .map_err(|e| Error::ort(ctx("creating a session"), e))?
        // Extended: every fusion a transformer encoder benefits from (attention,
        // layer norm, GELU). The layout passes of "all" only serve convolutions;
        // leaving them out saved 20–40 ms of session creation here.
        .with_optimization_level(GraphOptimizationLevel::Level2)
        .map_err(|e| Error::ort(ctx("setting the optimisation level"), e))?
        .with_intra_threads(threads)
        .map_err(|e| Error::ort(ctx("setting threads"), e))?;
    let session = match graph {
        Graph::File(path) => builder.commit_from_file(path),
        Graph::Memory(bytes) => builder.commit_from_memory(bytes),
    }
    .map_err(|e| Error::model(&folder.onnx, format!("ONNX Runtime cannot load this graph: {e}")))?;
    log::debug!("ONNX Runtime session built in {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
    Ok(session)
}

/// The file of a shipped quantized graph, or an error listing the ones there are.
pub(super) fn shipped_file(folder: &ModelFolder, shipped: &[int8::ShippedGraph], stem: &str) -> Result<PathBuf> {
    match shipped.iter().find(|g| g.stem == stem) {
        Some(g) => Ok(g.path.clone()),
        None => {
            let have: Vec<String> = shipped.iter().map(|g| format!("shipped:{}", g.stem)).collect();
            Err(Error::model(
                folder.dir.join("onnx"),
                format!(
                    "has no {stem}.onnx; {}",
                    if have.is_empty() {
                        "this folder ships no quantized graphs: use --precision int8".to_owned()
                    } else {
                        format!("it ships: {}", have.join(", "))
                    }
                ),
            ))
        }
    }
}

/// The external weight files beside a graph (`model.onnx_data`, `model.onnx.data`, …), by name:
/// what shapes its vectors besides the graph file itself, and what a copy of it must carry.
pub fn external_data_files(onnx: &Path) -> std::io::Result<Vec<PathBuf>> {
    let stem = onnx.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let Some(dir) = onnx.parent() else { return Ok(Vec::new()) };
    let mut extra: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            p.is_file() && name != stem && (name.starts_with(&stem) || name.ends_with(".onnx_data"))
        })
        .collect();
    extra.sort();
    Ok(extra)
}

/// A cache key for a model: a hash of the bytes of everything that shapes its vectors
/// (the graph, its external weight files, the tokenizer) plus the maximum length.
/// Content, not path or time, so a copied model keeps its cache and a changed one does
/// not reuse it. `unhashed-…` when a file cannot be read (the caches then stay off).
fn fingerprint(onnx: &Path, tokenizer: &Path, max_length: usize) -> String {
    use std::io::Read as _;
    let hash = (|| -> std::io::Result<u128> {
        let mut files = vec![onnx.to_path_buf(), tokenizer.to_path_buf()];
        files.extend(external_data_files(onnx)?);
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut buf = vec![0u8; 1 << 20];
        for path in files {
            let mut file = std::fs::File::open(&path)?;
            hasher.update(path.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default());
            loop {
                match file.read(&mut buf)? {
                    0 => break,
                    k => hasher.update(&buf[..k]),
                }
            }
        }
        Ok(hasher.digest128())
    })();
    match hash {
        Ok(h) => format!("{h:032x}-{max_length}"),
        // Unreadable here means the session or tokenizer could not load either; that error wins.
        Err(_) => format!("unhashed-{max_length}"),
    }
}
