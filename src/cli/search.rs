//! `simlens search`: the sentences of a file ranked by similarity to a query.

use std::path::PathBuf;

use clap::Args;

use super::args::ModelArgs;
use super::common::{load, read_set, write_out};
use super::embed::embed_set;
use crate::engine::Embedder as _;
use crate::engine::analysis;
use crate::{Error, Result};

/// Arguments of `simlens search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Sentence file or `-` for stdin.
    input: PathBuf,
    /// The query sentence.
    #[arg(long)]
    query: String,
    /// How many results.
    #[arg(short, default_value_t = 5)]
    k: usize,
    #[command(flatten)]
    model: ModelArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Prints the `k` best matches, as text or JSON.
pub(super) fn run(args: &SearchArgs) -> Result<()> {
    let query = args.query.as_str();
    if query.trim().is_empty() {
        return Err(Error::input(None, "the query is empty"));
    }
    let set = read_set(&args.input)?;
    let (texts, groups) = set.flatten();
    let (mut embedder, pooling) = load(&args.model)?;
    let emb = embed_set(&mut embedder, pooling, &texts, &args.model)?;
    let q = embedder.embed(&[query], pooling, &mut |_, _| true)?;
    let hits = analysis::search(&emb, q.row(0), args.k);
    write_out(None, false, |w| {
        if args.json {
            let rows: Vec<_> = hits
                .iter()
                .map(|&(i, s)| serde_json::json!({ "index": i, "score": s, "text": texts[i], "group": set.groups[groups[i]].name }))
                .collect();
            serde_json::to_writer_pretty(&mut *w, &serde_json::json!({ "query": query, "results": rows }))?;
            return writeln!(w);
        }
        for (rank, &(i, s)) in hits.iter().enumerate() {
            writeln!(w, "{:>3}. {s:.3}  [{}] {}", rank + 1, set.groups[groups[i]].name, texts[i])?;
        }
        Ok(())
    })
}
