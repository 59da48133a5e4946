//! `simlens outliers`: how far each sentence sits from its nearest neighbours.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, json};

use super::args::TableOutputArgs;
use super::common::write_table;
use super::neighbours::{GraphArgs, GraphInput, analysis_meta, open};
use super::vectors::SourceArgs;
use crate::Result;
use crate::engine::duplicates;
use crate::io::parquet::Column;
use crate::io::tables::{RowsTable, Table as _, group_names_per_row};

/// Arguments of `simlens outliers`.
#[derive(Debug, Args)]
#[command(mut_arg("format", |a| a.help(
    "Output format: csv (row,text,group,outlier_score,outlier_rank), json, or parquet (needs -o)"
)))]
pub struct OutliersArgs {
    /// Sentence file or `-` for stdin; may be left out with `--vectors FILE.parquet` that has
    /// a `text` column.
    input: Option<PathBuf>,
    /// Only the K most outlying rows, most outlying first (without it: every row, in row order).
    #[arg(long)]
    top: Option<usize>,
    #[command(flatten)]
    graph: GraphArgs,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    out: TableOutputArgs,
}

/// Scores the rows and writes the table.
pub(super) fn run(args: &OutliersArgs) -> Result<()> {
    let format = args.out.format();
    let GraphInput { set, emb, model, pooling, graph } =
        open("outliers", args.input.as_deref(), &args.source, &args.graph, &args.out)?;
    let (texts, groups) = set.flatten();
    let scored = duplicates::outliers(&emb, &graph)?;
    let rank: Vec<Option<u64>> = scored.rank.iter().map(|r| r.map(u64::from)).collect();
    let rows: Vec<usize> = match args.top {
        Some(k) => {
            let mut by_rank: Vec<usize> = (0..emb.len()).filter(|&i| scored.rank[i].is_some()).collect();
            by_rank.sort_by_key(|&i| scored.rank[i]);
            by_rank.truncate(k);
            by_rank
        }
        None => (0..emb.len()).collect(),
    };
    let names = set.group_names();
    let k = args.graph.k();
    let meta = analysis_meta(&model, pooling, "outliers", &[("outlier_k", k.to_string())]);
    let table = RowsTable {
        rows,
        texts: &texts,
        groups: group_names_per_row(&groups, &names),
        added: vec![("outlier_score", Column::MaybeFloat(&scored.score)), ("outlier_rank", Column::MaybeIndex(&rank))],
        meta,
        about: Map::from_iter([
            ("source".to_owned(), json!(model)),
            ("pooling".to_owned(), json!(pooling)),
            ("k".to_owned(), json!(k)),
            ("score".to_owned(), json!("1 - mean cosine similarity to the k nearest other rows")),
        ]),
    };
    write_table(args.out.output.path(), format, |w| table.write(w, format))
}
