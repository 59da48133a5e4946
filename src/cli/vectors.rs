//! Where a command's vectors come from: a model, or a file of vectors (NPY or Parquet).

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::ModelArgs;
use super::common::{load, read_set};
use super::embed::embed_set;
use crate::engine::{self, Embedder as _, Pooling};
use crate::io::SentenceSet;
use crate::{Error, Result};

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
        Some(path) => {
            Ok((crate::io::read_vectors_file(path, texts.len())?, format!("vectors from {}", path.display()), None))
        }
        None => {
            let (mut embedder, pooling) = load(source.model)?;
            let emb = embed_set(&mut embedder, pooling, texts, source.model)?;
            Ok((emb, embedder.info().name.clone(), Some(pooling)))
        }
    }
}
