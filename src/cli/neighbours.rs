//! The neighbour graph's arguments and its making, for the commands that work from it
//! (`duplicates`, `outliers`, `pairs` past the exact limit).

use std::time::Instant;

use clap::Args;

use super::args::TableOutputArgs;
use super::common::{Progress, parquet_out, warn};
use super::vectors::{Source, SourceArgs};
use crate::engine::knn::KnnGraph;
use crate::engine::{Embeddings, Pooling};
use crate::io::SentenceSet;
use crate::io::tables::TableFormat;
use crate::{Error, Result};

/// What a command that works from the neighbour graph starts from.
pub(super) struct GraphInput {
    /// The sentences.
    pub set: SentenceSet,
    /// Their vectors.
    pub emb: Embeddings,
    /// What made the vectors: a model's name or the vectors file.
    pub model: String,
    /// The pooling, when a model made them.
    pub pooling: Option<Pooling>,
    /// The graph of the vectors.
    pub graph: KnnGraph,
}

/// The sentences, their vectors and their graph, for the command `what` (`duplicates`,
/// `outliers`): Parquet without `-o` and fewer than 2 sentences are refused before the
/// graph is made.
pub(super) fn open(
    what: &str,
    input: Option<&std::path::Path>,
    source: &SourceArgs,
    graph: &GraphArgs,
    out: &TableOutputArgs,
) -> Result<GraphInput> {
    if out.format() == TableFormat::Parquet {
        parquet_out(out.output.path())?;
    }
    let (set, emb, model, pooling) = Source::of(source).set_and_vectors(input)?;
    if emb.len() < 2 {
        return Err(Error::input(None, format!("{what} need at least 2 sentences; there are {}", emb.len())));
    }
    let graph = graph.build(&emb, source.model.no_cache)?;
    Ok(GraphInput { set, emb, model, pooling, graph })
}

/// The neighbour graph: the same arguments and defaults as `map --method umap`, whose graph
/// this is.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Neighbourhood size, counting the row itself (as `map --neighbors`): each row's
    /// neighbours in the graph, and the k of `outliers`.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(2..=200))]
    neighbors: u64,
    /// The neighbour search's seed: one seed gives one graph, byte for byte.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

impl GraphArgs {
    /// Neighbours per row, the row itself not counted.
    pub(super) fn k(&self) -> usize {
        self.neighbors as usize - 1
    }

    /// The graph of `emb`: kept from an earlier run on the same vectors (unless `no_cache`),
    /// else built with a spinner on a terminal and kept.
    pub(super) fn build(&self, emb: &Embeddings, no_cache: bool) -> Result<KnnGraph> {
        let bar = Progress::new("neighbour graph");
        if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {spinner} {elapsed}") {
            bar.bar.set_style(style);
        }
        bar.bar.enable_steady_tick(std::time::Duration::from_millis(200));
        let t = Instant::now();
        let dir = if no_cache { None } else { crate::engine::knn::default_dir() };
        let graph = KnnGraph::load_or_build(emb, self.k(), self.seed, dir.as_deref())?;
        log::info!(
            "neighbour graph: {} neighbours of {} distinct vectors among {} rows, ready in {:.1} s",
            self.k(),
            graph.distinct(),
            graph.rows(),
            t.elapsed().as_secs_f64()
        );
        if graph.distinct() < graph.rows() {
            warn(&format!(
                "{} rows are copies of another row's vector; each counts as a duplicate of it.",
                crate::render::count(graph.rows() - graph.distinct())
            ));
        }
        Ok(graph)
    }
}

/// Says on stderr when dense clusters were too large to score pair by pair.
pub(super) fn warn_skipped(found: &crate::engine::duplicates::GraphPairs) {
    if found.dense_skipped > 0 {
        warn(&format!(
            "{} dense cluster(s) were too large to score pair by pair (over {} rows, or past the budget of {} products): their pairs are the graph's edges alone, so some may be missing. A higher --threshold makes them smaller.",
            found.dense_skipped,
            crate::render::count(crate::engine::duplicates::DENSE_LIMIT),
            crate::render::count(crate::engine::duplicates::DENSE_BUDGET),
        ));
    }
}

/// The Parquet footer of an analysis's table: what made the vectors, the analysis and its
/// parameters, and simlens's version.
pub(super) fn analysis_meta(
    model: &str,
    pooling: Option<Pooling>,
    analysis: &str,
    parameters: &[(&str, String)],
) -> Vec<(String, String)> {
    let mut meta = vec![
        ("simlens.source".to_owned(), model.to_owned()),
        ("simlens.analysis".to_owned(), analysis.to_owned()),
        ("simlens.version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
    ];
    meta.extend(parameters.iter().map(|(k, v)| (format!("simlens.{k}"), v.clone())));
    meta.extend(pooling.map(|p| ("simlens.pooling".to_owned(), p.to_string())));
    meta
}
