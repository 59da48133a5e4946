//! `simlens similarity`: the cosine similarity matrix, with group means.

use std::path::PathBuf;

use clap::Args;

use super::args::{MatrixFormatArg, OutputArg};
use super::common::{check_matrix_size, write_out};
use super::vectors::{Source, SourceArgs};
use crate::Result;
use crate::engine;
use crate::io::export::{MatrixFormat, SimilarityReport};

/// Arguments of `simlens similarity`.
#[derive(Debug, Args)]
#[command(mut_arg("output", |a| a.help("Output file (csv/json go to stdout without it; npy needs it)")))]
pub struct SimilarityArgs {
    /// Sentence file (.txt with `# Group` headers, .csv/.tsv/.parquet with a `text` column) or
    /// `-` for stdin; may be left out with `--vectors FILE.parquet` that has a `text` column.
    input: Option<PathBuf>,
    #[command(flatten)]
    source: SourceArgs,
    /// Output format: csv, json or npy.
    #[arg(long, default_value = "csv")]
    format: MatrixFormatArg,
    #[command(flatten)]
    output: OutputArg,
}

/// Writes the matrix and the group means in the chosen format.
pub(super) fn run(args: &SimilarityArgs) -> Result<()> {
    let source = Source::of(&args.source);
    let opened = source.open(args.input.as_deref())?;
    check_matrix_size(opened.set.len())?;
    let (set, emb, model, pooling) = opened.into_vectors(&args.source.model)?;
    let (texts, groups) = set.flatten();
    let sim = engine::similarity_matrix(&emb);
    let names = set.group_names();
    let gm = engine::group_matrix(&emb, &groups, names.len());
    let report = SimilarityReport::new(&model, pooling, &texts, &groups, &names, &sim, &gm);
    let format = MatrixFormat::from(args.format);
    write_out(args.output.path(), format == MatrixFormat::Npy, |w| report.write(w, format))
}
