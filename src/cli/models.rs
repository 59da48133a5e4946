//! `simlens models`: what can be loaded, offline.

use std::path::Path;

use clap::Args;

use super::common::write_out;
use crate::Result;
use crate::engine;

/// Arguments of `simlens models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The precisions a folder offers: fp32, int8, and each quantized file it ships.
fn precisions(dir: &Path) -> Vec<(String, Option<bool>)> {
    let mut out = vec![("fp32".to_owned(), None), ("int8".to_owned(), None)];
    if let Ok(folder) = engine::ModelFolder::open(dir) {
        for g in engine::int8::shipped_graphs(&folder) {
            out.push((format!("shipped:{}", g.stem), Some(g.batch_dependent)));
        }
    }
    out
}

fn precisions_text(dir: &Path) -> String {
    precisions(dir)
        .into_iter()
        .map(|(name, dependent)| match dependent {
            Some(true) => format!("{name} (batch-dependent: one activation scale per batch)"),
            Some(false) => format!("{name} (batch-independent)"),
            None => name,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn precisions_json(dir: &Path) -> Vec<serde_json::Value> {
    precisions(dir)
        .into_iter()
        .map(
            |(name, dependent)| serde_json::json!({ "precision": name, "batch_dependent": dependent.unwrap_or(false) }),
        )
        .collect()
}

/// Lists the runtime found and the models: bundled, recent and in the Hugging Face cache.
pub(super) fn run(args: &ModelsArgs) -> Result<()> {
    let json = args.json;
    let bundled = engine::bundled_model_dir();
    let recent = crate::session::default_path()
        .filter(|p| p.is_file())
        .map(|p| crate::session::load(&p).state.recent_models)
        .unwrap_or_default();
    let hub = engine::hub::list();
    write_out(None, false, |w| {
        if json {
            let hub: Vec<_> = hub
                .iter()
                .map(|m| {
                    serde_json::json!({ "id": m.id, "folder": m.snapshot, "onnx": m.has_onnx,
                        "export": (!m.has_onnx && m.problem.is_none()).then(|| m.export_command()), "problem": m.problem,
                        "precisions": if m.has_onnx { precisions_json(&m.snapshot) } else { Vec::new() } })
                })
                .collect();
            let v = serde_json::json!({ "bundled": bundled, "bundled_precisions": precisions_json(&bundled),
                "recent": recent, "hub_cache": engine::hub::cache_root(), "hub": hub });
            serde_json::to_writer_pretty(&mut *w, &v)?;
            return writeln!(w);
        }
        match engine::runtime::candidates().into_iter().find(|p| p.is_file()) {
            Some(lib) => writeln!(w, "ONNX Runtime: {}", lib.display())?,
            None => writeln!(w, "ONNX Runtime: not found; run `simlens setup`")?,
        }
        writeln!(w, "bundled: {} ({})", engine::BUNDLED_MODEL, bundled.display())?;
        writeln!(w, "  precisions: {}", precisions_text(&bundled))?;
        if !recent.is_empty() {
            writeln!(w, "\nrecent folders (the app's):")?;
            for r in &recent {
                writeln!(w, "  {}", r.display())?;
                writeln!(w, "    precisions: {}", precisions_text(r))?;
            }
        }
        let root = engine::hub::cache_root().map(|r| r.display().to_string()).unwrap_or_else(|| "(none)".into());
        writeln!(w, "\nHugging Face cache at {root}:")?;
        if hub.is_empty() {
            writeln!(w, "  no models")?;
        }
        for m in &hub {
            if let Some(problem) = &m.problem {
                writeln!(w, "  {:<50} cannot be loaded: {problem}", m.id)?;
            } else if m.has_onnx {
                writeln!(w, "  {:<50} --model {}", m.id, m.id)?;
                writeln!(w, "    precisions: {}", precisions_text(&m.snapshot))?;
            } else {
                writeln!(w, "  {:<50} no ONNX graph; export one with: {}", m.id, m.export_command())?;
            }
        }
        Ok(())
    })
}
