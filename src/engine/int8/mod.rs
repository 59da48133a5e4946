//! Precision: the folder's fp32 graph, an int8 graph simlens makes from it, or a quantized
//! graph the folder ships.
//!
//! The int8 graph is made once per model (calibration on [`CALIBRATION`] and the rewrite
//! in [`rewrite`]) and kept in the cache folder under the model's content hash, beside a
//! check file with its length and hash. A file that does not match its check (cut short,
//! damaged, or made by another rewrite version) is made again, never used.

pub mod rewrite;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use onnx_protobuf::{Message as _, ModelProto, TensorProto, ValueInfoProto};
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;
use serde::{Deserialize, Serialize};

use super::model::ModelFolder;
use super::runtime::Runtime;
use super::tokenize::TextTokenizer;
use crate::{Error, Result};

/// Bumped whenever the rewrite changes what it writes: older cached graphs are remade.
pub const REWRITE_VERSION: u32 = 2;

/// The cache key of a model's int8 graph, from its fp32 key: vectors and graphs of the two
/// precisions never share an entry.
pub fn fingerprint_of(fp32: &str) -> String {
    format!("{fp32}-int8v{REWRITE_VERSION}")
}

/// The fp32 key an int8 key was made from ([`fingerprint_of`] undone); `None` for other keys.
pub fn fp32_fingerprint(int8: &str) -> Option<&str> {
    int8.strip_suffix(&format!("-int8v{REWRITE_VERSION}"))
}

/// Sentences the int8 graph's fp32 channels are chosen on: varied lengths and topics,
/// from the project's own generated corpora (never the test references).
pub const CALIBRATION: &str = include_str!("calibration.txt");

/// Tokens per calibration sentence at most: longer ones add time, not information.
const CALIBRATION_TOKENS: usize = 128;

/// Which graph embeds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// The folder's own fp32 graph.
    #[default]
    Fp32,
    /// simlens's int8 graph: per-row dynamic quantization, the same vector in any batch.
    Int8,
    /// A quantized graph the folder ships, by file stem (`onnx/model_qint8_avx512_vnni.onnx`
    /// is `model_qint8_avx512_vnni`).
    Shipped(String),
}

impl Precision {
    /// The name used on the command line and in files.
    pub fn as_string(&self) -> String {
        match self {
            Precision::Fp32 => "fp32".into(),
            Precision::Int8 => "int8".into(),
            Precision::Shipped(stem) => format!("shipped:{stem}"),
        }
    }

    /// What the app's picker says.
    pub fn label(&self) -> String {
        match self {
            Precision::Fp32 => "fp32: exact".into(),
            Precision::Int8 => "int8: fast, approximate".into(),
            Precision::Shipped(stem) => format!("{stem} (the folder's own file)"),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "fp32" | "float32" | "f32" => Ok(Precision::Fp32),
            "int8" | "i8" => Ok(Precision::Int8),
            _ => match s.strip_prefix("shipped:") {
                Some(stem) if !stem.is_empty() => Ok(Precision::Shipped(stem.trim_end_matches(".onnx").to_owned())),
                _ => Err(format!(
                    "unknown precision `{s}` (expected fp32, int8, or shipped:NAME for a quantized file the model folder ships)"
                )),
            },
        }
    }
}

/// A quantized graph shipped in the sentence-transformers layout (`onnx/model_*.onnx`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippedGraph {
    /// The file stem, as `shipped:STEM` names it.
    pub stem: String,
    /// The file.
    pub path: PathBuf,
    /// Whether its activations are quantized with one scale per batch
    /// (`DynamicQuantizeLinear`, `DynamicQuantizeMatMul`): a sentence's vector then
    /// depends on the other sentences in its batch.
    pub batch_dependent: bool,
}

