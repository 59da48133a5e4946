//! UMAP (McInnes, Healy & Melville, 2018) to two dimensions, on cosine distance.
//!
//! The steps are umap-learn's: the k nearest neighbours (NN-descent, `ann-search-rs`), the
//! fuzzy simplicial set (smooth kNN distances, fuzzy union: [`graph`]), a spectral
//! initialisation (`manifolds-rs`) scaled into `[0, 10]`, then umap-learn's SGD layout
//! ([`optim`]), which moves every point from a frozen copy of the layout with a
//! generator per point and epoch, so the result does not depend on the number of threads,
//! and one seed gives one layout, with a stop between epochs.

use std::time::Instant;

use manifolds_rs::data::init::spectral_layout;

use super::Embeddings;
use super::knn::KnnGraph;
pub use optim::Epochs;
use optim::LayoutParams;

mod graph;
pub mod optim;
use crate::{Error, Result};

/// UMAP's parameters, with umap-learn's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UmapParams {
    /// Neighbourhood size, counting the point itself (umap-learn's `n_neighbors`).
    pub neighbors: usize,
    /// How tightly points may pack (umap-learn's `min_dist`).
    pub min_dist: f32,
    /// The seed: one seed, one layout.
    pub seed: u64,
}

impl Default for UmapParams {
    fn default() -> Self {
        Self { neighbors: 15, min_dist: 0.1, seed: 42 }
    }
}

impl UmapParams {
    /// Checks the parameters against `n` points: one clear error for each bad value.
    pub fn check(&self, n: usize) -> Result<()> {
        if self.neighbors < 2 || self.neighbors > 200 {
            return Err(Error::input(
                None,
                format!("--neighbors {} is out of range: use 2 to 200 (umap-learn's default is 15)", self.neighbors),
            ));
        }
        if !(self.min_dist.is_finite() && (0.0..=1.0).contains(&self.min_dist)) {
            return Err(Error::input(
                None,
                format!("--min-dist {} is out of range: use 0 to 1 (umap-learn's default is 0.1)", self.min_dist),
            ));
        }
        if n <= self.neighbors {
            return Err(Error::input(
                None,
                format!(
                    "UMAP with {} neighbours needs more than {} sentences; there are {n}. Use --method pca or fewer --neighbors.",
                    self.neighbors, self.neighbors
                ),
            ));
        }
        Ok(())
    }

    /// Neighbours of the graph UMAP needs: umap-learn counts the point itself among its
    /// `n_neighbors`; the graph does not.
    pub fn graph_k(&self) -> usize {
        self.neighbors - 1
    }

    /// umap-learn's epoch count: 500 for small sets, 200 past 10,000 points.
    pub fn epochs(n: usize) -> usize {
        if n <= 10_000 { 500 } else { 200 }
    }
}

/// The steps of a UMAP run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UmapStage {
    /// Finding each point's nearest neighbours.
    Neighbours,
    /// Building the fuzzy graph.
    Graph,
    /// The spectral initialisation.
    Initialise,
    /// Optimising the layout.
    Layout,
}

impl UmapStage {
    /// What the stage does, for a progress line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Neighbours => "finding nearest neighbours",
            Self::Graph => "building the neighbour graph",
            Self::Initialise => "spectral initialisation",
            Self::Layout => "optimising the layout",
        }
    }

    /// The stage's place, 0-based, out of [`UmapStage::COUNT`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Number of stages.
    pub const COUNT: usize = 4;
}

/// How far a UMAP run has got: the stage it is in, and within the layout its epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmapProgress {
    /// The stage under way.
    pub stage: UmapStage,
    /// Epochs of the layout finished, once it has begun.
    pub epochs: Option<Epochs>,
}

impl UmapProgress {
    /// A stage starting.
    pub fn start(stage: UmapStage) -> Self {
        Self { stage, epochs: None }
    }

    /// The share of the whole run done, counting each stage as an equal part.
    pub fn fraction(self) -> f32 {
        let within = self.epochs.map_or(0.0, |e| e.done as f32 / e.total.max(1) as f32);
        (self.stage.index() as f32 + within) / UmapStage::COUNT as f32
    }

