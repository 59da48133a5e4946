//! UMAP's layout optimiser: umap-learn's stochastic gradient descent
//! (`optimize_layout_euclidean`), stoppable between epochs and reporting each one.
//!
//! As in umap-learn, each edge is sampled every `epochs_per_sample` epochs (the strongest
//! edge every epoch, an edge of weight `w` every `w_max / w`), each sample pulls both
//! endpoints together and pushes the head away from `negative_rate` random points, the
//! learning rate falls linearly from 1 to 0, and every step is clipped to 4 per axis.
//!
//! umap-learn moves the points one edge at a time, in edge order, so its parallel run
//! depends on the thread timing. Here each epoch moves every point from a frozen copy of
//! the layout: point `i` walks its own edges in order, moving only itself (its edges'
//! other ends, and its negative samples, stay where the epoch found them), with a
//! generator seeded from the seed, the point and the epoch. The tail's half of each pull
//! is the mirror edge's, applied when the tail walks its own row (the graph is
//! symmetric), so each point still feels every pull twice per sample, as in umap-learn.
//! Points are independent within an epoch: the result does not depend on the number of
//! threads.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use super::graph::FuzzyGraph;
use crate::{Error, Result};

/// Steps are clipped to this magnitude per axis (umap-learn's `clip`).
const CLIP: f32 = 4.0;
/// Added to a negative sample's squared distance, so a sample on the point stays finite.
const REPULSION_EPS: f32 = 0.001;

/// How far the layout has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epochs {
    /// Epochs finished.
    pub done: usize,
    /// Epochs in all.
    pub total: usize,
}

/// The layout's constants, with umap-learn's defaults for everything but the curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LayoutParams {
    /// The curve `1 / (1 + a d^(2b))` (see [`curve`]).
    pub a: f32,
    /// See `a`.
    pub b: f32,
    /// Epochs in all.
    pub n_epochs: usize,
    /// Negative samples per positive sample (umap-learn's 5).
    pub negative_rate: usize,
    /// Weight of the repulsion (umap-learn's `repulsion_strength`, 1).
    pub gamma: f32,
}

impl LayoutParams {
    /// umap-learn's layout for `min_dist` (spread 1) over `n_epochs`.
    pub fn new(min_dist: f32, n_epochs: usize) -> Self {
        let (a, b) = curve(f64::from(min_dist), 1.0);
        Self { a: a as f32, b: b as f32, n_epochs, negative_rate: 5, gamma: 1.0 }
    }
}

