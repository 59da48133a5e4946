//! Where a command's vectors come from: a model, or a file of vectors (NPY or Parquet),
//! read once.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::ModelArgs;
use super::common::{load, read_set};
use super::embed::embed_set;
use crate::engine::{self, Embedder as _, Pooling};
use crate::io::{SentenceSet, VectorsFile};
use crate::{Error, Result};

/// Where an analysis's vectors come from: the model arguments, or vectors computed
/// elsewhere (`--vectors`).
#[derive(Debug, Args)]
pub struct SourceArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Read the sentences' vectors from this file instead of embedding them: NPY (N × d
    /// float32, rows in INPUT's order) or Parquet (an `embedding` column; with a `text`
    /// column its rows are matched to INPUT's sentences by text); the model is not loaded.
    /// Rows are L2-normalised.
    #[arg(long)]
    pub vectors: Option<PathBuf>,
}

/// Where a command's vectors come from: a model, or a vectors file.
pub struct Source<'a> {
    pub(super) model: &'a ModelArgs,
    pub(super) vectors: Option<&'a Path>,
}

/// A command's sentences, with the vectors file when there is one (read once).
pub(super) struct Opened {
    /// The sentences: INPUT's, or the vectors file's own.
    pub set: SentenceSet,
    file: Option<VectorsFile>,
}

impl<'a> Source<'a> {
    pub(super) fn of(args: &'a SourceArgs) -> Self {
        Self { model: &args.model, vectors: args.vectors.as_deref() }
    }

    /// The sentences, from INPUT or from the `text` (and `group`) columns of a Parquet
    /// vectors file, and the vectors file itself, each read once.
    pub(super) fn open(&self, input: Option<&Path>) -> Result<Opened> {
        let file = self.vectors.map(VectorsFile::read).transpose()?;
        match (input, file) {
            (Some(input), file) => Ok(Opened { set: read_set(input)?, file }),
            (None, Some(file)) => {
                let path = file.path.clone();
                let (set, embeddings) = file.into_own_sentences()?;
                // The rows are the set's, in its order: nothing is left to match by text.
                Ok(Opened { set, file: Some(VectorsFile { path, embeddings, sentences: None }) })
            }
            (None, None) => {
                Err(Error::input(None, "give INPUT (the sentences), or --vectors FILE.parquet with a `text` column"))
            }
        }
    }

    /// The sentences and their vectors, and what made them: (label, pooling), the pooling
    /// `None` for a file.
    pub(super) fn set_and_vectors(
        &self,
        input: Option<&Path>,
    ) -> Result<(SentenceSet, engine::Embeddings, String, Option<Pooling>)> {
        self.open(input)?.into_vectors(self.model)
    }
}

impl Opened {
    /// The sentences and their vectors: from the file, or from the model; and what made
    /// them (label, pooling), the pooling `None` for a file.
    pub(super) fn into_vectors(
        self,
        model: &ModelArgs,
    ) -> Result<(SentenceSet, engine::Embeddings, String, Option<Pooling>)> {
        match self.file {
            Some(file) => {
                let label = format!("vectors from {}", file.path.display());
                let emb = file.into_vectors_for(&self.set.flatten().0)?;
                Ok((self.set, emb, label, None))
            }
            None => {
                let (mut embedder, pooling) = load(model)?;
                let emb = embed_set(&mut embedder, pooling, &self.set.flatten().0, model)?;
                Ok((self.set, emb, embedder.info().name.clone(), Some(pooling)))
            }
        }
    }
}
