//! `simlens stsb`: rank correlation of cosine similarity with gold scores.

use std::path::PathBuf;

use clap::Args;

use super::args::ModelArgs;
use super::common::{Progress, load, write_out};
use crate::Result;
use crate::engine::{self, Embedder as _};

/// Arguments of `simlens stsb`.
#[derive(Debug, Args)]
pub struct StsbArgs {
    /// The scored pairs file.
    file: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
}

/// Prints Spearman and Pearson ×100 over the file's pairs.
pub(super) fn run(args: &StsbArgs) -> Result<()> {
    let pairs = crate::io::pairs::read_pairs(&args.file)?;
    let (mut embedder, pooling) = load(&args.model)?;
    let mut progress = Progress::new("embedding");
    let score = engine::eval::score_pairs(&mut embedder, pooling, &pairs, &mut |d, t| progress.update(d, t))?;
    drop(progress);
    write_out(None, false, |w| {
        writeln!(w, "model: {}  pooling: {}  precision: {}", embedder.info().name, pooling, embedder.info().precision)?;
        writeln!(w, "pairs: {}  distinct sentences: {}", score.pairs, score.sentences)?;
        writeln!(w, "Spearman x100: {:.2}", score.spearman)?;
        writeln!(w, "Pearson x100:  {:.2}", score.pearson)
    })
}
