//! The [`Embedder`] trait and its ONNX Runtime implementation.
//!
//! The pipeline follows the order of the data: tokenize (in parallel) → sort by
//! length and cut into batches → build the int64 tensors → run → pick outputs by
//! name → pool → L2-normalise → put rows back in input order.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};
use serde::Serialize;

use super::int8::{self, GraphCache, Precision};
use super::model::ModelFolder;
use super::onnx_session::{Opened, open_session, shipped_file};
use super::pooling::{Pooling, mean_pool, normalize};
use super::runtime::Runtime;
use super::tokenize::{TextTokenizer, TokenInfo};
use crate::{Error, Result};

/// Row-major matrix of sentence vectors, one row per input text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embeddings {
    /// Length of each vector.
    pub dim: usize,
    /// `len() × dim` values, row after row.
    pub data: Vec<f32>,
    /// Indices of inputs that were longer than the model's maximum and were cut.
    pub truncated: Vec<usize>,
}

impl Embeddings {
    /// An empty set of `dim`-long vectors.
    pub fn empty(dim: usize) -> Self {
        Self { dim, data: Vec::new(), truncated: Vec::new() }
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Whether there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The `i`-th vector.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// All vectors in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[f32]> {
        self.data.chunks_exact(self.dim.max(1))
    }
}

/// What a front end needs to know about a loaded model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelInfo {
    /// Display name (the folder's name).
    pub name: String,
    /// The model folder.
    pub dir: PathBuf,
    /// Vector length.
    pub dim: usize,
    /// Maximum tokens per sentence, special tokens included.
    pub max_length: usize,
    /// Pooling used when none is asked for.
    pub default_pooling: Pooling,
    /// The poolings this model's outputs allow.
    pub poolings: Vec<Pooling>,
    /// The graph's input names.
    pub inputs: Vec<String>,
    /// The graph's output names.
    pub outputs: Vec<String>,
    /// Identifies the exact weights and settings, for caches: changes when the
    /// graph file or the maximum length changes.
    pub fingerprint: String,
    /// What the user should know about how the model was read (a capped length).
    pub notes: Vec<String>,
    /// The graph that embeds.
    pub precision: Precision,
    /// Quantized graphs the folder ships (`onnx/model_*.onnx`), offered beside fp32 and int8.
    pub shipped: Vec<int8::ShippedGraph>,
}

/// Progress callback: called with (done, total) sentences; returning `false` cancels.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize) -> bool;

/// Something that turns sentences into normalised vectors.
///
/// The GUI worker, the CLI and the tests all go through this trait, so UI tests can
/// swap in a fast fake while the real path is tested against ONNX Runtime.
pub trait Embedder: Send {
    /// The loaded model.
    fn info(&self) -> &ModelInfo;

    /// Embeds `texts` with `pooling`; each row is L2-normalised.
    fn embed(&mut self, texts: &[&str], pooling: Pooling, progress: Progress<'_>) -> Result<Embeddings>;

    /// The tokens, ids, mask and segment ids the model sees for `text`.
    fn tokens(&self, text: &str) -> Result<TokenInfo>;

    /// Each attended token's vector in the sequence output (`tokens.len() × dim`), with
    /// the tokens: what mean pooling averages. An error when the graph has no sequence output.
    fn token_vectors(&mut self, texts: &[&str]) -> Result<Vec<TokenVectors>>;

    /// Embeds already tokenized rows (a sentence with a token dropped) with `pooling`;
    /// each row is L2-normalised.
    fn embed_tokens(&mut self, rows: &[TokenInfo], pooling: Pooling) -> Result<Embeddings>;

    /// Whether its vectors are worth keeping in a [`super::store::VectorStore`]: a model's
    /// are; vectors that are looked up (a vectors file) are their own cache.
    fn is_cacheable(&self) -> bool {
        true
    }
}

/// A sentence's attended tokens and their vectors in the sequence output.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenVectors {
    /// The tokens (mask 1 only), specials included.
    pub tokens: TokenInfo,
    /// Length of a vector.
    pub dim: usize,
    /// `tokens.ids.len() × dim`, row-major.
    pub vectors: Vec<f32>,
}

