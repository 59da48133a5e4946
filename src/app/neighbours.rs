//! The shown result's neighbour graph and what is read from it (the pairs at or above
//! [`FLOOR`], outlier scores), made once on a background task and shared by the map (its
//! UMAP and its colours) and the Duplicates view. The graph itself sits in a
//! [`KnnCache`], so a UMAP with the same neighbours and seed uses it too.

use std::sync::Arc;

use crate::app::result::{Computed, JobId};
use crate::app::task::{Task, TaskPoll};
use crate::engine::duplicates::{GraphPairs, Outliers, graph_pairs, near_duplicate_scores, outliers};
use crate::engine::knn::{KnnCache, KnnGraph};
use crate::engine::umap::UmapParams;

/// The lowest duplicate threshold the app offers: the pairs are found once at this level
/// and the slider filters them.
pub const FLOOR: f32 = 0.8;

/// What the facts are of: a result, and the graph's neighbours and seed (the map's UMAP
/// settings, so the two share one graph).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactsKey {
    /// The result.
    pub job: JobId,
    /// Neighbours per point, the point not counted.
    pub k: usize,
    /// The neighbour search's seed.
    pub seed: u64,
}

impl FactsKey {
    /// The facts of `r` with the map's UMAP parameters.
    pub fn of(r: &Computed, params: UmapParams) -> Self {
        Self { job: r.job, k: params.graph_k(), seed: params.seed }
    }
}

/// What the graph tells about a result.
pub struct NeighbourFacts {
    /// What they are of.
    pub key: FactsKey,
    /// The graph.
    pub graph: Arc<KnnGraph>,
    /// The distinct pairs at or above [`FLOOR`].
    pub pairs: GraphPairs,
    /// Every row's outlier score.
    pub outliers: Outliers,
    /// Every row's best similarity to another row.
    pub near_duplicate: Vec<Option<f32>>,
}

/// The step under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Finding each point's nearest neighbours.
    Graph,
    /// Scoring the graph's pairs.
    Pairs,
    /// Scoring outliers.
    Outliers,
}

impl Stage {
    /// The step in words.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Graph => "finding nearest neighbours",
            Stage::Pairs => "scoring near-duplicate pairs",
            Stage::Outliers => "scoring outliers",
        }
    }
}

/// How the facts of a result stand.
pub enum Facts<'a> {
    /// Ready.
    Ready(Arc<NeighbourFacts>),
    /// Under way, at this step.
    Working(Stage),
    /// They could not be made.
    Failed(&'a str),
}

/// The graph cache and the facts of the latest result asked about.
#[derive(Default)]
pub struct Neighbours {
    /// The graphs, shared with the map's UMAP.
    pub cache: Arc<KnnCache>,
    ready: Option<Arc<NeighbourFacts>>,
    running: Option<(FactsKey, Task<NeighbourFacts, Stage>)>,
    failed: Option<(FactsKey, String)>,
}

impl Neighbours {
    /// The facts of `r` with the map's UMAP parameters, started on a background task when
    /// they are neither ready nor under way.
    pub fn facts(&mut self, ctx: &egui::Context, r: &Arc<Computed>, params: UmapParams) -> Facts<'_> {
        let want = FactsKey::of(r, params);
        self.collect();
        if let Some(f) = self.ready.as_ref().filter(|f| f.key == want) {
            return Facts::Ready(Arc::clone(f));
        }
        let failed = self.failed.as_ref().is_some_and(|(k, _)| *k == want);
        if !failed && !self.running.as_ref().is_some_and(|(k, _)| *k == want) {
            self.running = Some((want, Self::start(ctx, r, want, Arc::clone(&self.cache))));
            // A thread that could not start is said at once.
            self.collect();
        }
        if let Some((_, e)) = self.failed.as_ref().filter(|(k, _)| *k == want) {
            return Facts::Failed(e);
        }
        Facts::Working(self.running.as_ref().and_then(|(_, t)| t.progress()).unwrap_or(Stage::Graph))
    }

    fn start(
        ctx: &egui::Context,
        r: &Arc<Computed>,
        key: FactsKey,
        cache: Arc<KnnCache>,
    ) -> Task<NeighbourFacts, Stage> {
        let r = Arc::clone(r);
        Task::spawn("simlens-neighbours", ctx, move |h| {
            let go = || !h.is_cancelled();
            let t = std::time::Instant::now();
            h.report(Stage::Graph);
            let graph = cache.get_or_build(&r.embeddings, key.k, key.seed, &mut || go())?;
            let t_graph = t.elapsed();
            h.report(Stage::Pairs);
            let pairs = graph_pairs(&r.embeddings, &graph, FLOOR, &go)?;
            log::debug!("neighbour facts: pairs by {:?}", t.elapsed());
            h.report(Stage::Outliers);
            let outliers = outliers(&r.embeddings, &graph)?;
            let near_duplicate = near_duplicate_scores(&r.embeddings, &graph, &pairs);
            log::info!(
                "neighbour facts of {} rows: graph ready in {:.2} s, pairs and outliers in {:.2} s ({} pairs at or above {FLOOR})",
                graph.rows(),
                t_graph.as_secs_f64(),
                (t.elapsed() - t_graph).as_secs_f64(),
                pairs.pairs.len()
            );
            Ok::<_, crate::Error>(NeighbourFacts { key, graph, pairs, outliers, near_duplicate })
        })
    }

    /// Takes finished facts, or their failure.
    fn collect(&mut self) {
        let Some((key, task)) = &mut self.running else { return };
        match task.poll() {
            TaskPoll::Running(_) => return,
            TaskPoll::Done(f) => self.ready = Some(Arc::new(f)),
            TaskPoll::Failed(e) => self.failed = Some((*key, format!("The neighbour graph could not be made: {e}"))),
            TaskPoll::Idle => {}
        }
        self.running = None;
    }
}
