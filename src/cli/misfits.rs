//! `simlens misfits`: sentences closer, on average, to another group than to their own.

use std::path::PathBuf;

use clap::Args;

use super::common::write_out;
use super::vectors::{Source, SourceArgs};
use crate::Result;
use crate::engine::analysis;

/// Arguments of `simlens misfits`.
#[derive(Debug, Args)]
pub struct MisfitsArgs {
    /// Sentence file or `-` for stdin; may be left out with `--vectors FILE.parquet` that has
    /// a `text` column.
    input: Option<PathBuf>,
    #[command(flatten)]
    source: SourceArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Prints the misfits, as text or JSON.
pub(super) fn run(args: &MisfitsArgs) -> Result<()> {
    let source = Source::of(&args.source);
    let (set, emb, _, _) = source.set_and_vectors(args.input.as_deref())?;
    let (texts, groups) = set.flatten();
    let found = analysis::misfits(&emb, &groups, set.groups.len());
    write_out(None, false, |w| {
        if args.json {
            let rows: Vec<_> = found
                .iter()
                .map(|m| {
                    serde_json::json!({ "index": m.index, "text": texts[m.index], "group": set.groups[groups[m.index]].name, "own": m.own, "closer_group": set.groups[m.closer_group].name, "closer": m.closer })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *w, &rows)?;
            return writeln!(w);
        }
        if found.is_empty() {
            return writeln!(w, "No misfits: every sentence is closest, on average, to its own group.");
        }
        for m in &found {
            writeln!(
                w,
                "[{}] {}\n    mean similarity to its group {:.3} < to {} {:.3}",
                set.groups[groups[m.index]].name, texts[m.index], m.own, set.groups[m.closer_group].name, m.closer
            )?;
        }
        Ok(())
    })
}
