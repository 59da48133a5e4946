//! Export from the app: dialogs, then the same writers as the CLI, off the UI thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::result::Computed;
use crate::io::SentenceSet;
use crate::io::export::{EmbeddingExport, EmbeddingFormat, MatrixFormat, SimilarityReport};
use crate::io::tables::{MapTable, Table as _, group_names_per_row};
use crate::render::{Colormap, HeatmapPicture, save_heatmap_png};
use crate::session::State;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// Similarity matrix as CSV.
    MatrixCsv,
    /// Similarity matrix as JSON with model, pooling, labels and groups.
    MatrixJson,
    /// Similarity matrix as a float32 NumPy array.
    MatrixNpy,
    /// Embeddings as a float32 NumPy array.
    EmbeddingsNpy,
    /// Embeddings as the Embedding Projector's vectors.tsv + metadata.tsv.
    EmbeddingsTsv,
    /// Embeddings as Parquet (text, group, embedding), for pandas, DuckDB, Embedding Atlas.
    EmbeddingsParquet,
    /// The heatmap as a PNG picture.
    HeatmapPng,
    /// The sentences (.txt with `# Group` headers, .csv or .tsv by extension).
    Sentences,
}

impl ExportKind {
    /// Every kind, in menu order.
    pub const ALL: [ExportKind; 8] = [
        ExportKind::MatrixCsv,
        ExportKind::MatrixJson,
        ExportKind::MatrixNpy,
        ExportKind::EmbeddingsNpy,
        ExportKind::EmbeddingsParquet,
        ExportKind::EmbeddingsTsv,
        ExportKind::HeatmapPng,
        ExportKind::Sentences,
    ];

    /// The menu entry.
    pub fn menu_label(self) -> &'static str {
        match self {
            ExportKind::MatrixCsv => "Similarity matrix (CSV)…",
            ExportKind::MatrixJson => "Similarity matrix (JSON)…",
            ExportKind::MatrixNpy => "Similarity matrix (NPY)…",
            ExportKind::EmbeddingsNpy => "Embeddings (NPY)…",
            ExportKind::EmbeddingsTsv => "Embeddings for the Embedding Projector (TSV folder)…",
            ExportKind::EmbeddingsParquet => "Embeddings (Parquet, for pandas, DuckDB, Embedding Atlas)…",
            ExportKind::HeatmapPng => "Heatmap picture (PNG)…",
            ExportKind::Sentences => "Sentences…",
        }
    }

    /// The file (or folder) name offered by default.
    pub fn default_name(self) -> &'static str {
        match self {
            ExportKind::MatrixCsv => "similarity.csv",
            ExportKind::MatrixJson => "similarity.json",
            ExportKind::MatrixNpy => "similarity.npy",
            ExportKind::EmbeddingsNpy => "embeddings.npy",
            ExportKind::EmbeddingsTsv => "projector",
            ExportKind::EmbeddingsParquet => "embeddings.parquet",
            ExportKind::HeatmapPng => "heatmap.png",
            ExportKind::Sentences => "sentences.txt",
        }
    }
}

/// A job that writes the export and returns the message to show.
pub type ExportJob = Box<dyn FnOnce() -> crate::Result<String> + Send>;

/// Prepares an export of the current result; `None` when there is no result yet
/// (sentences can always be saved).
pub fn prepare(kind: ExportKind, path: &Path, result: Option<Arc<Computed>>, state: &State) -> Option<ExportJob> {
    let path: PathBuf = path.to_path_buf();
    if kind == ExportKind::Sentences {
        let set: SentenceSet = state.set.clone();
        return Some(Box::new(move || {
            let format = crate::io::sentences::SetFormat::from_path(&path);
            crate::io::atomic_write(&path, |w| set.write(w, format))?;
            Ok(format!("Saved {} sentences to {}.", set.len(), path.display()))
        }));
    }
    let r = result?;
    let needs_matrix =
        matches!(kind, ExportKind::MatrixCsv | ExportKind::MatrixJson | ExportKind::MatrixNpy | ExportKind::HeatmapPng);
    if needs_matrix && r.matrix_len() != r.table.len() {
        let n = r.table.len();
        return Some(Box::new(move || {
            Err(crate::Error::input(
                None,
                format!("{n} sentences are too many for a full matrix; export the embeddings instead"),
            ))
        }));
    }
    // Read now: the job runs on another thread, after the state may have changed.
    let picture = Picture { range: super::paint::range_of(&r, state.view.range), colormap: state.view.colormap };
    Some(Box::new(move || {
        write_export(kind, &path, &r, picture)?;
        Ok(format!("Exported {} to {}.", kind.menu_label().trim_end_matches('…'), path.display()))
    }))
}

