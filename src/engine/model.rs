//! A model folder: its files, its configs, and what they say about pooling and length.
//!
//! The layout is the one optimum and sentence-transformers exports use, so a user can
//! point simlens at such a folder unchanged:
//!
//! ```text
//! model.onnx | onnx/model.onnx      the graph (required)
//! tokenizer.json                    the tokenizer (required)
//! config.json                       max_position_embeddings, vocab_size (optional)
//! sentence_bert_config.json         max_seq_length (optional)
//! 1_Pooling/config.json             pooling_mode_* (optional)
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::pooling::Pooling;
use crate::{Error, Result};

/// Sequence length used when no config names one.
pub const DEFAULT_MAX_LENGTH: usize = 512;

/// What the files of a model folder say, read without ONNX Runtime.
#[derive(Debug, Clone)]
pub struct ModelFolder {
    /// The folder.
    pub dir: PathBuf,
    /// A short display name: the folder's name.
    pub name: String,
    /// The ONNX graph file.
    pub onnx: PathBuf,
    /// The tokenizer file.
    pub tokenizer: PathBuf,
    /// Maximum tokens per sentence, special tokens included.
    pub max_length: usize,
    /// Pooling named by `1_Pooling/config.json`, if the folder has one.
    pub configured_pooling: Option<Pooling>,
    /// `vocab_size` from `config.json`: the size of the embedding table.
    pub vocab_size: Option<usize>,
    /// Most tokens the model's position table can place, from `config.json`.
    pub position_limit: Option<usize>,
    /// Notes for the user about how the folder was read (a length that was capped).
    pub notes: Vec<String>,
}

#[derive(Deserialize, Default)]
struct HfConfig {
    max_position_embeddings: Option<usize>,
    vocab_size: Option<usize>,
    model_type: Option<String>,
    pad_token_id: Option<usize>,
}

impl HfConfig {
    /// Tokens the position table can place. RoBERTa-style models (RoBERTa, XLM-R, MPNet…)
    /// number positions from `pad_token_id + 1`, so their first rows are not usable.
    fn position_limit(&self) -> Option<usize> {
        let table = self.max_position_embeddings?;
        let offset_style = ["roberta", "xlm-roberta", "camembert", "mpnet", "longformer", "data2vec-text"];
        match &self.model_type {
            Some(t) if offset_style.contains(&t.as_str()) => {
                Some(table.saturating_sub(self.pad_token_id.unwrap_or(1) + 1))
            }
            _ => Some(table),
        }
    }
}

#[derive(Deserialize)]
struct SbertConfig {
    max_seq_length: Option<usize>,
}

#[derive(Deserialize, Default)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
}

impl ModelFolder {
    /// Reads and checks a model folder. Every problem names the file at fault.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        // A hub id (`ORG/NAME[@REV]`) names a snapshot of the Hugging Face cache.
        let resolved = super::hub::resolve(dir.as_ref())?;
        let dir = resolved.as_path();
        if !dir.is_dir() {
            return Err(Error::model(dir, "not a folder (a model folder holds model.onnx and tokenizer.json)"));
        }
        let candidates = ["model.onnx", "onnx/model.onnx", "tokenizer.json"];
        for p in candidates.iter().map(|f| dir.join(f)) {
            if let Ok(link) = std::fs::read_link(&p)
                && !p.exists()
            {
                return Err(Error::model(
                    &p,
                    format!(
                        "is a link to {}, which is missing: the download did not finish; download the model again",
                        link.display()
                    ),
                ));
            }
        }
        let onnx =
            ["model.onnx", "onnx/model.onnx"].iter().map(|p| dir.join(p)).find(|p| p.is_file()).ok_or_else(|| {
                let export = super::hub::id_of(dir)
                    .map(|id| {
                        format!("optimum-cli export onnx --model {} {}-onnx", dir.display(), id.replace('/', "-"))
                    })
                    .unwrap_or_else(|| format!("optimum-cli export onnx --model {} OUT", dir.display()));
                Error::model(
                    dir,
                    format!(
                        "has no model.onnx (looked for model.onnx and onnx/model.onnx); export one with `{export}`"
                    ),
                )
            })?;
        let tokenizer = dir.join("tokenizer.json");
        if !tokenizer.is_file() {
            return Err(Error::model(dir, "has no tokenizer.json"));
        }
        let config: HfConfig = read_json_opt(&dir.join("config.json"))?.unwrap_or_default();
        let sbert: Option<SbertConfig> = read_json_opt(&dir.join("sentence_bert_config.json"))?;
        let pooling_cfg: Option<PoolingConfig> = read_json_opt(&dir.join("1_Pooling").join("config.json"))?;

