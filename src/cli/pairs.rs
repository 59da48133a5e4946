//! `simlens pairs`: paraphrase pairs at or above a threshold, best first.

use std::path::PathBuf;

use clap::Args;

use super::args::{ScopeArg, TableOutputArgs};
use super::common::{warn, write_table};
use super::duplicates::check_threshold;
use super::neighbours::GraphArgs;
use super::vectors::{Source, SourceArgs};
use crate::Result;
use crate::engine::{analysis, duplicates};
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
    /// Score every pair, at any size (the time grows with the square of the sentences).
    #[arg(long, conflicts_with = "approximate")]
    exact: bool,
    /// Score the neighbour graph's pairs only, each exactly (the default past 20,000
    /// sentences: recall ≥ 0.99 of the pairs at or above 0.9).
    #[arg(long)]
    approximate: bool,
    #[command(flatten)]
    graph: GraphArgs,
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
    let approximate = args.approximate || (!args.exact && emb.len() > duplicates::EXACT_PAIRS_LIMIT);
    let found = if approximate {
        check_threshold(args.threshold)?;
        if !args.approximate {
            warn(&format!(
                "pairs: {} sentences, past the exact limit of {}: the neighbour graph's pairs ({} neighbours each, and every pair inside a dense cluster), scored exactly; --exact scores every pair.",
                crate::render::count(emb.len()),
                crate::render::count(duplicates::EXACT_PAIRS_LIMIT),
                args.graph.k()
            ));
        }
        let graph = args.graph.build(&emb, args.source.model.no_cache)?;
        let candidates = duplicates::graph_pairs(&emb, &graph, args.threshold, &|| true)?;
        super::neighbours::warn_skipped(&candidates);
        duplicates::row_pairs(&emb, &graph, &candidates, &groups, scope, args.top)
    } else {
        analysis::mine_pairs(&emb, &groups, args.threshold, scope, args.top)
    };
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