    /// The progress in words: "optimising the layout, epoch 120 of 200".
    pub fn label(self) -> String {
        match self.epochs {
            Some(e) => format!("{}, epoch {} of {}", self.stage.label(), e.done, e.total),
            None => self.stage.label().to_owned(),
        }
    }
}

/// Lays unit vectors out in 2-D. `progress` hears each step as it starts and each epoch
/// of the layout as it ends, and returns `false` to cancel (answered with
/// [`Error::Cancelled`] at once).
///
/// The neighbour search keeps its own copy of the vectors; [`umap_2d_owned`] hands it
/// the caller's instead, for a million vectors 1.5 GB less.
pub fn umap_2d(
    emb: &Embeddings,
    params: &UmapParams,
    progress: &mut dyn FnMut(UmapProgress) -> bool,
) -> Result<Vec<[f32; 2]>> {
    params.check(emb.len())?;
    umap_2d_owned(emb.clone(), params, progress)
}

/// [`umap_2d`] on vectors it may consume: the neighbour search takes the buffer over.
///
/// Identical vectors (the same sentence entered twice) are laid out once and share their
/// point (see [`KnnGraph`]).
pub fn umap_2d_owned(
    emb: Embeddings,
    params: &UmapParams,
    progress: &mut dyn FnMut(UmapProgress) -> bool,
) -> Result<Vec<[f32; 2]>> {
    params.check(emb.len())?;
    if !progress(UmapProgress::start(UmapStage::Neighbours)) {
        return Err(Error::Cancelled);
    }
    let t = Instant::now();
    let graph = KnnGraph::build_owned(emb, params.graph_k(), params.seed, &mut || true)?;
    log::debug!("umap: {} neighbours of {} points in {:?}", params.graph_k(), graph.distinct(), t.elapsed());
    umap_on_graph(&graph, params, progress)
}

/// UMAP from a neighbour graph made beforehand (shared with other analyses): the steps
/// after the neighbour search. The graph must have been made with
/// [`UmapParams::graph_k`] neighbours and the same seed.
pub fn umap_on_graph(
    graph: &KnnGraph,
    params: &UmapParams,
    progress: &mut dyn FnMut(UmapProgress) -> bool,
) -> Result<Vec<[f32; 2]>> {
    let n = graph.rows();
    params.check(n)?;
    if graph.key.k != params.graph_k() || graph.key.seed != params.seed {
        return Err(Error::internal(format!(
            "UMAP with {} neighbours and seed {} was handed a graph of {} neighbours and seed {}",
            params.neighbors, params.seed, graph.key.k, graph.key.seed
        )));
    }
    if graph.distinct() <= params.neighbors {
        return Err(Error::input(
            None,
            format!(
                "UMAP with {} neighbours needs more than {} distinct sentences; there are {} distinct among {n}. Use --method pca or fewer --neighbors.",
                params.neighbors,
                params.neighbors,
                graph.distinct()
            ),
        ));
    }
    if graph.distinct() < n {
        log::debug!("umap: {} distinct vectors among {n}", graph.distinct());
    }
    let points = umap_distinct(graph, params, progress)?;
    Ok(graph.of().iter().map(|&u| points[u as usize]).collect())
}

/// UMAP of the graph's distinct vectors.
fn umap_distinct(
    knn: &KnnGraph,
    params: &UmapParams,
    progress: &mut dyn FnMut(UmapProgress) -> bool,
) -> Result<Vec<[f32; 2]>> {
    let n = knn.distinct();
    let fail = |what: &str, e: &dyn std::fmt::Display| Error::internal(format!("UMAP {what}: {e}"));
    let mut step =
        |s: UmapStage| if progress(UmapProgress::start(s)) { Ok(Instant::now()) } else { Err(Error::Cancelled) };
    let n_epochs = UmapParams::epochs(n);

    let t = step(UmapStage::Graph)?;
    let (indices, distances) = knn.lists();
    let graph = graph::fuzzy_graph(&indices, &distances, params.neighbors, n_epochs);
    drop((indices, distances));
    log::debug!("umap: graph of {} edges in {:?}", graph.targets.len(), t.elapsed());

    let t = step(UmapStage::Initialise)?;
    // A graph in several pieces places its components from the graph alone.
    let coo = graph.to_coo();
    let spectral = spectral_layout(&coo, 2, params.seed, None, None).map_err(|e| fail("initialisation", &e))?;
    drop(coo);
    let mut points = unit_box(&spectral);
    drop(spectral);
    log::debug!("umap: spectral initialisation in {:?}", t.elapsed());

    let t = step(UmapStage::Layout)?;
    let layout = LayoutParams::new(params.min_dist, n_epochs);
    optim::optimise(&mut points, &graph, &layout, params.seed, &mut |e| {
        progress(UmapProgress { stage: UmapStage::Layout, epochs: Some(e) })
    })?;
    log::debug!("umap: {n_epochs} epochs in {:?}", t.elapsed());
    if points.iter().any(|p| !p[0].is_finite() || !p[1].is_finite()) {
        return Err(Error::internal("UMAP produced non-finite coordinates"));
    }
    Ok(points)
}