/// The heatmap picture's settings, as the view shows them.
#[derive(Clone, Copy)]
struct Picture {
    range: (f32, f32),
    colormap: Colormap,
}

/// Writes the export of `kind` (any but sentences) from the result `r`.
fn write_export(kind: ExportKind, path: &Path, r: &Computed, picture: Picture) -> crate::Result<()> {
    let t = &r.table;
    let labels: Vec<&str> = t.texts.iter().map(String::as_str).collect();
    let sim = || r.sim.as_ref().ok_or_else(|| crate::Error::internal("a matrix export without a matrix"));
    let matrix = |format| {
        SimilarityReport::new(
            &r.model.name,
            Some(r.pooling),
            &labels,
            &t.groups,
            &t.group_names,
            sim()?,
            &r.group_matrix,
        )
        .save(path, format)
    };
    let embeddings = |format| {
        EmbeddingExport {
            model: &r.model.name,
            fingerprint: &r.model.fingerprint,
            pooling: r.pooling,
            precision: &r.model.precision,
            labels: &labels,
            groups: group_names_per_row(&t.groups, &t.group_names),
            embeddings: &r.embeddings,
        }
        .save(path, format)
    };
    match kind {
        ExportKind::MatrixCsv => matrix(MatrixFormat::Csv),
        ExportKind::MatrixJson => matrix(MatrixFormat::Json),
        ExportKind::MatrixNpy => matrix(MatrixFormat::Npy),
        ExportKind::EmbeddingsNpy => embeddings(EmbeddingFormat::Npy),
        ExportKind::EmbeddingsTsv => embeddings(EmbeddingFormat::Tsv),
        ExportKind::EmbeddingsParquet => save_map_table(path, r, &labels),
        ExportKind::HeatmapPng => {
            let mut starts: Vec<(usize, String)> = Vec::new();
            for (i, &g) in t.groups.iter().enumerate() {
                if i == 0 || t.groups[i - 1] != g {
                    starts.push((i, t.group_names[g].clone()));
                }
            }
            let pic = HeatmapPicture {
                sim: sim()?,
                labels: &t.texts,
                group_starts: &starts,
                range: picture.range,
                colormap: picture.colormap,
            };
            save_heatmap_png(&pic, path)
        }
        ExportKind::Sentences => Err(crate::Error::internal("sentences are saved without a result")),
    }
}

/// The embeddings as Parquet with the map's x and y (a PCA made now when the map was never
/// shown), so Embedding Atlas opens it with the same layout (`--x x --y y`).
fn save_map_table(path: &Path, r: &Computed, labels: &[&str]) -> crate::Result<()> {
    let t = &r.table;
    let made;
    let map = match &r.map {
        Some(m) if m.points.len() == t.len() => m,
        _ => {
            made = crate::engine::project::pca_2d(&r.embeddings);
            &made
        }
    };
    let mut table = MapTable::new(labels, group_names_per_row(&t.groups, &t.group_names), &r.embeddings, &map.points);
    table.meta =
        crate::io::export::parquet_metadata(&r.model.name, &r.model.fingerprint, r.pooling, &r.model.precision);
    table.meta.push(("simlens.map".to_owned(), "pca".to_owned()));
    crate::io::atomic_write(path, |w| table.write_parquet(w))
}
