//! `simlens map`: a 2-D layout of the sentences (PCA or UMAP), as a table.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

use super::args::TableOutputArgs;
use super::common::{Progress, parquet_out, write_table};
use super::vectors::{Source, SourceArgs};
use crate::Result;
use crate::engine::{self, Embeddings};
use crate::io::tables::{MapTable, Table as _, TableFormat, group_names_per_row};

/// Arguments of `simlens map`.
#[derive(Debug, Args)]
#[command(mut_arg("format", |a| a.help(
    "Output format: csv (text,group,x,y), json, or parquet (text, group, embedding, x, y; needs -o)"
)))]
pub struct MapArgs {
    /// Sentence file or `-` for stdin; may be left out with `--vectors FILE.parquet` that has
    /// a `text` column.
    input: Option<PathBuf>,
    /// The projection: pca (principal components) or umap (McInnes et al., cosine).
    #[arg(long, default_value = "pca")]
    method: MapMethodArg,
    /// UMAP: the seed; one seed gives one layout, byte for byte.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// UMAP: neighbourhood size, counting the point itself (umap-learn's n_neighbors).
    #[arg(long, default_value_t = 15)]
    neighbors: usize,
    /// UMAP: how tightly points may pack, 0 to 1 (umap-learn's min_dist).
    #[arg(long, default_value_t = 0.1)]
    min_dist: f32,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    out: TableOutputArgs,
}

/// `map --method`: pca or umap. (No doc comments on the variants: see `args`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapMethodArg {
    Pca,
    Umap,
}

/// A layout and what the table says about it.
struct Layout {
    points: Vec<[f32; 2]>,
    /// Parquet metadata of the method and its parameters.
    meta: Vec<(String, String)>,
    /// The JSON field of the method's details (`explained_variance` or `umap`).
    about: (&'static str, Value),
}

/// Lays the sentences out and writes the table.
pub(super) fn run(args: &MapArgs) -> Result<()> {
    let (format, output) = (args.out.format(), args.out.output.path());
    if format == TableFormat::Parquet {
        // Before any work: the run would end at the write anyway.
        parquet_out(output)?;
    }
    let source = Source::of(&args.source);
    let (set, mut emb, model, pooling) = source.set_and_vectors(args.input.as_deref())?;
    let (texts, groups) = set.flatten();
    let (method, layout) = match args.method {
        MapMethodArg::Pca => ("pca", pca(&emb)),
        MapMethodArg::Umap => {
            let params =
                engine::umap::UmapParams { neighbors: args.neighbors, min_dist: args.min_dist, seed: args.seed };
            ("umap", umap(&mut emb, &params, format == TableFormat::Parquet, args.source.model.no_cache)?)
        }
    };
    let names = set.group_names();
    let mut table = MapTable::new(&texts, group_names_per_row(&groups, &names), &emb, &layout.points);
    table.meta.push(("simlens.source".to_owned(), model.clone()));
    table.meta.extend(layout.meta);
    table.meta.push(("simlens.map".to_owned(), method.to_owned()));
    table.meta.push(("simlens.version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()));
    table.meta.extend(pooling.map(|p| ("simlens.pooling".to_owned(), p.to_string())));
    table.about = Map::from_iter([
        ("method".to_owned(), json!(method)),
        ("source".to_owned(), json!(model)),
        ("pooling".to_owned(), json!(pooling)),
        (layout.about.0.to_owned(), layout.about.1),
    ]);
    write_table(output, format, |w| table.write(w, format))
}

/// The two principal components.
fn pca(emb: &Embeddings) -> Layout {
    let p = engine::project::pca_2d(emb);
    let [a, b] = p.explained;
    Layout {
        meta: vec![("simlens.explained_variance".to_owned(), format!("{a} {b}"))],
        about: ("explained_variance", json!(p.explained)),
        points: p.points,
    }
}

/// UMAP with a progress bar. The vectors move into the neighbour search unless `keep`
/// (the Parquet table writes them); then they are copied.
fn umap(emb: &mut Embeddings, params: &engine::umap::UmapParams, keep: bool, no_cache: bool) -> Result<Layout> {
    // The stages as a progress bar (on a terminal, past a second).
    let mut bar = Progress::new("umap");
    // The stages take unequal times: the elapsed time, not a rate or an ETA.
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {wide_bar} {elapsed}") {
        bar.bar.set_style(style);
    }
    params.check(emb.len())?;
    let mut heard = |p: engine::umap::UmapProgress| {
        bar.bar.set_message(format!("umap: {}", p.label()));
        // Per mille of the run, each stage an equal part.
        bar.update((p.fraction() * 1000.0) as usize, 1000)
    };
    heard(engine::umap::UmapProgress::start(engine::umap::UmapStage::Neighbours));
    // The graph the other analyses of these vectors use too, kept between runs.
    let dir = if no_cache { None } else { engine::knn::default_dir() };
    let (k, seed) = (params.graph_k(), params.seed);
    let graph = if keep {
        engine::knn::KnnGraph::load_or_build(emb, k, seed, dir.as_deref())?
    } else {
        let dim = emb.dim;
        engine::knn::KnnGraph::load_or_build_owned(
            std::mem::replace(emb, Embeddings::empty(dim)),
            k,
            seed,
            dir.as_deref(),
        )?
    };
    let points = engine::umap::umap_on_graph(&graph, params, &mut heard)?;
    let meta = vec![
        ("simlens.umap.neighbors".to_owned(), params.neighbors.to_string()),
        ("simlens.umap.min_dist".to_owned(), params.min_dist.to_string()),
        ("simlens.umap.seed".to_owned(), params.seed.to_string()),
        ("simlens.umap.metric".to_owned(), "cosine".to_owned()),
    ];
    let about =
        json!({ "neighbors": params.neighbors, "min_dist": params.min_dist, "seed": params.seed, "metric": "cosine" });
    Ok(Layout { points, meta, about: ("umap", about) })
}