/// Options for loading an ONNX model.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Maximum sentences per batch.
    pub batch_size: usize,
    /// Maximum padded tokens (rows × longest row) per batch.
    pub max_batch_tokens: usize,
    /// ONNX Runtime intra-op threads; 0 means one per available core.
    pub threads: usize,
    /// Overrides the folder's maximum sequence length.
    pub max_length: Option<usize>,
    /// Which graph embeds: the folder's fp32 graph, simlens's int8 graph, or a shipped one.
    pub precision: Precision,
    /// Where the int8 graph is kept between runs.
    pub graph_cache: GraphCache,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            batch_size: 32,
            max_batch_tokens: 32 * 128,
            threads: 0,
            max_length: None,
            precision: Precision::Fp32,
            graph_cache: GraphCache::Default,
        }
    }
}

/// Names of the sequence output, in order of preference.
pub const SEQUENCE_OUTPUTS: [&str; 3] = ["last_hidden_state", "token_embeddings", "sequence_output"];
/// Names of a pooled output, in order of preference.
pub const POOLED_OUTPUTS: [&str; 3] = ["pooler_output", "pooled_output", "sentence_embedding"];

/// Raw graph outputs for one batch.
#[derive(Debug, Clone)]
pub struct BatchOutput {
    /// Rows in the batch.
    pub batch: usize,
    /// Padded sequence length.
    pub seq_len: usize,
    /// `batch × seq_len × dim` sequence output, if the graph has one.
    pub sequence: Option<Vec<f32>>,
    /// `batch × pooled_dim` pooled output, if the graph has one.
    pub pooled: Option<Vec<f32>>,
    /// Length of a token vector in the sequence output (or of the pooled output when
    /// there is no sequence output).
    pub dim: usize,
    /// Length of a pooled vector; it can differ from `dim` (e.g. a Dense layer after pooling).
    pub pooled_dim: usize,
}

/// A model folder loaded into an ONNX Runtime session.
pub struct OnnxEmbedder {
    session: Session,
    tokenizer: TextTokenizer,
    info: ModelInfo,
    options: LoadOptions,
    inputs: GraphInputs,
    outputs: GraphOutputs,
    vocab_limit: Option<usize>,
    sequence_dim: usize,
    pooled_dim: usize,
}

