//! The layouts the map shows: PCA from the worker, UMAP from a background thread with
//! its stage, elapsed time and a Cancel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::app::result::{Computed, JobId};
use crate::engine::grid::PointGrid;
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
/// (a million points take most of a second to index).
pub struct Running {
    /// What it is making.
    pub key: LayoutKey,
    rx: Receiver<Result<Layout>>,
    /// How far it has got.
    progress: Arc<Mutex<UmapProgress>>,
    cancel: Arc<AtomicBool>,
    /// When it started.
    pub started: Instant,
}

/// How a poll of a running layout went.
pub enum Polled {
    /// Still working.
    Working,
    /// Done.
    Done(Result<Layout>),
}

impl Running {
    /// Starts UMAP on the vectors of `r`; the thread asks for a repaint at each stage (the
    /// view repaints through the epochs itself).
    pub fn umap(ctx: &egui::Context, r: &Arc<Computed>, params: UmapParams) -> std::io::Result<Self> {
        let key = LayoutKey { job: r.job, method: Method::Umap(params) };
        Self::spawn(ctx, r, key, move |r, progress| {
            let start = Instant::now();
            let points = crate::engine::umap::umap_2d(&r.embeddings, &params, progress)?;
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
    pub fn pca(ctx: &egui::Context, r: &Arc<Computed>) -> std::io::Result<Self> {
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
    ) -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let progress = Arc::new(Mutex::new(UmapProgress::start(UmapStage::Neighbours)));
        let cancel = Arc::new(AtomicBool::new(false));
        let (r2, ctx2, progress2, cancel2) = (Arc::clone(r), ctx.clone(), Arc::clone(&progress), Arc::clone(&cancel));
        crate::app::spawn("simlens-layout", move || {
            let result = make(&r2, &mut |p| {
                *progress2.lock().unwrap_or_else(PoisonError::into_inner) = p;
                if p.epochs.is_none() {
                    ctx2.request_repaint();
                }
                !cancel2.load(Ordering::Relaxed)
            });
            // Nobody listening means the view moved on; nothing to tell.
            let _ = tx.send(result);
            ctx2.request_repaint();
        })?;
        Ok(Self { key, rx, progress, cancel, started: Instant::now() })
    }

    /// How far it has got.
    pub fn progress(&self) -> UmapProgress {
        *self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether it finished.
    pub fn poll(&self) -> Polled {
        match self.rx.try_recv() {
            Ok(r) => Polled::Done(r),
            Err(TryRecvError::Empty) => Polled::Working,
            Err(TryRecvError::Disconnected) => {
                Polled::Done(Err(Error::internal("the UMAP thread stopped without an answer")))
            }
        }
    }
}

impl Drop for Running {
    /// A layout no longer wanted stops at its next stage or epoch.
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}
