//! How the app is set up, and the state of its model.

use std::path::PathBuf;
use std::time::Duration;

use super::worker;
use crate::engine::{self, ModelInfo, Pooling};
use crate::session::{self, State};

/// How the app is set up; tests swap the loader for a fake and keep the session in memory.
pub struct AppOptions {
    /// Makes an embedder from a model folder.
    pub loader: worker::Loader,
    /// Where the session is autosaved; `None` keeps it in memory only.
    pub session_path: Option<PathBuf>,
    /// Quiet time after an edit before re-embedding.
    pub debounce: Duration,
    /// The folder of the bundled model.
    pub bundled_model: PathBuf,
    /// The on-disk embedding cache; `None` embeds without one.
    pub cache_dir: Option<PathBuf>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            loader: worker::onnx_loader(),
            session_path: std::env::var_os("SIMLENS_SESSION").map(PathBuf::from).or_else(session::default_path),
            debounce: Duration::from_millis(300),
            bundled_model: engine::bundled_model_dir(),
            cache_dir: engine::cache::default_root(),
        }
    }
}

/// The state of the model.
#[derive(Debug, Clone)]
pub enum ModelStatus {
    /// Being loaded from this folder.
    Loading(PathBuf),
    /// Ready.
    Ready(Box<ModelInfo>),
    /// Failed to load; the message says why and what to do.
    Failed(String),
}

impl ModelStatus {
    /// The pooling in effect: the chosen one if the model allows it, else the model's default.
    pub fn pooling(&self, chosen: Option<Pooling>) -> Pooling {
        match (self, chosen) {
            (ModelStatus::Ready(info), Some(p)) if info.poolings.contains(&p) => p,
            (ModelStatus::Ready(info), _) => info.default_pooling,
            (_, Some(p)) => p,
            (_, None) => Pooling::Mean,
        }
    }
}

/// The model folder the state names, or the bundled one.
pub fn model_dir(state: &State, options: &AppOptions) -> PathBuf {
    state.model_dir.clone().unwrap_or_else(|| options.bundled_model.clone())
}
