//! `simlens compare`: two (model, pooling) configurations on the same sentences.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::{ModelArgs, PoolingArg};
use super::common::{check_matrix_size, load, read_set, write_out};
use super::embed::embed_set;
use crate::engine::analysis::{self, Comparison};
use crate::engine::{self, Embedder as _, OnnxEmbedder, Pooling};
use crate::io::export::{MatrixFormat, SimilarityReport};
use crate::{Error, Result};

/// Arguments of `simlens compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Sentence file or `-` for stdin.
    input: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Model folder of configuration B (default: the same as A).
    #[arg(long)]
    model_b: Option<PathBuf>,
    /// Pooling of configuration B (default: B's own).
    #[arg(long)]
    pooling_b: Option<PoolingArg>,
    /// Write the difference matrix B − A here (.csv, .json or .npy).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// One configuration, loaded, with its pooling.
struct Config {
    embedder: OnnxEmbedder,
    pooling: Pooling,
}

/// Prints the rank correlation and the differences; writes the difference matrix with `-o`.
pub(super) fn run(args: &CompareArgs) -> Result<()> {
    let set = read_set(&args.input)?;
    check_matrix_size(set.len())?;
    let (texts, groups) = set.flatten();
    let (mut a, pooling_a) = load(&args.model)?;
    let emb_a = embed_set(&mut a, pooling_a, &texts, &args.model)?;
    let args_b = ModelArgs {
        model: args.model_b.clone().or_else(|| args.model.model.clone()),
        pooling: args.pooling_b,
        batch_size: args.model.batch_size,
        precision: args.model.precision.clone(),
        no_cache: args.model.no_cache,
    };
    // One model loaded twice shares ONNX Runtime; B's default pooling is its own.
    let (mut b, pooling_b) = load(&args_b)?;
    let emb_b = embed_set(&mut b, pooling_b, &texts, &args_b)?;
    let (sim_a, sim_b) = (engine::similarity_matrix(&emb_a), engine::similarity_matrix(&emb_b));
    let cmp = analysis::compare(&sim_a, &sim_b)
        .ok_or_else(|| Error::input(None, "comparing needs at least 3 sentences (3 pairs)"))?;
    let (a, b) = (Config { embedder: a, pooling: pooling_a }, Config { embedder: b, pooling: pooling_b });
    if let Some(path) = &args.output {
        let names = set.group_names();
        save_difference(path, &a, &b, &cmp, &texts, &groups, &names)?;
    }
    let (d, i, j) = cmp.max_abs_diff;
    write_out(None, false, |w| {
        writeln!(w, "A: {} {}", a.embedder.info().name, a.pooling)?;
        writeln!(w, "B: {} {}", b.embedder.info().name, b.pooling)?;
        writeln!(w, "pairs: {}", texts.len() * (texts.len() - 1) / 2)?;
        writeln!(w, "Spearman (off-diagonal): {:.4}", cmp.spearman)?;
        writeln!(w, "mean |B - A|: {:.4}", cmp.mean_abs_diff)?;
        writeln!(w, "largest |B - A|: {d:.4} for \"{}\" / \"{}\"", texts[i], texts[j])
    })
}

/// The difference matrix B − A as a similarity report, its format from the extension
/// (CSV unless .json or .npy).
fn save_difference(
    path: &Path,
    a: &Config,
    b: &Config,
    cmp: &Comparison,
    texts: &[&str],
    groups: &[usize],
    names: &[String],
) -> Result<()> {
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => MatrixFormat::Json,
        Some("npy") => MatrixFormat::Npy,
        _ => MatrixFormat::Csv,
    };
    let (name_a, name_b) = (&a.embedder.info().name, &b.embedder.info().name);
    let gm = vec![None; names.len() * names.len()];
    let mut report =
        SimilarityReport::new(&format!("{name_b} − {name_a}"), Some(b.pooling), texts, groups, names, &cmp.diff, &gm);
    report.metric =
        format!("difference of cosine similarities: B ({name_b} {}) − A ({name_a} {})", b.pooling, a.pooling);
    report.save(path, format)
}