impl OnnxEmbedder {
    /// Loads the model folder `dir` and checks that its graph can be fed and read.
    pub fn load(runtime: &Runtime, dir: impl AsRef<Path>, options: LoadOptions) -> Result<Self> {
        let started = std::time::Instant::now();
        let mut folder = ModelFolder::open(dir)?;
        if let Some(wanted) = options.max_length {
            folder.notes.clear();
            folder = folder.capped(wanted);
        }
        let max_length = folder.max_length;
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        } else {
            options.threads
        };
        let shipped = int8::shipped_graphs(&folder);
        if let Precision::Shipped(stem) = &options.precision {
            folder.onnx = shipped_file(&folder, &shipped, stem)?;
        }
        let Opened { session, tokenizer, fingerprint } =
            open_session(runtime, &folder, threads, max_length, &options.precision, &options.graph_cache)?;
        if let Some(vocab) = folder.vocab_size
            && tokenizer.vocab_size() > vocab
        {
            return Err(Error::model(
                &folder.tokenizer,
                format!(
                    "has {} tokens but config.json's vocab_size is {vocab}: the tokenizer belongs to another model",
                    tokenizer.vocab_size()
                ),
            ));
        }
        let inputs = GraphInputs::detect(&session, &folder.onnx)?;
        let outputs = GraphOutputs::detect(&session, &folder.onnx)?;
        let poolings = outputs.poolings();
        let default_pooling = folder
            .configured_pooling
            .filter(|p| poolings.contains(p))
            .unwrap_or(if outputs.sequence.is_some() { Pooling::Mean } else { Pooling::Pooled });
        let info = ModelInfo {
            name: folder.name.clone(),
            dir: folder.dir.clone(),
            dim: 0,
            max_length,
            default_pooling,
            poolings,
            inputs: session.inputs().iter().map(|i| i.name().to_owned()).collect(),
            outputs: outputs.names.clone(),
            fingerprint,
            notes: folder.notes.clone(),
            precision: options.precision.clone(),
            shipped,
        };
        let mut embedder = Self {
            session,
            tokenizer,
            info,
            options: LoadOptions { threads, max_length: Some(max_length), ..options.clone() },
            inputs,
            outputs,
            vocab_limit: folder.vocab_size,
            sequence_dim: 0,
            pooled_dim: 0,
        };
        let session_ready = started.elapsed();
        embedder.probe(&folder.onnx)?;
        log::debug!(
            "{}: tokenizer and session {:.0} ms, first run {:.0} ms",
            embedder.info.name,
            session_ready.as_secs_f64() * 1000.0,
            (started.elapsed() - session_ready).as_secs_f64() * 1000.0
        );
        Ok(embedder)
    }

    /// A first run finds the vector length and proves the graph works end to end, so a
    /// broken model fails at load and not in the middle of a job.
    fn probe(&mut self, onnx: &Path) -> Result<()> {
        let probe = self.tokenizer.encode("simlens")?;
        let out = self.run_batch(&[&probe]).map_err(|e| match e {
            Error::Ort { message, .. } => Error::model(onnx, format!("a test run failed: {message}")),
            other => other,
        })?;
        self.sequence_dim = out.dim;
        self.pooled_dim = out.pooled_dim;
        self.info.dim = self.dim_for(self.info.default_pooling);
        Ok(())
    }

    /// The tokenizer in use.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// Runs the graph on already tokenized rows, padding them to the longest row.
    pub fn run_batch(&mut self, rows: &[&TokenInfo]) -> Result<BatchOutput> {
        let batch = rows.len();
        let seq_len = rows.iter().map(|r| r.ids.len()).max().unwrap_or(0);
        if batch == 0 || seq_len == 0 {
            return Err(Error::internal("a batch with no tokens reached the model"));
        }
        let mut ids = vec![0i64; batch * seq_len];
        let mut mask = vec![0i64; batch * seq_len];
        let mut types = vec![0i64; batch * seq_len];
        for (r, row) in rows.iter().enumerate() {
            let at = r * seq_len;
            ids[at..at + row.ids.len()].copy_from_slice(&row.ids);
            mask[at..at + row.attention_mask.len()].copy_from_slice(&row.attention_mask);
            types[at..at + row.type_ids.len()].copy_from_slice(&row.type_ids);
        }
        if let Some(limit) = self.vocab_limit
            && let Some(bad) = ids.iter().find(|&&id| id < 0 || id as usize >= limit)
        {
            return Err(Error::Tokenize(format!(
                "token id {bad} is outside the model's vocabulary of {limit}: the tokenizer does not match the model"
            )));
        }
        let shape = [batch, seq_len];
        fn tensor(shape: [usize; 2], data: &[i64]) -> Result<TensorRef<'_, i64>> {
            TensorRef::from_array_view((shape, data)).map_err(|e| Error::ort("building an input tensor", e))
        }
        let mut inputs = vec![("input_ids", tensor(shape, &ids)?)];
        if self.inputs.attention_mask {
            inputs.push(("attention_mask", tensor(shape, &mask)?));
        }
        if self.inputs.token_type_ids {
            inputs.push(("token_type_ids", tensor(shape, &types)?));
        }
        let outputs = self.session.run(inputs).map_err(|e| Error::ort("running the model", e))?;

        let mut dim = 0;
        let mut pooled_dim = 0;
        let sequence = match &self.outputs.sequence {
            Some(name) => {
                let (shape, data) = outputs[name.as_str()]
                    .try_extract_tensor::<f32>()
                    .map_err(|e| Error::ort(format!("reading output `{name}`"), e))?;
                if shape.len() != 3 || shape[0] as usize != batch || shape[1] as usize != seq_len {
                    return Err(Error::ort(
                        format!("reading output `{name}`"),
                        format!("shape {:?}, expected [{batch}, {seq_len}, dim]", &shape[..]),
                    ));
                }
                dim = shape[2] as usize;
                Some(data.to_vec())
            }
            None => None,
        };
        let pooled = match &self.outputs.pooled {
            Some(name) => {
                let (shape, data) = outputs[name.as_str()]
                    .try_extract_tensor::<f32>()
                    .map_err(|e| Error::ort(format!("reading output `{name}`"), e))?;
                if shape.len() != 2 || shape[0] as usize != batch {
                    return Err(Error::ort(
                        format!("reading output `{name}`"),
                        format!("shape {:?}, expected [{batch}, dim]", &shape[..]),
                    ));
                }
                pooled_dim = shape[1] as usize;
                if dim == 0 {
                    dim = pooled_dim;
                }
                Some(data.to_vec())
            }
            None => None,
        };
        if dim == 0 {
            return Err(Error::ort("reading outputs", "the model returned zero-length vectors"));
        }
        Ok(BatchOutput { batch, seq_len, sequence, pooled, dim, pooled_dim })
    }

    /// Pools already tokenized rows in length-sorted batches; rows go back in input order.
    fn embed_encoded(&mut self, encoded: &[TokenInfo], pooling: Pooling, progress: Progress<'_>) -> Result<Embeddings> {
        let dim = self.dim_for(pooling);
        let total = encoded.len();
        let truncated = encoded.iter().enumerate().filter(|(_, e)| e.truncated).map(|(i, _)| i).collect();

        // Length-sorted batches waste little on padding; results go back by index, and
        // padding never changes a row's result (tested), so order is invisible to callers.
        let mut order: Vec<usize> = (0..total).collect();
        order.sort_by_key(|&i| encoded[i].ids.len());
        let mut data = vec![0.0f32; total * dim];
        let mut done = 0;
        let mut start = 0;
        while start < total {
            let mut end = start;
            while end < total {
                let rows = end - start + 1;
                let longest = encoded[order[end]].ids.len();
                if end > start && (rows > self.options.batch_size || rows * longest > self.options.max_batch_tokens) {
                    break;
                }
                end += 1;
            }
            let rows: Vec<&TokenInfo> = order[start..end].iter().map(|&i| &encoded[i]).collect();
            let out = self.run_batch(&rows)?;
            for (r, &i) in order[start..end].iter().enumerate() {
                let dst = &mut data[i * dim..(i + 1) * dim];
                pool_row(&out, r, &rows[r].attention_mask, pooling, dst);
                normalize(dst);
            }
            done += end - start;
            start = end;
            if !progress(done, total) {
                return Err(Error::Cancelled);
            }
        }
        Ok(Embeddings { dim, data, truncated })
    }

    /// The vector length a pooling gives.
    fn dim_for(&self, pooling: Pooling) -> usize {
        if pooling == Pooling::Pooled && self.pooled_dim > 0 { self.pooled_dim } else { self.sequence_dim }
    }

    fn check_pooling(&self, pooling: Pooling) -> Result<()> {
        if self.info.poolings.contains(&pooling) {
            return Ok(());
        }
        let why = match pooling {
            Pooling::Pooled => format!("the graph has no pooled output (it has: {})", self.info.outputs.join(", ")),
            _ => format!("the graph has no sequence output (it has: {})", self.info.outputs.join(", ")),
        };
        Err(Error::PoolingUnavailable { pooling: pooling.to_string(), model: self.info.name.clone(), why })
    }
}

