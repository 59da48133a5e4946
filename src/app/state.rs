//! What the app saves between runs: sentences, model, pooling and view settings.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::Pooling;
use crate::io::SentenceSet;
use crate::render::Colormap;

/// Version of the saved state; a file from a newer version is not loaded blindly.
pub const STATE_VERSION: u32 = 1;

/// The state that is persisted. Runtime handles (worker, textures) live outside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)] // New fields get their default when an older session is loaded.
pub struct State {
    /// Format version of the saved file.
    pub version: u32,
    /// The sentences, in groups.
    pub set: SentenceSet,
    /// The model folder; `None` means the bundled model.
    pub model_dir: Option<PathBuf>,
    /// The pooling; `None` means the model's default.
    pub pooling: Option<Pooling>,
    /// Model folders opened before, most recent first.
    pub recent_models: Vec<PathBuf>,
    /// The folder of the last file opened or written.
    pub last_dir: Option<PathBuf>,
    /// How results are shown.
    pub view: ViewSettings,
}

impl Default for State {
    fn default() -> Self {
        Self {
            version: STATE_VERSION,
            set: SentenceSet::seed_example(),
            model_dir: None,
            pooling: None,
            recent_models: Vec::new(),
            last_dir: None,
            view: ViewSettings::default(),
        }
    }
}

/// How results are shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewSettings {
    /// The colour range of the heatmap.
    pub range: ColorRange,
    /// The colour map.
    pub colormap: Colormap,
    /// Print values inside cells when they fit.
    pub show_values: bool,
    /// The central view.
    pub tab: Tab,
}

impl Default for ViewSettings {
    fn default() -> Self {
        Self {
            range: ColorRange::Unit,
            colormap: Colormap::Viridis,
            show_values: true,
            tab: Tab::Heatmap,
        }
    }
}

/// The colour range of the heatmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ColorRange {
    /// [0, 1], as the colab.
    #[default]
    Unit,
    /// [-1, 1], the full range of cosine similarity.
    Signed,
    /// The smallest to the largest off-diagonal value.
    Auto,
}

impl ColorRange {
    /// Every range, in menu order.
    pub const ALL: [ColorRange; 3] = [ColorRange::Unit, ColorRange::Signed, ColorRange::Auto];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            ColorRange::Unit => "0 … 1",
            ColorRange::Signed => "−1 … 1",
            ColorRange::Auto => "auto",
        }
    }
}

/// The central view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Tab {
    /// Sentence × sentence.
    #[default]
    Heatmap,
    /// Group × group.
    Groups,
}
