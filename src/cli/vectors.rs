//! Where a command's vectors come from: a model, or a file of vectors (NPY or Parquet).

use std::path::Path;

use super::*;

/// Vectors computed elsewhere, instead of running a model.
#[derive(Debug, Args)]
pub struct VectorsArg {
    /// Read the sentences' vectors from this file instead of embedding them: NPY (N × d
    /// float32, rows in INPUT's order) or Parquet (an `embedding` column); the model is not
    /// loaded. Rows are L2-normalised.
    #[arg(long)]
    pub vectors: Option<PathBuf>,
}

/// Where a command's vectors come from: a model, or a vectors file.
pub struct Source<'a> {
    pub(super) model: &'a ModelArgs,
    pub(super) vectors: Option<&'a Path>,
}

impl<'a> Source<'a> {
    pub(super) fn of(model: &'a ModelArgs, vectors: &'a VectorsArg) -> Self {
        Self { model, vectors: vectors.vectors.as_deref() }
    }
}

/// The sentences: from INPUT, or from the `text` (and `group`) columns of a Parquet vectors file.
pub(super) fn input_set(input: Option<&Path>, vectors: Option<&Path>) -> Result<SentenceSet> {
    if let Some(input) = input {
        return read_set(input);
    }
    let from = vectors.filter(|v| crate::io::parquet::is_parquet(v)).ok_or_else(|| {
        Error::input(None, "give INPUT (the sentences), or --vectors FILE.parquet with a `text` column")
    })?;
    crate::io::parquet::read_vectors(from)?.sentences.ok_or_else(|| Error::Input {
        path: Some(from.to_path_buf()),
        line: None,
        message: "has no `text` column, so the sentences must come from INPUT".into(),
    })
}

/// Vectors of `texts` and what made them: (label, pooling), the pooling `None` for a file.
pub(super) fn source_vectors(
    source: &Source<'_>,
    texts: &[&str],
) -> Result<(engine::Embeddings, String, Option<Pooling>)> {
    match source.vectors {
        Some(path) => Ok((read_vectors(path, texts.len())?, format!("vectors from {}", path.display()), None)),
        None => {
            let (mut embedder, pooling) = load(source.model)?;
            let emb = embed_set(&mut embedder, pooling, texts, source.model)?;
            Ok((emb, embedder.info().name.clone(), Some(pooling)))
        }
    }
}

/// An NPY file of `rows` vectors, checked and L2-normalised.
fn read_vectors(path: &Path, rows: usize) -> Result<engine::Embeddings> {
    let at = |message: String| Error::Input { path: Some(path.to_path_buf()), line: None, message };
    let (n, d, mut data) = if crate::io::parquet::is_parquet(path) {
        let e = crate::io::parquet::read_vectors(path)?.embeddings;
        (e.len(), e.dim, e.data)
    } else {
        let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
        crate::io::npy::read_f32(&bytes).map_err(|e| at(e.to_string()))?
    };
    if n != rows {
        return Err(at(format!(
            "has {n} vectors but the input has {rows} sentences; give the vectors of exactly these sentences, in order"
        )));
    }
    if let Some(bad) = data.iter().position(|v| !v.is_finite()) {
        return Err(at(format!("vector {} has a value that is not a finite number", bad / d.max(1) + 1)));
    }
    for row in data.chunks_mut(d.max(1)) {
        engine::pooling::normalize(row);
    }
    Ok(engine::Embeddings { dim: d, data, truncated: Vec::new() })
}