impl Embedder for OnnxEmbedder {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn embed(&mut self, texts: &[&str], pooling: Pooling, progress: Progress<'_>) -> Result<Embeddings> {
        self.check_pooling(pooling)?;
        let encoded = self.tokenizer.encode_many(texts)?;
        self.embed_encoded(&encoded, pooling, progress)
    }

    fn token_vectors(&mut self, texts: &[&str]) -> Result<Vec<TokenVectors>> {
        if self.outputs.sequence.is_none() {
            return Err(Error::PoolingUnavailable {
                pooling: "token vectors".into(),
                model: self.info.name.clone(),
                why: format!("the graph has no sequence output (it has: {})", self.info.outputs.join(", ")),
            });
        }
        let encoded = self.tokenizer.encode_many(texts)?;
        let mut all = Vec::with_capacity(encoded.len());
        for batch in encoded.chunks(self.options.batch_size.max(1)) {
            let rows: Vec<&TokenInfo> = batch.iter().collect();
            let out = self.run_batch(&rows)?;
            all.extend(token_rows(batch, &out));
        }
        Ok(all)
    }

    fn embed_tokens(&mut self, rows: &[TokenInfo], pooling: Pooling) -> Result<Embeddings> {
        self.check_pooling(pooling)?;
        self.embed_encoded(rows, pooling, &mut |_, _| true)
    }

    fn tokens(&self, text: &str) -> Result<TokenInfo> {
        self.tokenizer.encode(text)
    }
}

/// Each row's attended token vectors from a batch's sequence output.
fn token_rows(batch: &[TokenInfo], out: &BatchOutput) -> Vec<TokenVectors> {
    let (dim, seq_len) = (out.dim, out.seq_len);
    let seq = out.sequence.as_deref().unwrap_or_default();
    batch
        .iter()
        .enumerate()
        .map(|(r, t)| {
            // Attended tokens only: those mean pooling counts.
            let keep: Vec<usize> = (0..t.ids.len()).filter(|&k| t.attention_mask[k] == 1).collect();
            let mut vectors = Vec::with_capacity(keep.len() * dim);
            for &k in &keep {
                let at = (r * seq_len + k) * dim;
                vectors.extend_from_slice(&seq[at..at + dim]);
            }
            // Unpadded encodings attend to every token; any that do not are left out.
            let tokens = (0..t.ids.len()).rev().filter(|k| !keep.contains(k)).fold(t.clone(), |acc, k| acc.without(k));
            TokenVectors { tokens, dim, vectors }
        })
        .collect()
}

