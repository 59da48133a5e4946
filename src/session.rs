//! The saved session: what the app keeps between runs, and how it is written.
//!
//! [`State`] holds sentences, model, pooling and view settings; it is serialised as
//! JSON, autosaved atomically on a background thread, and a damaged file is set aside
//! rather than lost.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

use crate::engine::analysis::PairScope;
use crate::engine::{Pooling, Precision};
use crate::io::SentenceSet;
use crate::io::atomic_write;
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
    /// Which of the model's graphs embeds (fp32 unless the user picked another).
    pub precision: Precision,
    /// Configuration B's graph.
    pub compare_precision: Precision,
    /// Model folders opened before, most recent first.
    pub recent_models: Vec<PathBuf>,
    /// The folder of the last file opened or written.
    pub last_dir: Option<PathBuf>,
    /// Configuration B of the comparison: its model folder (`None`: the bundled model).
    pub compare_model: Option<PathBuf>,
    /// Configuration B's pooling (`None`: the model's own).
    pub compare_pooling: Option<Pooling>,
    /// The scored-pairs file used for the quality check (STS benchmark or the user's own).
    pub quality_file: Option<PathBuf>,
    /// Quality checks done so far, per model and pooling.
    pub quality: Vec<QualityScore>,
    /// How results are shown.
    pub view: ViewSettings,
    /// Text typed into each group's "New:" field and not added yet, by group.
    pub drafts: Vec<String>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            version: STATE_VERSION,
            set: SentenceSet::seed_example(),
            model_dir: None,
            pooling: None,
            precision: Precision::Fp32,
            compare_precision: Precision::Fp32,
            recent_models: Vec::new(),
            last_dir: None,
            compare_model: None,
            compare_pooling: None,
            quality_file: None,
            quality: Vec::new(),
            view: ViewSettings::default(),
            drafts: Vec::new(),
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
    /// Row and column order of the heatmap.
    pub order: Order,
    /// Paraphrase pairs: the smallest similarity listed.
    pub pair_threshold: f32,
    /// Paraphrase pairs: which pairs.
    pub pair_scope: PairScope,
    /// How the 2-D map lays the vectors out.
    pub map_method: MapMethod,
    /// The UMAP parameters of the map.
    pub umap: UmapSettings,
    /// What colours the map's points.
    pub map_colour: MapColour,
    /// Duplicates: rows at or above this similarity are duplicates.
    pub duplicate_threshold: f32,
    /// Duplicates: every pair inside a cluster at or above the threshold (no chains).
    pub complete_linkage: bool,
}

impl Default for ViewSettings {
    fn default() -> Self {
        Self {
            range: ColorRange::Unit,
            colormap: Colormap::Viridis,
            show_values: true,
            tab: Tab::Heatmap,
            order: Order::Groups,
            pair_threshold: 0.75,
            pair_scope: PairScope::All,
            map_method: MapMethod::Pca,
            umap: UmapSettings::default(),
            map_colour: MapColour::Groups,
            duplicate_threshold: 0.95,
            complete_linkage: false,
        }
    }
}

/// What colours the map's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MapColour {
    /// Each sentence's group.
    #[default]
    Groups,
    /// The best similarity to another sentence.
    NearDuplicate,
    /// 1 − the mean similarity to the nearest neighbours.
    Outlier,
}

/// How the 2-D map lays the vectors out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MapMethod {
    /// The two principal components: instant, but topics smear together.
    #[default]
    Pca,
    /// UMAP on cosine distance: neighbourhoods kept, computed in the background.
    Umap,
}

/// The UMAP parameters of the map (umap-learn's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UmapSettings {
    /// Neighbourhood size, counting the point itself.
    pub neighbors: usize,
    /// How tightly points may pack.
    pub min_dist: f32,
    /// The seed.
    pub seed: u64,
}

impl Default for UmapSettings {
    fn default() -> Self {
        Self::from(crate::engine::umap::UmapParams::default())
    }
}

impl From<crate::engine::umap::UmapParams> for UmapSettings {
    fn from(p: crate::engine::umap::UmapParams) -> Self {
        Self { neighbors: p.neighbors, min_dist: p.min_dist, seed: p.seed }
    }
}

impl UmapSettings {
    /// The engine's parameters.
    pub fn params(self) -> crate::engine::umap::UmapParams {
        crate::engine::umap::UmapParams { neighbors: self.neighbors, min_dist: self.min_dist, seed: self.seed }
    }
}

/// A quality check: how a model's cosine similarities rank scored pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct QualityScore {
    /// The model's fingerprint (weights and settings).
    pub fingerprint: String,
    /// The model's name.
    pub model: String,
    /// The pooling.
    pub pooling: Pooling,
    /// The pairs file.
    pub file: PathBuf,
    /// Spearman × 100.
    pub spearman: f64,
    /// Pearson × 100.
    pub pearson: f64,
    /// Number of pairs.
    pub pairs: usize,
}

/// Row and column order of the heatmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Order {
    /// Group by group, in the order typed.
    #[default]
    Groups,
    /// Average-linkage clustering on cosine distance: blocks emerge without groups.
    Clustered,
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
    /// Paraphrase pairs above a threshold.
    Pairs,
    /// The 2-D map (PCA).
    Map,
    /// Two configurations side by side.
    Compare,
    /// Near-duplicate clusters.
    Duplicates,
}

/// The default session file, in the platform's data folder for simlens
/// (Linux: `$XDG_DATA_HOME/simlens` or `~/.local/share/simlens`).
pub fn default_path() -> Option<PathBuf> {
    crate::engine::runtime::data_dir().map(|d| d.join("session.json"))
}