/// The quantized graphs a model folder ships beside its fp32 one.
pub fn shipped_graphs(folder: &ModelFolder) -> Vec<ShippedGraph> {
    let dir = folder.dir.join("onnx");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut found: Vec<ShippedGraph> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "onnx") && *p != folder.onnx)
        .filter_map(|path| {
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            if !stem.starts_with("model_") {
                return None;
            }
            // Protobuf writes a graph's nodes before its initializers, so their op types are
            // in the file's first megabytes: no need to read every weight at each load.
            use std::io::Read as _;
            let mut head = Vec::new();
            std::fs::File::open(&path).ok()?.take(16 << 20).read_to_end(&mut head).ok()?;
            let batch_dependent = contains(&head, b"DynamicQuantize");
            Some(ShippedGraph { stem, path, batch_dependent })
        })
        .collect();
    found.sort_by(|a, b| a.stem.cmp(&b.stem));
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The int8 graph of `folder`, as bytes for a session: from the cache when a checked copy
/// is there, else made now (and cached when there is a cache folder). `tokenizer` is called
/// only when the graph has to be made, for the calibration sentences.
pub fn int8_graph(
    runtime: &Runtime,
    folder: &ModelFolder,
    tokenizer: &dyn Fn() -> Result<TextTokenizer>,
    fingerprint: &str,
    threads: usize,
    cache_dir: Option<&Path>,
) -> Result<Vec<u8>> {
    let cached = cache_dir.map(|dir| CachedGraph::new(dir, fingerprint));
    if let Some(c) = &cached {
        match c.read() {
            Ok(Some(bytes)) => return Ok(bytes),
            Ok(None) => {}
            Err(why) => log::warn!("{}: {why}; making the int8 graph again", c.graph.display()),
        }
    }
    let started = std::time::Instant::now();
    let mut model = read_model(&folder.onnx)?;
    // Only a graph being made needs the tokenizer here (the caller parses its own meanwhile).
    let tokenizer = tokenizer()?;
    let ranges = calibrate(runtime, &model, &tokenizer, threads)
        .map_err(|e| Error::model(&folder.onnx, format!("calibrating the int8 graph failed: {e}")))?;
    let summary = rewrite::rewrite(&mut model, &ranges).map_err(|e| Error::model(&folder.onnx, e))?;
    let bytes = model
        .write_to_bytes()
        .map_err(|e| Error::model(&folder.onnx, format!("the int8 graph cannot be written: {e}")))?;
    log::info!(
        "{}: int8 graph made in {:.1} s ({} MatMuls over {} activations, {} fp32 channels)",
        folder.name,
        started.elapsed().as_secs_f64(),
        summary.matmuls,
        summary.activations,
        summary.outlier_channels
    );
    if let Some(c) = &cached
        && let Err(e) = c.write(&bytes)
    {
        // The graph still works from memory; only the next start pays again.
        log::warn!("cannot keep the int8 graph in {}: {e}", c.graph.display());
    }
    Ok(bytes)
}