/// The optional inputs the graph takes, detected from the session (`input_ids` is required).
#[derive(Debug, Clone, Copy)]
struct GraphInputs {
    attention_mask: bool,
    token_type_ids: bool,
}

impl GraphInputs {
    fn detect(session: &Session, onnx: &Path) -> Result<Self> {
        let mut found = Self { attention_mask: false, token_type_ids: false };
        let mut has_ids = false;
        for input in session.inputs() {
            match input.name() {
                "input_ids" => has_ids = true,
                "attention_mask" => found.attention_mask = true,
                "token_type_ids" => found.token_type_ids = true,
                other => {
                    return Err(Error::model(
                        onnx,
                        format!(
                            "graph input `{other}` is not one simlens can feed (input_ids, attention_mask, token_type_ids)"
                        ),
                    ));
                }
            }
            if !matches!(input.dtype(), ValueType::Tensor { ty: TensorElementType::Int64, shape, .. } if shape.len() == 2)
            {
                return Err(Error::model(
                    onnx,
                    format!(
                        "graph input `{}` is {}; simlens feeds int64 [batch, sequence]",
                        input.name(),
                        input.dtype()
                    ),
                ));
            }
        }
        if !has_ids {
            return Err(Error::model(onnx, "graph has no `input_ids` input"));
        }
        Ok(found)
    }
}

/// The outputs simlens reads, found by name.
#[derive(Debug, Clone)]
struct GraphOutputs {
    /// The rank-3 sequence output, if any.
    sequence: Option<String>,
    /// The rank-2 pooled output, if any.
    pooled: Option<String>,
    /// Every output's name, for messages.
    names: Vec<String>,
}

impl GraphOutputs {
    fn detect(session: &Session, onnx: &Path) -> Result<Self> {
        let names: Vec<String> = session.outputs().iter().map(|o| o.name().to_owned()).collect();
        let find = |wanted: &[&str], rank: usize| -> Result<Option<String>> {
            for name in wanted {
                if let Some(o) = session.outputs().iter().find(|o| o.name() == *name) {
                    return match o.dtype() {
                        ValueType::Tensor { ty: TensorElementType::Float32, shape, .. } if shape.len() == rank => {
                            Ok(Some((*name).to_owned()))
                        }
                        other => Err(Error::model(
                            onnx,
                            format!("graph output `{name}` is {other}; expected float32 of rank {rank}"),
                        )),
                    };
                }
            }
            Ok(None)
        };
        let sequence = find(&SEQUENCE_OUTPUTS, 3)?;
        let pooled = find(&POOLED_OUTPUTS, 2)?;
        if sequence.is_none() && pooled.is_none() {
            return Err(Error::model(
                onnx,
                format!(
                    "graph has none of the outputs simlens reads ({} or {}); it has: {}",
                    SEQUENCE_OUTPUTS.join(", "),
                    POOLED_OUTPUTS.join(", "),
                    names.join(", ")
                ),
            ));
        }
        Ok(Self { sequence, pooled, names })
    }

    /// The poolings these outputs allow.
    fn poolings(&self) -> Vec<Pooling> {
        let mut poolings = Vec::new();
        if self.sequence.is_some() {
            poolings.extend([Pooling::Mean, Pooling::Cls]);
        }
        if self.pooled.is_some() {
            poolings.push(Pooling::Pooled);
        }
        poolings
    }
}

/// Pools row `r` of a batch into `dst` (not yet normalised).
fn pool_row(out: &BatchOutput, r: usize, mask: &[i64], pooling: Pooling, dst: &mut [f32]) {
    let dim = out.dim;
    match pooling {
        Pooling::Mean | Pooling::Cls => {
            let Some(seq) = &out.sequence else { return };
            let hidden = &seq[r * out.seq_len * dim..(r + 1) * out.seq_len * dim];
            if pooling == Pooling::Mean {
                let real = &hidden[..mask.len() * dim];
                mean_pool(real, mask, dim, dst);
            } else {
                dst.copy_from_slice(&hidden[..dim]);
            }
        }
        Pooling::Pooled => {
            let pd = out.pooled_dim;
            if let Some(p) = &out.pooled
                && dst.len() == pd
            {
                dst.copy_from_slice(&p[r * pd..(r + 1) * pd]);
            }
        }
    }
}
