//! Finding and loading the ONNX Runtime shared library.
//!
//! simlens links ONNX Runtime at run time (`ort`'s `load-dynamic`), so a missing or
//! wrong library is an ordinary error value here, never a loader crash. The library
//! is looked for, in order, at `ORT_DYLIB_PATH`, next to the executable, and in the
//! project's git-ignored cache folder that `scripts/fetch-onnxruntime` fills.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;

use crate::{Error, Result};

/// The ONNX Runtime version simlens is built and tested against.
pub const ORT_VERSION: &str = "1.31.1";

/// The environment variable that names the library file explicitly.
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";

/// A loaded ONNX Runtime: the library's path and the one process-wide environment.
#[derive(Clone)]
pub struct Runtime {
    /// The shared library that was loaded.
    pub library: PathBuf,
    env: Environment,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("library", &self.library).finish_non_exhaustive()
    }
}

impl Runtime {
    /// The ONNX Runtime environment sessions are created in.
    pub fn environment(&self) -> &Environment {
        &self.env
    }
}

// NOTE: ONNX Runtime can be loaded only once per process (`ort` keeps the library in a
// global), so the runtime is a process-wide singleton. A failed attempt leaves nothing
// behind, so the user can fix the cause and try again without restarting.
static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

/// The file name of the library on this platform, e.g. `libonnxruntime.so.1.31.1`.
pub fn library_file_name() -> String {
    if cfg!(target_os = "windows") {
        "onnxruntime.dll".to_owned()
    } else if cfg!(target_os = "macos") {
        format!("libonnxruntime.{ORT_VERSION}.dylib")
    } else {
        format!("libonnxruntime.so.{ORT_VERSION}")
    }
}

/// The project's cache folder for the library, as `scripts/fetch-onnxruntime` fills it.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache").join("onnxruntime")
}

/// simlens's folder for the user's data (Linux: `$XDG_DATA_HOME/simlens` or
/// `~/.local/share/simlens`): the app's session, and what `simlens setup` installs (ONNX
/// Runtime in `onnxruntime/`, the bundled model in `models/`).
pub fn data_dir() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = if cfg!(target_os = "windows") {
        env("APPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library").join("Application Support"))
    } else {
        env("XDG_DATA_HOME").or_else(|| env("HOME").map(|h| h.join(".local").join("share")))
    };
    base.map(|b| b.join("simlens"))
}

/// Where `simlens setup` puts the library.
pub fn user_library() -> Option<PathBuf> {
    data_dir().map(|d| d.join("onnxruntime").join(library_file_name()))
}

/// Every place the library is looked for, in order of preference.
pub fn candidates() -> Vec<PathBuf> {
    let name = library_file_name();
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os(ORT_DYLIB_ENV).filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p));
    }
    if let Some(dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        out.push(dir.join(&name));
        // An installed copy keeps the library in `lib/` beside `bin/`.
        out.push(dir.join("..").join("lib").join(&name));
    }
    // `simlens setup`: an installed binary (`cargo install`) finds it without the checkout.
    out.extend(user_library());
    out.push(cache_dir().join(&name));
    out
}

/// Loads ONNX Runtime (once per process) and returns it.
///
/// When `ORT_DYLIB_PATH` is set, only that file is tried: silently falling back to
/// another library would hide the user's mistake.
pub fn load() -> Result<Runtime> {
    let mut slot = RUNTIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(rt) = slot.as_ref() {
        return Ok(rt.clone());
    }
    let candidates = candidates();
    let explicit = std::env::var_os(ORT_DYLIB_ENV).filter(|p| !p.is_empty()).is_some();
    let path = if explicit {
        let p = candidates[0].clone();
        if !p.is_file() {
            return Err(Error::RuntimeLoad {
                path: p,
                reason: format!("{ORT_DYLIB_ENV} names a file that does not exist"),
            });
        }
        p
    } else {
        candidates
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .ok_or_else(|| Error::RuntimeMissing { wanted: library_file_name(), searched: candidates.clone() })?
    };
    check_library_file(&path)?;
    let builder =
        ort::init_from(&path).map_err(|e| Error::RuntimeLoad { path: path.clone(), reason: e.to_string() })?;
    let env = builder
        .with_name("simlens")
        .build()
        .map_err(|e| Error::RuntimeLoad { path: path.clone(), reason: e.to_string() })?;
    let rt = Runtime { library: path, env };
    *slot = Some(rt.clone());
    Ok(rt)
}

/// Rejects files that cannot be a shared library before the dynamic loader sees them.
///
/// `dlopen` on a truncated or foreign file fails cleanly, but checking the magic
/// bytes first gives a message a person can act on.
fn check_library_file(path: &Path) -> Result<()> {
    use std::io::Read as _;
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|mut f| f.read(&mut magic));
    let n = read.map_err(|e| Error::RuntimeLoad { path: path.to_owned(), reason: format!("cannot read it: {e}") })?;
    let is_library = n == 4
        && (magic == *b"\x7fELF"
            || magic[..2] == *b"MZ"
            || magic == [0xcf, 0xfa, 0xed, 0xfe]
            || magic == [0xca, 0xfe, 0xba, 0xbe]);
    if is_library {
        Ok(())
    } else {
        Err(Error::RuntimeLoad { path: path.to_owned(), reason: "the file is not a shared library".to_owned() })
    }
}