/// The outcome of loading a session.
pub struct Loaded {
    /// The state to start with.
    pub state: State,
    /// Something to tell the user (a corrupt or newer file that was set aside).
    pub notice: Option<String>,
    /// Whether autosave may write to the path (false when a bad file could not be moved).
    pub writable: bool,
}

/// The file that keeps the previous good session, beside `path`.
pub fn previous_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "session".into());
    path.with_file_name(format!("{stem}.prev.json"))
}

fn parse(bytes: &[u8]) -> Result<State, String> {
    match serde_json::from_slice::<State>(bytes) {
        Ok(state) if state.version <= STATE_VERSION => Ok(state),
        Ok(state) => Err(format!("it was written by a newer simlens (format {})", state.version)),
        Err(e) => Err(format!("it is damaged ({e})")),
    }
}

/// Loads the session at `path`. A missing file gives the seed example. An unreadable,
/// damaged or newer file is kept aside (renamed with a `.bad-…` suffix) and the previous
/// good autosave (`*.prev.json`) is used instead, or the example if there is none; the
/// notice says which.
pub fn load(path: &Path) -> Loaded {
    let problem = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Loaded { state: State::default(), notice: None, writable: true };
        }
        Err(e) => format!("it cannot be read ({e})"),
        Ok(bytes) => match parse(&bytes) {
            Ok(state) => return Loaded { state, notice: None, writable: true },
            Err(p) => p,
        },
    };
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let aside = path.with_extension(format!("json.bad-{stamp}"));
    let (kept, writable) = if std::fs::rename(path, &aside).is_ok() {
        (format!("It was kept as {}. ", aside.display()), true)
    } else {
        // It could not be moved: leave it alone and do not autosave over it.
        ("It was left in place and autosave is off for this run. ".to_owned(), false)
    };
    let prev = previous_path(path);
    let (state, start) = match std::fs::read(&prev).ok().map(|b| parse(&b)) {
        Some(Ok(state)) => (state, "Restored the previous autosave.".to_owned()),
        _ => (State::default(), "Started with the example.".to_owned()),
    };
    Loaded { state, notice: Some(format!("The last session could not be opened: {problem}. {kept}{start}")), writable }
}

enum SaveMsg {
    /// This state is what is on disk already.
    Remember(Box<State>),
    /// Write this state to this file.
    Save(PathBuf, Box<State>),
}

/// Writes sessions on a background thread, so the UI never waits for serialising or
/// for the disk. Identical states are not rewritten; each write also keeps the state it
/// replaces as the previous good session.
pub struct Autosaver {
    tx: Option<mpsc::Sender<SaveMsg>>,
    errors: mpsc::Receiver<String>,
    handle: Option<JoinHandle<()>>,
}

impl Autosaver {
    /// Starts the saver thread.
    pub fn new() -> Self {
        let (tx, rx) = mpsc::channel::<SaveMsg>();
        let (etx, errors) = mpsc::channel();
        let report = etx.clone();
        let spawned = std::thread::Builder::new().name("simlens-autosave".into()).spawn(move || {
            let mut last = String::new();
            while let Ok(mut msg) = rx.recv() {
                // Only the newest pending state matters.
                while let Ok(newer) = rx.try_recv() {
                    if let (SaveMsg::Remember(_), SaveMsg::Save(..)) = (&newer, &msg) {
                        continue;
                    }
                    msg = newer;
                }
                let (path, state) = match msg {
                    SaveMsg::Remember(state) => {
                        last = serde_json::to_string_pretty(&state).unwrap_or_default();
                        continue;
                    }
                    SaveMsg::Save(path, state) => (path, state),
                };
                let Ok(json) = serde_json::to_string_pretty(&state) else { continue };
                if json == last {
                    continue;
                }
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).ok();
                }
                let mut result = atomic_write(&path, |w| w.write_all(json.as_bytes()));
                if result.is_ok() && !last.is_empty() {
                    result = atomic_write(&previous_path(&path), |w| w.write_all(last.as_bytes()));
                }
                match result {
                    Ok(()) => last = json,
                    Err(e) => {
                        etx.send(format!("Autosave failed: {e}")).ok();
                    }
                }
            }
        });
        let handle = match spawned {
            Ok(h) => Some(h),
            Err(e) => {
                // Said once, in the window; the receiver is ours, so this cannot fail.
                report
                    .send(format!(
                        "Autosave is off: its thread could not start ({e}). Save with File → Save sentences…"
                    ))
                    .ok();
                None
            }
        };
        Self { tx: handle.is_some().then_some(tx), errors, handle }
    }

    /// Queues `state` for saving to `path` (skipped by the thread if unchanged).
    pub fn save(&mut self, path: &Path, state: &State) {
        if let Some(tx) = &self.tx {
            tx.send(SaveMsg::Save(path.to_path_buf(), Box::new(state.clone()))).ok();
        }
    }

    /// Marks `state` as already on disk (the session just loaded), so it is not
    /// rewritten and becomes the previous good session at the next save.
    pub fn remember(&mut self, state: &State) {
        if let Some(tx) = &self.tx {
            tx.send(SaveMsg::Remember(Box::new(state.clone()))).ok();
        }
    }

    /// An autosave error, if one happened.
    pub fn take_error(&self) -> Option<String> {
        self.errors.try_recv().ok()
    }
}

impl Default for Autosaver {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Autosaver {
    fn drop(&mut self) {
        // Closing the channel ends the thread after it writes what is queued.
        self.tx = None;
        if let Some(h) = self.handle.take() {
            h.join().ok();
        }
    }
}
