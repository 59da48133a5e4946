//! `simlens pairs`: paraphrase pairs at or above a threshold, best first.

use std::path::PathBuf;

use clap::Args;

use super::args::{ScopeArg, TableOutputArgs};
use super::common::write_table;
use super::vectors::{Source, SourceArgs};
use crate::Result;
use crate::engine::analysis;
use crate::io::tables::{PairsTable, Table as _, group_names_per_row};

/// Arguments of `simlens pairs`.
#[derive(Debug, Args)]
pub struct PairsArgs {
    /// Sentence file or `-` for stdin; may be left out with `--vectors FILE.parquet` that has
    /// a `text` column.
    input: Option<PathBuf>,
    /// Smallest similarity listed.
    #[arg(long, default_value_t = 0.75)]
    threshold: f32,
    /// At most this many pairs (the most similar).
    #[arg(long, default_value_t = 1000)]
    top: usize,
    /// all, within (same group) or across (different groups).
    #[arg(long, default_value = "all")]
    scope: ScopeArg,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    out: TableOutputArgs,
}

/// Mines the pairs and writes them as a table.
pub(super) fn run(args: &PairsArgs) -> Result<()> {
    let source = Source::of(&args.source);
    let (set, emb, model, pooling) = source.set_and_vectors(args.input.as_deref())?;
    let (texts, groups) = set.flatten();
    let scope = args.scope.into();
    let found = analysis::mine_pairs(&emb, &groups, args.threshold, scope, args.top);
    let names = set.group_names();
    let table = PairsTable {
        texts: &texts,
        groups: group_names_per_row(&groups, &names),
        pairs: &found,
        threshold: args.threshold,
        scope,
        source: &model,
        pooling,
    };
    let format = args.out.format();
    write_table(args.out.output.path(), format, |w| table.write(w, format))
}