        let max_length = sbert
            .and_then(|s| s.max_seq_length)
            .or(config.max_position_embeddings.map(|m| m.min(DEFAULT_MAX_LENGTH)))
            .unwrap_or(DEFAULT_MAX_LENGTH);
        if max_length < 2 {
            return Err(Error::model(dir, format!("maximum sequence length {max_length} is too small")));
        }
        let position_limit = match config.position_limit() {
            Some(limit) => Some(limit),
            None => graph_positions(&onnx),
        };
        let configured_pooling = pooling_cfg.and_then(|p| {
            if p.pooling_mode_mean_tokens {
                Some(Pooling::Mean)
            } else if p.pooling_mode_cls_token {
                Some(Pooling::Cls)
            } else if p.pooling_mode_max_tokens {
                // NOTE: max pooling is not offered; mean is the closest honest default.
                log::warn!("{}: max pooling is not supported, using mean", dir.display());
                Some(Pooling::Mean)
            } else {
                None
            }
        });
        let name = super::hub::id_of(dir).unwrap_or_else(|| {
            dir.canonicalize()
                .unwrap_or_else(|_| dir.to_path_buf())
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| dir.display().to_string())
        });
        Ok(Self {
            dir: dir.to_path_buf(),
            name,
            onnx,
            tokenizer,
            max_length,
            configured_pooling,
            vocab_size: config.vocab_size,
            position_limit,
            notes: Vec::new(),
        }
        .capped(max_length))
    }
}

impl ModelFolder {
    /// Sets the maximum length to `wanted`, capped at the position table with a note: a
    /// longer sequence would make the graph fail on every long sentence.
    pub fn capped(mut self, wanted: usize) -> Self {
        self.max_length = wanted;
        if let Some(limit) = self.position_limit
            && wanted > limit
            && limit >= 2
        {
            self.notes.push(format!(
                "{}: the maximum length {wanted} is more than the model's {limit} positions; sentences are cut at {limit} tokens",
                self.name
            ));
            self.max_length = limit;
        }
        self
    }
}

/// Rows of the graph's position-embedding table (an initializer named
/// `…position_embeddings…` of rank 2), for folders without a `config.json` that says.
/// `None` when the graph cannot be read or has no such table: nothing is capped then.
fn graph_positions(onnx: &Path) -> Option<usize> {
    use onnx_protobuf::Message as _;
    let bytes = std::fs::read(onnx).ok()?;
    let model = onnx_protobuf::ModelProto::parse_from_bytes(&bytes).ok()?;
    let table = model.graph.initializer.iter().find(|t| t.name.contains("position_embeddings") && t.dims.len() == 2)?;
    usize::try_from(table.dims[0]).ok()
}

fn read_json_opt<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::model(path, format!("is not valid JSON of the expected shape: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("cannot read", path, e)),
    }
}

/// The folder of the model that ships with simlens.
pub fn bundled_model_dir() -> PathBuf {
    // Next to the executable first (a package), then the user data folder (`simlens
    // setup`, for `cargo install`), then the source tree.
    let beside_exe =
        std::env::current_exe().ok().and_then(|e| e.parent().map(|p| p.join("models").join(BUNDLED_MODEL)));
    let user = super::runtime::data_dir().map(|d| d.join("models").join(BUNDLED_MODEL));
    [beside_exe, user]
        .into_iter()
        .flatten()
        .find(|p| p.join("tokenizer.json").is_file())
        .unwrap_or_else(source_model_dir)
}

/// The bundled model in the source tree this binary was built from.
pub fn source_model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(BUNDLED_MODEL)
}

/// The bundled default model's folder name.
pub const BUNDLED_MODEL: &str = "all-MiniLM-L6-v2";
