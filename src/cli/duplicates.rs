//! `simlens duplicates`: near-duplicate clusters, one row per sentence; with `--drop`, the
//! deduplicated table.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Map, json};

use super::args::TableOutputArgs;
use super::common::{warn, write_table};
use super::neighbours::{GraphArgs, GraphInput, analysis_meta, open};
use super::vectors::SourceArgs;
use crate::engine::duplicates::{self, Keep, Linkage};
use crate::io::parquet::Column;
use crate::io::tables::{RowsTable, Table as _, group_names_per_row};
use crate::{Error, Result};

/// Arguments of `simlens duplicates`.
#[derive(Debug, Args)]
#[command(mut_arg("format", |a| a.help(
    "Output format: csv (row,text,group,duplicate_cluster,cluster_size,representative,near_duplicate_score), json, or parquet (needs -o)"
)))]
pub struct DuplicatesArgs {
    /// Sentence file or `-` for stdin; may be left out with `--vectors FILE.parquet` that has
    /// a `text` column.
    input: Option<PathBuf>,
    /// Rows at or above this cosine similarity are duplicates of each other.
    #[arg(long, default_value_t = 0.95)]
    threshold: f32,
    /// single: clusters are the connected components of the pairs at or above the threshold;
    /// complete: every pair inside a cluster is at or above it (no chains).
    #[arg(long, default_value = "single")]
    linkage: LinkageArg,
    /// Which row stands for its cluster: central (the most similar to the cluster's mean)
    /// or first (in row order).
    #[arg(long, default_value = "central")]
    keep: KeepArg,
    /// Write the deduplicated table instead: each cluster's representative and every row
    /// with no duplicate, in row order.
    #[arg(long)]
    drop: bool,
    #[command(flatten)]
    graph: GraphArgs,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    out: TableOutputArgs,
}

/// `duplicates --linkage`. (No doc comments on the variants: see `args`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinkageArg {
    Single,
    Complete,
}

/// `duplicates --keep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeepArg {
    Central,
    First,
}

/// A threshold in (0, 1]: the pairs at or above it.
pub(super) fn check_threshold(t: f32) -> Result<()> {
    if t.is_finite() && t > 0.0 && t <= 1.0 {
        Ok(())
    } else {
        Err(Error::input(None, format!("--threshold {t} is out of range: give a similarity above 0 and at most 1")))
    }
}

/// Finds the clusters and writes the table.
pub(super) fn run(args: &DuplicatesArgs) -> Result<()> {
    check_threshold(args.threshold)?;
    let format = args.out.format();
    let GraphInput { set, emb, model, pooling, graph } =
        open("duplicates", args.input.as_deref(), &args.source, &args.graph, &args.out)?;
    let (texts, groups) = set.flatten();
    let found = duplicates::graph_pairs(&emb, &graph, args.threshold, &|| true)?;
    let linkage = match args.linkage {
        LinkageArg::Single => Linkage::Single,
        LinkageArg::Complete => Linkage::Complete,
    };
    let keep = match args.keep {
        KeepArg::Central => Keep::Central,
        KeepArg::First => Keep::First,
    };
    let dup = duplicates::duplicates(&emb, &graph, &found, args.threshold, linkage, keep);
    super::neighbours::warn_skipped(&found);
    warn(&format!(
        "{} duplicate cluster(s) at or above {}: {} of {} rows would go ({} pairs; {} dense cluster(s) of {} rows scored pair by pair).",
        crate::render::count(dup.clusters),
        args.threshold,
        crate::render::count(dup.dropped()),
        crate::render::count(emb.len()),
        crate::render::count(found.pairs.len()),
        found.dense_components,
        crate::render::count(found.dense_points),
    ));
    let cluster: Vec<Option<u64>> = dup.cluster.iter().map(|c| c.map(u64::from)).collect();
    let size: Vec<u64> = dup.cluster_size.iter().map(|&s| u64::from(s)).collect();
    let rep: Vec<u64> = dup.representative.iter().map(|&r| u64::from(r)).collect();
    let rows: Vec<usize> = (0..emb.len()).filter(|&i| !args.drop || dup.representative[i] as usize == i).collect();
    let names = set.group_names();
    let linkage_name = format!("{:?}", args.linkage).to_lowercase();
    let meta = analysis_meta(
        &model,
        pooling,
        "duplicates",
        &[
            ("threshold", args.threshold.to_string()),
            ("linkage", linkage_name.clone()),
            ("neighbors", (args.graph.k() + 1).to_string()),
        ],
    );
    let table = RowsTable {
        rows,
        texts: &texts,
        groups: group_names_per_row(&groups, &names),
        added: vec![
            ("duplicate_cluster", Column::MaybeIndex(&cluster)),
            ("cluster_size", Column::Index(&size)),
            ("representative", Column::Index(&rep)),
            ("near_duplicate_score", Column::MaybeFloat(&dup.near_duplicate_score)),
        ],
        meta,
        about: Map::from_iter([
            ("source".to_owned(), json!(model)),
            ("pooling".to_owned(), json!(pooling)),
            ("threshold".to_owned(), json!(args.threshold)),
            ("linkage".to_owned(), json!(linkage_name)),
            ("clusters".to_owned(), json!(dup.clusters)),
            ("dropped".to_owned(), json!(dup.dropped())),
        ]),
    };
    write_table(args.out.output.path(), format, |w| table.write(w, format))
}