/// The initial layout scaled into `[0, 10]` on each axis, as umap-learn scales its
/// initialisation before the layout: the curve's `a`, `b` are fitted to distances of
/// about 1, so the scale of the start decides how far apart the layout begins.
fn unit_box(layout: &[Vec<f32>]) -> Vec<[f32; 2]> {
    let mut out: Vec<[f32; 2]> = layout.iter().map(|p| [p[0], p[1]]).collect();
    for axis in 0..2 {
        let lo = out.iter().map(|p| p[axis]).fold(f32::INFINITY, f32::min);
        let hi = out.iter().map(|p| p[axis]).fold(f32::NEG_INFINITY, f32::max);
        let scale = if hi > lo { 10.0 / (hi - lo) } else { 0.0 };
        for p in &mut out {
            p[axis] = (p[axis] - lo) * scale;
        }
    }
    out
}

/// The share of each point's `k` nearest 2-D neighbours that are in its own group,
/// averaged over the points: how well a map keeps groups together. Exact (a grid search
/// over the points), so it can judge maps of a million points.
pub fn same_group_share(points: &[[f32; 2]], groups: &[usize], k: usize) -> f64 {
    use rayon::prelude::*;
    let n = points.len();
    if n < 2 || k == 0 {
        return 0.0;
    }
    let grid = super::grid::PointGrid::new(points, (n / 4).max(1));
    let total: f64 = (0..n)
        .into_par_iter()
        .map(|i| {
            let near = grid.nearest_k(points, points[i], k, Some(i));
            let same = near.iter().filter(|&&j| groups[j] == groups[i]).count();
            same as f64 / near.len().max(1) as f64
        })
        .sum();
    total / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `groups` tight clusters of unit vectors around random centres, interleaved.
    fn clusters(n: usize, d: usize, groups: usize, seed: u64) -> (Embeddings, Vec<usize>) {
        let centres = crate::engine::random_unit(groups, d, seed);
        let noise = crate::engine::random_unit(n, d, seed + 1);
        let mut data = Vec::with_capacity(n * d);
        let labels: Vec<usize> = (0..n).map(|i| i % groups).collect();
        for (i, &g) in labels.iter().enumerate() {
            let v: Vec<f32> = (0..d).map(|c| centres.data[g * d + c] + 0.25 * noise.data[i * d + c]).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            data.extend(v.iter().map(|x| x / norm));
        }
        (Embeddings { dim: d, data, truncated: Vec::new() }, labels)
    }

    #[test]
    fn keeps_separated_clusters_apart_and_is_deterministic() {
        let (emb, labels) = clusters(1_500, 32, 5, 7);
        let params = UmapParams::default();
        let mut seen = Vec::new();
        let a = umap_2d(&emb, &params, &mut |p| {
            seen.push(p);
            true
        })
        .expect("umap");
        let stages: Vec<UmapStage> = seen.iter().filter(|p| p.epochs.is_none()).map(|p| p.stage).collect();
        assert_eq!(stages, [UmapStage::Neighbours, UmapStage::Graph, UmapStage::Initialise, UmapStage::Layout]);
        // Then every epoch of the layout, in order, ending at the whole run.
        let epochs: Vec<usize> = seen.iter().filter_map(|p| p.epochs.map(|e| e.done)).collect();
        assert_eq!(epochs, (1..=UmapParams::epochs(1_500)).collect::<Vec<_>>());
        assert_eq!(seen.last().map(|p| p.fraction()), Some(1.0));
        let share = same_group_share(&a, &labels, 10);
        assert!(share > 0.98, "same-group share of 10 nearest 2-D neighbours {share}");
        // Every cluster's centre is farther from the other centres than its own spread.
        let centre = |g: usize| {
            let pts: Vec<&[f32; 2]> = a.iter().zip(&labels).filter(|(_, l)| **l == g).map(|(p, _)| p).collect();
            let m = pts.len() as f32;
            [pts.iter().map(|p| p[0]).sum::<f32>() / m, pts.iter().map(|p| p[1]).sum::<f32>() / m]
        };
        let cs: Vec<[f32; 2]> = (0..5).map(centre).collect();
        for g in 0..5 {
            let spread = a
                .iter()
                .zip(&labels)
                .filter(|(_, l)| **l == g)
                .map(|(p, _)| ((p[0] - cs[g][0]).powi(2) + (p[1] - cs[g][1]).powi(2)).sqrt())
                .fold(0.0f32, f32::max);
            for h in (0..5).filter(|&h| h != g) {
                let gap = ((cs[g][0] - cs[h][0]).powi(2) + (cs[g][1] - cs[h][1]).powi(2)).sqrt();
                assert!(gap > spread, "clusters {g} and {h}: centres {gap} apart, spread {spread}");
            }
        }
        let b = umap_2d(&emb, &params, &mut |_| true).expect("umap");
        let bytes = |p: &[[f32; 2]]| p.iter().flat_map(|q| [q[0].to_bits(), q[1].to_bits()]).collect::<Vec<u32>>();
        assert_eq!(bytes(&a), bytes(&b), "the same seed gives the same layout, bit for bit");
        let c = umap_2d(&emb, &UmapParams { seed: 43, ..params }, &mut |_| true).expect("umap");
        assert_ne!(bytes(&a), bytes(&c), "another seed gives another layout");
    }

    /// The cluster's median distance to its centre and the nearest other centre's
    /// distance, medians over the clusters.
    fn radius_and_gap(points: &[[f32; 2]], labels: &[usize], groups: usize) -> (f32, f32) {
        let dist = |p: [f32; 2], q: [f32; 2]| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
        let median = |mut v: Vec<f32>| {
            v.sort_by(f32::total_cmp);
            v[v.len() / 2]
        };
        let members = |g: usize| points.iter().zip(labels).filter(move |(_, l)| **l == g).map(|(p, _)| *p);
        let cs: Vec<[f32; 2]> = (0..groups)
            .map(|g| {
                let m = members(g).count() as f32;
                [members(g).map(|p| p[0]).sum::<f32>() / m, members(g).map(|p| p[1]).sum::<f32>() / m]
            })
            .collect();
        let radius = median((0..groups).map(|g| median(members(g).map(|p| dist(p, cs[g])).collect())).collect());
        let gap = median(
            (0..groups)
                .map(|g| (0..groups).filter(|&h| h != g).map(|h| dist(cs[g], cs[h])).fold(f32::INFINITY, f32::min))
                .collect(),
        );
        (radius, gap)
    }

    #[test]
    fn clusters_are_islands_not_dots_and_min_dist_matters() {
        let (emb, labels) = clusters(1_200, 32, 6, 11);
        let (r0, g0) = radius_and_gap(
            &umap_2d(&emb, &UmapParams { min_dist: 0.0, ..UmapParams::default() }, &mut |_| true).expect("umap"),
            &labels,
            6,
        );
        let (r5, g5) = radius_and_gap(
            &umap_2d(&emb, &UmapParams { min_dist: 0.5, ..UmapParams::default() }, &mut |_| true).expect("umap"),
            &labels,
            6,
        );
        // umap-learn's clusters have a radius of a few per cent of the gap between them.
        assert!(r0 / g0 > 0.01 && r0 < 0.5 * g0, "min_dist 0: radius {r0}, gap {g0}");
        assert!(
            r5 / g5 > 1.2 * r0 / g0 && r5 < 0.5 * g5,
            "min_dist 0.5: radius {r5}, gap {g5}; min_dist 0: {r0}, {g0}"
        );
    }

    #[test]
    fn the_same_vectors_give_the_same_bytes_by_any_path() {
        let (emb, _) = clusters(400, 16, 4, 13);
        let bytes = |p: &[[f32; 2]]| p.iter().flat_map(|q| [q[0].to_bits(), q[1].to_bits()]).collect::<Vec<u32>>();
        let params = UmapParams::default();
        let pool = |t: usize| rayon::ThreadPoolBuilder::new().num_threads(t).build().expect("pool");
        let one = pool(1).install(|| umap_2d(&emb, &params, &mut |_| true)).expect("umap");
        let two = pool(2).install(|| umap_2d(&emb, &params, &mut |_| true)).expect("umap");
        assert_eq!(bytes(&one), bytes(&two), "1 and 2 threads give the same bytes");
        // Owned, with spare capacity and a zero of the other sign.
        let mut data = Vec::with_capacity(emb.data.len() * 2);
        data.extend_from_slice(&emb.data);
        let owned = umap_2d_owned(Embeddings { data, ..emb.clone() }, &params, &mut |_| true).expect("umap");
        assert_eq!(bytes(&one), bytes(&owned));
        // Copies after the distinct rows leave the distinct rows' layout alone.
        let mut data = emb.data.clone();
        data.extend_from_slice(&emb.data[5 * 16..9 * 16]);
        data.extend_from_slice(&emb.data[..16]);
        let dup = umap_2d(&Embeddings { data, ..emb.clone() }, &params, &mut |_| true).expect("umap");
        assert_eq!(bytes(&one), bytes(&dup[..400]));
        assert_eq!(dup[400..404], one[5..9]);
        let mut signed = emb.clone();
        signed.data.iter_mut().step_by(7).for_each(|v| *v = 0.0);
        let mut negated = signed.clone();
        negated.data.iter_mut().filter(|v| **v == 0.0).for_each(|v| *v = -0.0);
        negated.data.extend_from_slice(&signed.data[..16]);
        let a = umap_2d(&signed, &params, &mut |_| true).expect("umap");
        let b = umap_2d(&negated, &params, &mut |_| true).expect("umap");
        assert_eq!(bytes(&a), bytes(&b[..400]), "-0 and 0 are one value");
    }

    #[test]
    fn identical_vectors_share_a_point() {
        let (emb, labels) = clusters(600, 16, 3, 5);
        // Every vector three times, interleaved.
        let mut data = Vec::new();
        for _ in 0..3 {
            data.extend_from_slice(&emb.data);
        }
        let tripled = Embeddings { dim: 16, data, truncated: Vec::new() };
        let p = umap_2d(&tripled, &UmapParams::default(), &mut |_| true).expect("umap");
        assert_eq!(p.len(), 1_800);
        for i in 0..600 {
            assert_eq!(p[i], p[i + 600]);
            assert_eq!(p[i], p[i + 1_200]);
        }
        let labels3: Vec<usize> = (0..1_800).map(|i| labels[i % 600]).collect();
        assert!(same_group_share(&p, &labels3, 10) > 0.95);
        // Twenty copies of one vector are too few distinct points.
        let one = Embeddings { dim: 16, data: emb.data[..16].repeat(20), truncated: Vec::new() };
        let e = umap_2d(&one, &UmapParams::default(), &mut |_| true).unwrap_err().to_string();
        assert!(e.contains("there are 1 distinct among 20"), "{e}");
    }

    #[test]
    fn cancels_between_steps_and_refuses_bad_parameters() {
        let (emb, _) = clusters(200, 16, 2, 3);
        let r = umap_2d(&emb, &UmapParams::default(), &mut |p| p.stage < UmapStage::Initialise);
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
        // A stop inside the layout ends it at that epoch: nothing more is heard.
        let mut heard = Vec::new();
        let r = umap_2d(&emb, &UmapParams::default(), &mut |p| {
            heard.extend(p.epochs.map(|e| e.done));
            p.epochs.is_none_or(|e| e.done < 3)
        });
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
        assert_eq!(heard, [1, 2, 3]);
        let few = Embeddings { dim: 16, data: emb.data[..10 * 16].to_vec(), truncated: Vec::new() };
        let e = umap_2d(&few, &UmapParams::default(), &mut |_| true).unwrap_err().to_string();
        assert!(e.contains("needs more than 15 sentences; there are 10"), "{e}");
        let e = UmapParams { min_dist: -1.0, ..UmapParams::default() }.check(1000).unwrap_err().to_string();
        assert!(e.contains("--min-dist -1"), "{e}");
    }
}
