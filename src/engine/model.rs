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
}

#[derive(Deserialize, Default)]
struct HfConfig {
    max_position_embeddings: Option<usize>,
    vocab_size: Option<usize>,
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
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(Error::model(dir, "not a folder (a model folder holds model.onnx and tokenizer.json)"));
        }
        let onnx = ["model.onnx", "onnx/model.onnx"]
            .iter()
            .map(|p| dir.join(p))
            .find(|p| p.is_file())
            .ok_or_else(|| Error::model(dir, "has no model.onnx (looked for model.onnx and onnx/model.onnx)"))?;
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
        let name = dir
            .canonicalize()
            .unwrap_or_else(|_| dir.to_path_buf())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string());
        Ok(Self {
            dir: dir.to_path_buf(),
            name,
            onnx,
            tokenizer,
            max_length,
            configured_pooling,
            vocab_size: config.vocab_size,
        })
    }
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
    // Next to the executable first (an installed copy), then the source tree.
    let beside_exe =
        std::env::current_exe().ok().and_then(|e| e.parent().map(|p| p.join("models").join(BUNDLED_MODEL)));
    match beside_exe {
        Some(p) if p.is_dir() => p,
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(BUNDLED_MODEL),
    }
}

/// The bundled default model's folder name.
pub const BUNDLED_MODEL: &str = "all-MiniLM-L6-v2";
