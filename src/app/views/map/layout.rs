//! The layouts the map shows: PCA from the worker, UMAP from a background thread with
//! its stage, elapsed time and a Cancel.

use std::sync::Arc;
use std::time::Instant;

use crate::app::result::{Computed, JobId};
use crate::app::task::{Task, TaskPoll};
use crate::engine::grid::PointGrid;
use crate::engine::knn::KnnCache;
use crate::engine::umap::{UmapParams, UmapProgress, UmapStage};
use crate::session::MapMethod;
use crate::{Error, Result};

/// Points per grid cell on average: a hover looks at a handful of points.
const POINTS_PER_CELL: usize = 4;

/// What a layout was made from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutKey {
    /// The result whose vectors were laid out.
    pub job: JobId,
    /// PCA, or UMAP with these parameters.
    pub method: Method,
}

/// PCA, or UMAP with its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Principal components.
    Pca,
    /// UMAP.
    Umap(UmapParams),
}

impl Method {
    /// The persisted choice it belongs to.
    pub fn kind(self) -> MapMethod {
        match self {
            Self::Pca => MapMethod::Pca,
            Self::Umap(_) => MapMethod::Umap,
        }
    }
}

/// A finished layout with its spatial index.
pub struct Layout {
    /// What it was made from.
    pub key: LayoutKey,
    /// One point per sentence of the result.
    pub points: Arc<Vec<[f32; 2]>>,
    /// The points bucketed, for hover and selection.
    pub grid: PointGrid,
    /// Smallest and largest coordinates.
    pub bounds: [[f32; 2]; 2],
    /// A caption: what the axes are.
    pub caption: String,
}

impl Layout {
    /// Indexes `points`.
    pub fn new(key: LayoutKey, points: Arc<Vec<[f32; 2]>>, caption: String) -> Self {
        let grid = PointGrid::new(&points, (points.len() / POINTS_PER_CELL).max(1));
        let mut bounds = [[f32::INFINITY; 2], [f32::NEG_INFINITY; 2]];
        for p in points.iter().filter(|p| p[0].is_finite() && p[1].is_finite()) {
            for a in 0..2 {
                bounds[0][a] = bounds[0][a].min(p[a]);
                bounds[1][a] = bounds[1][a].max(p[a]);
            }
        }
        if bounds[0][0] > bounds[1][0] {
            bounds = [[-1.0; 2], [1.0; 2]];
        }
        Self { key, points, grid, bounds, caption }
    }
}

/// A layout under way on a background thread: UMAP, or the spatial index of a PCA
/// (a million points take most of a second to index). Dropping it cancels the thread at
/// its next stage or epoch.
pub struct Running {
    /// What it is making.
    pub key: LayoutKey,
    task: Task<Layout, UmapProgress>,
    /// When it started.
    pub started: Instant,
}

/// How a poll of a running layout went.
pub enum Polled {
    /// Still working.
    Working,
    /// Done, or why not.
    Done(std::result::Result<Layout, String>),
}

impl Running {
    /// Starts UMAP on the vectors of `r`; the thread asks for a repaint at each stage (the
    /// view repaints through the epochs itself).
    ///
    /// The neighbour graph comes from `graphs`, shared with the duplicate and outlier
    /// views: built here unless they built it first.
    pub fn umap(ctx: &egui::Context, r: &Arc<Computed>, params: UmapParams, graphs: Arc<KnnCache>) -> Self {
        let key = LayoutKey { job: r.job, method: Method::Umap(params) };
        Self::spawn(ctx, r, key, move |r, progress| {
            let start = Instant::now();
            params.check(r.embeddings.len())?;
            if !progress(UmapProgress::start(UmapStage::Neighbours)) {
                return Err(Error::Cancelled);
            }
            let graph = graphs.get_or_build(&r.embeddings, params.graph_k(), params.seed, &mut || {
                progress(UmapProgress::start(UmapStage::Neighbours))
            })?;
            let points = crate::engine::umap::umap_on_graph(&graph, &params, progress)?;
            let caption = format!(
                "UMAP of {} vectors (cosine, {} neighbours, min_dist {}, seed {}) in {:.1} s. Distances between clusters are not to scale.",
                crate::render::count(points.len()),
                params.neighbors,
                params.min_dist,
                params.seed,
                start.elapsed().as_secs_f64()
            );
            Ok(Layout::new(key, Arc::new(points), caption))
        })
    }

    /// Indexes the PCA map of `r` (which must have one).
    pub fn pca(ctx: &egui::Context, r: &Arc<Computed>) -> Self {
        let key = LayoutKey { job: r.job, method: Method::Pca };
        Self::spawn(ctx, r, key, move |r, _| {
            let map = r.map.as_ref().ok_or_else(|| Error::internal("no PCA map to index"))?;
            let caption = format!(
                "PCA of {} vectors: axis 1 explains {:.1}% of the variance, axis 2 {:.1}%.",
                crate::render::count(map.points.len()),
                map.explained[0] * 100.0,
                map.explained[1] * 100.0
            );
            Ok(Layout::new(key, Arc::new(map.points.clone()), caption))
        })
    }

    fn spawn(
        ctx: &egui::Context,
        r: &Arc<Computed>,
        key: LayoutKey,
        make: impl FnOnce(&Computed, &mut dyn FnMut(UmapProgress) -> bool) -> Result<Layout> + Send + 'static,
    ) -> Self {
        let r2 = Arc::clone(r);
        let task = Task::spawn("simlens-layout", ctx, move |h| {
            make(&r2, &mut |p| {
                // Epochs come many a second and the view repaints on its own timer while a
                // UMAP runs; a new stage asks for a frame.
                if p.epochs.is_none() {
                    h.report(p)
                } else {
                    h.report_quietly(p)
                }
                !h.is_cancelled()
            })
        });
        Self { key, task, started: Instant::now() }
    }

    /// How far it has got.
    pub fn progress(&self) -> UmapProgress {
        self.task.progress().unwrap_or(UmapProgress::start(UmapStage::Neighbours))
    }

    /// Whether it finished. A thread that could not start is a failure here.
    pub fn poll(&mut self) -> Polled {
        match self.task.poll() {
            TaskPoll::Running(_) => Polled::Working,
            TaskPoll::Done(layout) => Polled::Done(Ok(layout)),
            TaskPoll::Failed(e) => Polled::Done(Err(e)),
            TaskPoll::Idle => Polled::Done(Err("the layout thread stopped without an answer".to_owned())),
        }
    }
}
