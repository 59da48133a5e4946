//! `simlens models`: what can be loaded, offline.

use super::*;

pub(super) fn models(json: bool) -> Result<()> {
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
                        "export": (!m.has_onnx).then(|| m.export_command()) })
                })
                .collect();
            let v = serde_json::json!({ "bundled": bundled, "recent": recent, "hub_cache": engine::hub::cache_root(), "hub": hub });
            serde_json::to_writer_pretty(&mut *w, &v)?;
            return writeln!(w);
        }
        writeln!(w, "bundled: {} ({})", engine::BUNDLED_MODEL, bundled.display())?;
        if !recent.is_empty() {
            writeln!(w, "\nrecent folders (the app's):")?;
            for r in &recent {
                writeln!(w, "  {}", r.display())?;
            }
        }
        let root = engine::hub::cache_root().map(|r| r.display().to_string()).unwrap_or_else(|| "(none)".into());
        writeln!(w, "\nHugging Face cache at {root}:")?;
        if hub.is_empty() {
            writeln!(w, "  no models")?;
        }
        for m in &hub {
            if m.has_onnx {
                writeln!(w, "  {:<50} --model {}", m.id, m.id)?;
            } else {
                writeln!(w, "  {:<50} no ONNX graph; export one with: {}", m.id, m.export_command())?;
            }
        }
        Ok(())
    })
}