/// umap-learn's `find_ab_params`: the `a`, `b` of `1 / (1 + a x^(2b))` closest in least
/// squares to 1 below `min_dist` and `exp(-(x - min_dist) / spread)` above it, on 300
/// points of `[0, 3 spread]`. umap-learn fits with scipy's Levenberg–Marquardt; this is
/// Levenberg–Marquardt too, from the same start (1, 1).
pub(crate) fn curve(min_dist: f64, spread: f64) -> (f64, f64) {
    let xs: Vec<f64> = (0..300).map(|i| 3.0 * spread * i as f64 / 299.0).collect();
    let ys: Vec<f64> = xs.iter().map(|&x| if x < min_dist { 1.0 } else { (-(x - min_dist) / spread).exp() }).collect();
    let cost = |a: f64, b: f64| -> f64 {
        xs.iter().zip(&ys).map(|(&x, &y)| (1.0 / (1.0 + a * x.powf(2.0 * b)) - y).powi(2)).sum()
    };
    let (mut a, mut b, mut lambda) = (1.0f64, 1.0f64, 1e-3f64);
    let mut c = cost(a, b);
    for _ in 0..200 {
        // Normal equations of the Gauss–Newton step, damped.
        let (mut jaa, mut jab, mut jbb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(&ys) {
            if x <= 0.0 {
                continue;
            }
            let p = x.powf(2.0 * b);
            let f = 1.0 / (1.0 + a * p);
            let r = f - y;
            let da = -p * f * f;
            let db = -a * p * 2.0 * x.ln() * f * f;
            jaa += da * da;
            jab += da * db;
            jbb += db * db;
            ga += da * r;
            gb += db * r;
        }
        let mut improved = false;
        for _ in 0..30 {
            let (m11, m22) = (jaa * (1.0 + lambda), jbb * (1.0 + lambda));
            let det = m11 * m22 - jab * jab;
            if det.abs() < 1e-300 {
                break;
            }
            let step_a = -(m22 * ga - jab * gb) / det;
            let step_b = -(m11 * gb - jab * ga) / det;
            let (na, nb) = (a + step_a, b + step_b);
            let nc = cost(na, nb);
            if nc.is_finite() && nc <= c {
                let done = (c - nc) <= 1e-15 * c.max(1e-300) && step_a.abs() < 1e-12 && step_b.abs() < 1e-12;
                (a, b, c) = (na, nb, nc);
                lambda = (lambda / 10.0).max(1e-12);
                improved = !done;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

/// umap-learn's `clip`.
#[inline(always)]
fn clip(x: f32) -> f32 {
    x.clamp(-CLIP, CLIP)
}

/// The generator of point `i` in `epoch`: SplitMix64 of the three, so no two (point,
/// epoch) pairs share a stream and the stream does not depend on who runs it.
fn point_rng(seed: u64, i: usize, epoch: usize) -> SmallRng {
    let mut z =
        seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (epoch as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    SmallRng::seed_from_u64(z ^ (z >> 31))
}

/// Optimises `layout` (one 2-D point per node of `graph`). `epoch_done` hears each
/// finished epoch and returns `false` to stop, answered with [`Error::Cancelled`];
/// `layout` is then left as it was.
pub(crate) fn optimise(
    layout: &mut [[f32; 2]],
    graph: &FuzzyGraph,
    params: &LayoutParams,
    seed: u64,
    epoch_done: &mut dyn FnMut(Epochs) -> bool,
) -> Result<()> {
    let n = layout.len();
    if n == 0 || graph.len() != n {
        return Err(Error::internal(format!("UMAP layout of {n} points on a graph of {}", graph.len())));
    }
    let (a, b, gamma) = (params.a, params.b, params.gamma);
    let neg_rate = params.negative_rate.max(1) as f32;
    let w_max = graph.weights.iter().copied().fold(0.0f32, f32::max);
    if w_max <= 0.0 {
        return Err(Error::internal("UMAP layout of a graph with no edges"));
    }
    // umap-learn's `make_epochs_per_sample`: an edge of weight w every w_max / w epochs.
    let per_sample: Vec<f32> = graph.weights.iter().map(|&w| w_max / w).collect();
    let mut next_sample = per_sample.clone();
    let mut next_neg: Vec<f32> = per_sample.iter().map(|&e| e / neg_rate).collect();
    let mut state = layout.to_vec();
    let mut next = state.clone();
    let n_epochs = params.n_epochs;
    // Each point's slice of the schedule travels with it, so the points run apart.
    let mut rows: Vec<(&mut [f32], &mut [f32])> = Vec::with_capacity(n);
    let (mut rest_s, mut rest_n) = (&mut next_sample[..], &mut next_neg[..]);
    for i in 0..n {
        let len = graph.offsets[i + 1] - graph.offsets[i];
        let (s, s_tail) = rest_s.split_at_mut(len);
        let (g, n_tail) = rest_n.split_at_mut(len);
        rows.push((s, g));
        (rest_s, rest_n) = (s_tail, n_tail);
    }

    for epoch in 0..n_epochs {
        // umap-learn's schedule: 1 for the first two epochs, then 1 - (epoch - 1) / n.
        let alpha = 1.0 - epoch.saturating_sub(1) as f32 / n_epochs as f32;
        let epoch_f = epoch as f32;
        let frozen: &[[f32; 2]] = &state;
        next.par_iter_mut().zip(rows.par_iter_mut()).enumerate().for_each(|(i, (out, (sample, neg)))| {
            let mut cur = frozen[i];
            let (targets, _) = graph.row(i);
            let eps = &per_sample[graph.offsets[i]..graph.offsets[i + 1]];
            let mut rng = point_rng(seed, i, epoch);
            for e in 0..targets.len() {
                if sample[e] > epoch_f {
                    continue;
                }
                let other = frozen[targets[e] as usize];
                // The head's pull and, from the mirror edge, the tail's.
                for _ in 0..2 {
                    let (dx, dy) = (cur[0] - other[0], cur[1] - other[1]);
                    let d2 = dx * dx + dy * dy;
                    if d2 > 0.0 {
                        let pb = d2.powf(b);
                        let coeff = -2.0 * a * b * (pb / d2) / (a * pb + 1.0);
                        cur[0] += clip(coeff * dx) * alpha;
                        cur[1] += clip(coeff * dy) * alpha;
                    }
                }
                sample[e] += eps[e];
                let per_neg = eps[e] / neg_rate;
                let n_neg = ((epoch_f - neg[e]) / per_neg).max(0.0) as usize;
                for _ in 0..n_neg {
                    let k = rng.random_range(0..n);
                    if k == i {
                        continue;
                    }
                    let other = frozen[k];
                    let (dx, dy) = (cur[0] - other[0], cur[1] - other[1]);
                    let d2 = dx * dx + dy * dy;
                    if d2 > 0.0 {
                        let coeff = 2.0 * gamma * b / ((REPULSION_EPS + d2) * (a * d2.powf(b) + 1.0));
                        cur[0] += clip(coeff * dx) * alpha;
                        cur[1] += clip(coeff * dy) * alpha;
                    }
                }
                neg[e] += n_neg as f32 * per_neg;
            }
            *out = cur;
        });
        std::mem::swap(&mut state, &mut next);
        if !epoch_done(Epochs { done: epoch + 1, total: n_epochs }) {
            return Err(Error::Cancelled);
        }
    }
    layout.copy_from_slice(&state);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `groups` rings of `size` points, each point tied to its 6 ring neighbours, with
    /// every ring started on top of the others in a small square.
    fn rings(groups: usize, size: usize) -> (FuzzyGraph, Vec<[f32; 2]>) {
        let n = groups * size;
        let mut offsets = vec![0];
        let (mut targets, mut weights) = (Vec::new(), Vec::new());
        for i in 0..n {
            let (g, p) = (i / size, i % size);
            let mut row: Vec<(u32, f32)> = [1, 2, 3]
                .iter()
                .flat_map(|&s| [(p + s) % size, (p + size - s) % size])
                .map(|q| ((g * size + q) as u32, if q.abs_diff(p) == 1 { 1.0 } else { 0.6 }))
                .collect();
            row.sort_unstable_by_key(|e| e.0);
            targets.extend(row.iter().map(|e| e.0));
            weights.extend(row.iter().map(|e| e.1));
            offsets.push(targets.len());
        }
        let start = (0..n).map(|i| [(i % 37) as f32 / 3.7, (i % 23) as f32 / 2.3]).collect();
        (FuzzyGraph { offsets, targets, weights }, start)
    }

    fn bits(layout: &[[f32; 2]]) -> Vec<u32> {
        layout.iter().flatten().map(|v| v.to_bits()).collect()
    }

    fn run(graph: &FuzzyGraph, start: &[[f32; 2]], min_dist: f32, threads: usize) -> Vec<[f32; 2]> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        let mut layout = start.to_vec();
        pool.install(|| optimise(&mut layout, graph, &LayoutParams::new(min_dist, 200), 9, &mut |_| true))
            .expect("optimiser");
        layout
    }

    #[test]
    fn fits_umap_learns_curve() {
        // find_ab_params(1.0, min_dist) of umap-learn 0.5.12 (scipy 1.x).
        for (min_dist, a, b) in
            [(0.0, 1.932_808_4, 0.790_495_0), (0.1, 1.576_943_5, 0.895_060_9), (0.5, 0.583_030_0, 1.334_167)]
        {
            let (fa, fb) = curve(min_dist, 1.0);
            assert!((fa - a).abs() < 2e-3 * a && (fb - b).abs() < 2e-3 * b, "min_dist {min_dist}: {fa}, {fb}");
        }
    }

    #[test]
    fn one_seed_one_layout_whatever_the_threads() {
        let (graph, start) = rings(3, 120);
        let one = run(&graph, &start, 0.1, 1);
        let two = run(&graph, &start, 0.1, 2);
        assert_ne!(bits(&one), bits(&start), "the layout moved");
        assert_eq!(bits(&one), bits(&two), "1 and 2 threads give the same bytes");
    }

    #[test]
    fn separates_rings_with_room_inside_and_min_dist_matters() {
        let (graph, start) = rings(3, 120);
        let radius_and_gap = |layout: &[[f32; 2]]| {
            let cs: Vec<[f32; 2]> = layout
                .chunks(120)
                .map(|c| [c.iter().map(|p| p[0]).sum::<f32>() / 120.0, c.iter().map(|p| p[1]).sum::<f32>() / 120.0])
                .collect();
            let dist = |p: [f32; 2], q: [f32; 2]| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
            let radius = layout.chunks(120).zip(&cs).map(|(c, &m)| c.iter().map(|&p| dist(p, m)).fold(0.0, f32::max));
            let gap = (0..3).flat_map(|g| (0..3).filter(move |&h| h != g).map(move |h| (g, h)));
            (radius.collect::<Vec<_>>(), gap.map(|(g, h)| dist(cs[g], cs[h])).fold(f32::INFINITY, f32::min))
        };
        let tight = run(&graph, &start, 0.0, 2);
        let (radii, gap) = radius_and_gap(&tight);
        for r in &radii {
            assert!(*r > 0.05 && *r < gap, "ring radius {r}, nearest other ring {gap}");
        }
        let loose = run(&graph, &start, 0.5, 2);
        let (loose_radii, _) = radius_and_gap(&loose);
        let (t, l) = (radii.iter().sum::<f32>(), loose_radii.iter().sum::<f32>());
        assert!(l > 1.2 * t, "min_dist 0.5 spreads the rings more than 0: radius {l} against {t}");
    }

    #[test]
    fn a_stop_leaves_the_layout_as_it_was() {
        let (graph, start) = rings(2, 50);
        let mut layout = start.clone();
        let mut heard = Vec::new();
        let r = optimise(&mut layout, &graph, &LayoutParams::new(0.1, 50), 3, &mut |e| {
            heard.push(e.done);
            e.done < 10
        });
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
        assert_eq!(heard, (1..=10).collect::<Vec<_>>());
        assert_eq!(bits(&layout), bits(&start));
    }
}
