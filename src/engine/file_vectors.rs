//! Vectors read from a file, standing in for a model: the app shows sentences someone
//! embedded elsewhere (a notebook, a cluster job) without loading a model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::embed::{Embedder, Embeddings, ModelInfo, Progress, TokenVectors};
use super::{Pooling, Precision, TokenInfo};
use crate::{Error, Result};

/// Fingerprints of file vectors start with this, and name the file, its size and its
/// modification time: another file, or the same file changed, is another "model".
const FINGERPRINT_PREFIX: &str = "vectors:";

/// An embedder that looks sentences up in a vectors file.
pub struct FileVectors {
    info: ModelInfo,
    rows: HashMap<String, usize>,
    embeddings: Embeddings,
}

impl FileVectors {
    /// The vectors of `texts` (row `k` is `texts[k]`'s), read from `path` and matched to
    /// the sentences by the vectors-file reader (`io::vectors`).
    pub fn new(path: &Path, texts: &[String], embeddings: Embeddings) -> Result<Self> {
        if embeddings.len() != texts.len() {
            // The vectors-file reader (`io::vectors`) matched them to the sentences already.
            return Err(Error::internal(format!(
                "{} vectors for {} sentences from {}",
                embeddings.len(),
                texts.len(),
                path.display()
            )));
        }
        let meta = std::fs::metadata(path).map_err(|e| Error::io("cannot read", path, e))?;
        let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        let name = format!(
            "vectors from {}",
            path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
        );
        let info = ModelInfo {
            name,
            dir: PathBuf::from(path),
            dim: embeddings.dim,
            max_length: 0,
            default_pooling: Pooling::Mean,
            poolings: vec![Pooling::Mean],
            inputs: Vec::new(),
            outputs: Vec::new(),
            fingerprint: format!(
                "{FINGERPRINT_PREFIX}{}:{}:{}",
                path.display(),
                meta.len(),
                modified.map_or(0, |d| d.as_nanos())
            ),
            notes: vec!["The vectors come from the file; edited or new sentences need a model.".to_owned()],
            precision: Precision::Fp32,
            shipped: Vec::new(),
        };
        let rows = texts.iter().enumerate().map(|(k, t)| (t.trim().to_owned(), k)).collect();
        Ok(Self { info, rows, embeddings })
    }

    fn no_tokens(&self) -> Error {
        Error::input(
            None,
            format!("{} has no tokens to show or explain; load a model (Model menu) for that", self.info.name),
        )
    }
}

impl Embedder for FileVectors {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn embed(&mut self, texts: &[&str], _pooling: Pooling, progress: Progress<'_>) -> Result<Embeddings> {
        let d = self.embeddings.dim;
        let mut data = Vec::with_capacity(texts.len() * d);
        for t in texts {
            let Some(&k) = self.rows.get(t.trim()) else {
                return Err(Error::input(
                    None,
                    format!(
                        "“{}” has no vector in {}: only the file's sentences can be shown. Load a model (Model menu) to embed new ones.",
                        crate::text::truncate(t, 60),
                        self.info.dir.display()
                    ),
                ));
            };
            data.extend_from_slice(self.embeddings.row(k));
        }
        progress(texts.len(), texts.len());
        Ok(Embeddings { dim: d, data, truncated: Vec::new() })
    }

    fn tokens(&self, _text: &str) -> Result<TokenInfo> {
        Err(self.no_tokens())
    }

    fn token_vectors(&mut self, _texts: &[&str]) -> Result<Vec<TokenVectors>> {
        Err(self.no_tokens())
    }

    fn embed_tokens(&mut self, _rows: &[TokenInfo], _pooling: Pooling) -> Result<Embeddings> {
        Err(self.no_tokens())
    }

    fn is_cacheable(&self) -> bool {
        false
    }
}