/// Reads a graph with any external weight files inlined, so it can be rewritten and
/// loaded from memory.
pub fn read_model(path: &Path) -> Result<ModelProto> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut model = ModelProto::parse_from_bytes(&bytes)
        .map_err(|e| Error::model(path, format!("is not a readable ONNX graph: {e}")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    for t in model.graph.mut_or_insert_default().initializer.iter_mut() {
        inline_external(t, dir)?;
    }
    Ok(model)
}

fn inline_external(t: &mut TensorProto, dir: &Path) -> Result<()> {
    // DataLocation::EXTERNAL is 1.
    if t.data_location.value() != 1 {
        return Ok(());
    }
    let get = |k: &str| t.external_data.iter().find(|e| e.key == k).map(|e| e.value.clone());
    let location = get("location").ok_or_else(|| Error::model(dir, format!("weight `{}` has no location", t.name)))?;
    let offset: u64 = get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let file = dir.join(&location);
    let data = std::fs::read(&file).map_err(|e| Error::io("cannot read", &file, e))?;
    let length: u64 =
        get("length").and_then(|v| v.parse().ok()).unwrap_or(data.len() as u64 - offset.min(data.len() as u64));
    let (start, end) = (offset as usize, (offset + length) as usize);
    if end > data.len() {
        return Err(Error::model(&file, format!("is shorter than weight `{}` needs", t.name)));
    }
    t.raw_data = data[start..end].to_vec();
    t.external_data.clear();
    t.data_location = protobuf::EnumOrUnknown::from_i32(0);
    Ok(())
}

/// Each quantized activation's per-channel absolute maximum over the calibration
/// sentences, from one fp32 run per sentence with those activations as extra outputs.
fn calibrate(
    runtime: &Runtime,
    model: &ModelProto,
    tokenizer: &TextTokenizer,
    threads: usize,
) -> std::result::Result<HashMap<String, Vec<f32>>, String> {
    let mut activations: Vec<String> = rewrite::targets(model).into_iter().map(|t| t.activation).collect();
    activations.sort();
    activations.dedup();
    let mut probe = model.clone();
    let existing: Vec<String> = probe.graph.output.iter().map(|o| o.name.clone()).collect();
    for a in activations.iter().filter(|a| !existing.contains(a)) {
        probe.graph.mut_or_insert_default().output.push(float_output(a));
    }
    let bytes = probe.write_to_bytes().map_err(|e| e.to_string())?;
    let mut session = Session::builder(runtime.environment())
        .map_err(|e| e.to_string())?
        .with_optimization_level(GraphOptimizationLevel::Disable)
        .map_err(|e| e.to_string())?
        .with_intra_threads(threads.max(1))
        .map_err(|e| e.to_string())?
        .commit_from_memory(&bytes)
        .map_err(|e| e.to_string())?;
    let inputs: Vec<String> = session.inputs().iter().map(|i| i.name().to_owned()).collect();
    let mut ranges: HashMap<String, Vec<f32>> = HashMap::new();
    for line in CALIBRATION.lines().filter(|l| !l.trim().is_empty()) {
        let mut t = tokenizer.encode(line).map_err(|e| e.to_string())?;
        let keep = t.ids.len().min(CALIBRATION_TOKENS);
        t.ids.truncate(keep);
        t.attention_mask.truncate(keep);
        t.type_ids.truncate(keep);
        let shape = [1usize, keep];
        let mut feed = Vec::new();
        for name in &inputs {
            let data = match name.as_str() {
                "input_ids" => &t.ids,
                "attention_mask" => &t.attention_mask,
                "token_type_ids" => &t.type_ids,
                other => return Err(format!("graph input `{other}` is not one simlens can feed")),
            };
            feed.push((
                name.as_str(),
                TensorRef::from_array_view((shape, data.as_slice())).map_err(|e| e.to_string())?,
            ));
        }
        let outputs = session.run(feed).map_err(|e| e.to_string())?;
        for a in &activations {
            let (shape, data) = outputs[a.as_str()].try_extract_tensor::<f32>().map_err(|e| e.to_string())?;
            let k = shape.last().copied().unwrap_or(0) as usize;
            if k == 0 {
                continue;
            }
            let range = ranges.entry(a.clone()).or_insert_with(|| vec![0.0; k]);
            if range.len() != k {
                continue;
            }
            for row in data.chunks_exact(k) {
                for (m, v) in range.iter_mut().zip(row) {
                    *m = m.max(v.abs());
                }
            }
        }
    }
    Ok(ranges)
}

fn float_output(name: &str) -> ValueInfoProto {
    use onnx_protobuf::{TypeProto, type_proto};
    let tensor = type_proto::Tensor { elem_type: 1, ..Default::default() };
    ValueInfoProto {
        name: name.into(),
        type_: Some(TypeProto { value: Some(type_proto::Value::TensorType(tensor)), ..Default::default() }).into(),
        ..Default::default()
    }
}

/// The cached int8 graph of one model and its check file.
struct CachedGraph {
    graph: PathBuf,
    check: PathBuf,
    expect: String,
}

impl CachedGraph {
    fn new(dir: &Path, fingerprint: &str) -> Self {
        let stem = format!("{fingerprint}-int8-v{REWRITE_VERSION}");
        Self {
            graph: dir.join(format!("{stem}.onnx")),
            check: dir.join(format!("{stem}.check")),
            expect: format!("simlens int8 graph v{REWRITE_VERSION} of {fingerprint}"),
        }
    }

    fn check_line(&self, bytes: &[u8]) -> String {
        format!("{}: {} bytes, xxh3 {:032x}\n", self.expect, bytes.len(), xxhash_rust::xxh3::xxh3_128(bytes))
    }

    /// `Ok(None)`: nothing cached yet. `Err`: something is there but does not match.
    fn read(&self) -> std::result::Result<Option<Vec<u8>>, String> {
        let check = match std::fs::read_to_string(&self.check) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("its check file cannot be read: {e}")),
        };
        let bytes = std::fs::read(&self.graph).map_err(|e| format!("it cannot be read: {e}"))?;
        if check != self.check_line(&bytes) {
            return Err("it does not match its check file (damaged, cut short or stale)".into());
        }
        Ok(Some(bytes))
    }

    /// Graph first, then its check: a crash between the two leaves a graph without a
    /// matching check, which is remade.
    fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        let dir = self.graph.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        write_replacing(&self.graph, bytes)?;
        write_replacing(&self.check, self.check_line(bytes).as_bytes())
    }
}

/// Writes through a temporary file in the same folder and renames it into place.
///
/// Not `io::atomic_write`: the engine does not depend on `io`, and this file lives in
/// simlens's own cache folder (a regular file simlens made, never a user's link, device or
/// `-`), so the plain rename is all the care it needs.
pub(crate) fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The file the int8 graph of a model with this (fp32) fingerprint is kept in, in `dir`.
pub fn cached_graph_path(dir: &Path, fingerprint: &str) -> PathBuf {
    CachedGraph::new(dir, fingerprint).graph
}

/// Where simlens keeps the int8 graphs it makes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum GraphCache {
    /// `graphs/` in the embedding cache's folder ([`crate::engine::cache::default_root`]); none
    /// when that is off.
    #[default]
    Default,
    /// This folder.
    At(PathBuf),
    /// Made in memory at every load.
    Off,
}

impl GraphCache {
    /// The folder, if graphs are kept.
    pub fn dir(&self) -> Option<PathBuf> {
        match self {
            GraphCache::Default => super::cache::default_root().map(|r| r.join("graphs")),
            GraphCache::At(dir) => Some(dir.clone()),
            GraphCache::Off => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_names_round_trip() {
        for p in [Precision::Fp32, Precision::Int8, Precision::Shipped("model_qint8_avx512_vnni".into())] {
            assert_eq!(p.as_string().parse::<Precision>().unwrap(), p);
        }
        assert!("int4".parse::<Precision>().unwrap_err().contains("expected fp32, int8"));
        assert!("shipped:".parse::<Precision>().is_err());
    }
}
