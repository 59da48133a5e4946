//! UMAP's layout optimiser, stoppable between epochs and reporting each one.
//!
//! This is `manifolds-rs`' `optimise_embedding_adam_parallel` (MIT, 0.8.0) for `f32`
//! without the densMAP term, step for step and in the same floating-point order, with
//! one addition: a callback after every epoch that hears how far it got and can stop it.
//! The crate's function has no such hook, so a cancelled map in the app kept both cores
//! busy until the last epoch (minutes at a million points) and showed no progress through
//! its longest stage. A test checks that this copy and the crate give the same bytes.
//!
//! Each epoch computes every point's gradient from a frozen copy of the layout, with one
//! seeded generator per point, then takes one Adam step per point: the result does not
//! depend on the number of threads.

use manifolds_rs::prelude::UmapOptimParams;
use manifolds_rs::training::umap_csr::UmapCsrGraph;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::{Error, Result};

/// Repulsive gradients are clipped to this magnitude (umap-learn's 4).
const GRAD_CLIP_VAL: f32 = 4.0;
/// Added to a negative sample's squared distance, so a sample on the point stays finite.
const GRAD_REP_EPS: f32 = 0.001;
/// Attraction is skipped below this squared distance: the endpoints have met.
const GRAD_DIST_SQ_THRESHOLD: f32 = 1e-8;
/// Squared distances the `x^b` table covers, and its size.
const LUT_MAX: f32 = 25.0;
const LUT_SIZE: usize = 65_536;

/// `x^b` by linear interpolation in a table: `powf` dominates the gradient otherwise.
struct PowTable {
    b: f32,
    max_val: f32,
    inv_step: f32,
    table: Vec<f32>,
}

impl PowTable {
    fn new(b: f32) -> Self {
        let step = LUT_MAX / (LUT_SIZE - 1) as f32;
        let table = (0..LUT_SIZE).map(|i| (step * i as f32).powf(b)).collect();
        Self { b, max_val: LUT_MAX, inv_step: 1.0 / step, table }
    }

    #[inline(always)]
    fn get(&self, x: f32) -> f32 {
        if x >= self.max_val {
            return x.powf(self.b);
        }
        let idx_f = x * self.inv_step;
        let idx = whole(idx_f);
        if idx >= self.table.len() - 1 {
            return self.table[self.table.len() - 1];
        }
        let rem = idx_f - idx as f32;
        let (y0, y1) = (self.table[idx], self.table[idx + 1]);
        y0 + rem * (y1 - y0)
    }
}

/// `num_traits::ToPrimitive::to_usize` on a float, with `None` read as 0: the value
/// truncated when it fits, else 0 (negative, NaN or too large).
#[inline(always)]
fn whole(x: f32) -> usize {
    if x > -1.0 && x < usize::MAX as f32 { x as usize } else { 0 }
}

/// The squared distance between the points starting at `i` and `j` of a flat layout,
/// summed in dimension order.
#[inline(always)]
fn squared_distance(flat: &[f32], i: usize, j: usize, n_dim: usize) -> f32 {
    let mut sum = 0.0f32;
    for d in 0..n_dim {
        let diff = flat[i + d] - flat[j + d];
        sum += diff * diff;
    }
    sum
}

/// How far the layout has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epochs {
    /// Epochs finished.
    pub done: usize,
    /// Epochs in all.
    pub total: usize,
}

/// Optimises `embd` (one 2-D point per node) against the fuzzy `graph`, as
/// `manifolds-rs`' parallel Adam optimiser does. `epoch` hears each finished epoch and
/// returns `false` to stop, answered with [`Error::Cancelled`]; `embd` is then left as it
/// was.
pub fn optimise(
    embd: &mut [Vec<f32>],
    graph: &[Vec<(usize, f32)>],
    params: &UmapOptimParams<f32>,
    seed: u64,
    epoch_done: &mut dyn FnMut(Epochs) -> bool,
) -> Result<()> {
    let n = embd.len();
    if n == 0 {
        return Err(Error::internal("UMAP layout of no points"));
    }
    let n_dim = embd[0].len();
    let mut embd_flat: Vec<f32> = Vec::with_capacity(n * n_dim);
    for point in embd.iter() {
        embd_flat.extend_from_slice(point);
    }

    let (a, b) = (params.a, params.b);
    let two_a_b = 2.0 * a * b;
    let two_gamma_b = 2.0 * params.gamma * b;
    let b_is_one = (b - 1.0).abs() < 1e-10;
    let lut = PowTable::new(b);
    let pow_b = |x: f32| if b_is_one { x } else { lut.get(x) };

    let csr = UmapCsrGraph::from_graph(graph).map_err(|e| Error::internal(format!("UMAP layout: {e}")))?;
    let neg_rate = params.neg_sample_rate as f32;
    let mut next_sample: Vec<f32> = csr.epochs_per_sample.clone();
    let mut next_neg_sample: Vec<f32> = csr.epochs_per_sample.iter().map(|eps| *eps / neg_rate).collect();

    let n_epochs = params.n_epochs;
    let n_epochs_f = n_epochs as f32;
    let (one_minus_beta1, one_minus_beta2) = (1.0 - params.beta1, 1.0 - params.beta2);
    let mut m = vec![0.0f32; n * n_dim];
    let mut v = vec![0.0f32; n * n_dim];
    let mut grads = vec![0.0f32; n * n_dim];
    let mut has_update = vec![false; n];
    let mut rngs: Vec<SmallRng> = (0..n).map(|i| SmallRng::seed_from_u64(seed + i as u64)).collect();

    for epoch in 0..n_epochs {
        let lr = params.lr * (1.0 - epoch as f32 / n_epochs_f);
        let t = (epoch + 1) as f32;
        let sqrt_b2t1 = (1.0 - params.beta2.powf(t)).sqrt();
        let ad_scale = sqrt_b2t1 / (1.0 - params.beta1.powf(t));
        let epsc = sqrt_b2t1 * params.eps;
        let epoch_t = epoch as f32;
        has_update.fill(false);

        // Gradients, every point against the frozen layout.
        grads.par_chunks_exact_mut(n_dim).zip(has_update.par_iter_mut()).zip(rngs.par_iter_mut()).enumerate().for_each(
            |(i, ((grad, updated), rng))| {
                grad.fill(0.0);
                let base_i = i * n_dim;
                let (start, end) = (csr.node_edge_offsets[i] as usize, csr.node_edge_offsets[i + 1] as usize);
                for (&edge, &other) in csr.csr_edge_idx[start..end].iter().zip(&csr.csr_other_node[start..end]) {
                    let (edge, other) = (edge as usize, other as usize);
                    if next_sample[edge] > epoch_t {
                        continue;
                    }
                    *updated = true;
                    let base_o = other * n_dim;
                    let dist_sq = squared_distance(&embd_flat, base_i, base_o, n_dim);
                    if dist_sq >= GRAD_DIST_SQ_THRESHOLD {
                        let dist_sq_b = pow_b(dist_sq);
                        let denom = 1.0 + a * dist_sq_b;
                        let coeff = two_a_b * dist_sq_b / (dist_sq * denom);
                        for d in 0..n_dim {
                            let delta = embd_flat[base_o + d] - embd_flat[base_i + d];
                            grad[d] += 2.0 * coeff * delta;
                        }
                    }
                    // The smaller endpoint owns the edge's negative samples.
                    if i < other {
                        let n_neg = whole(
                            ((epoch_t - next_neg_sample[edge]) / (csr.epochs_per_sample[edge] / neg_rate)).floor(),
                        );
                        for _ in 0..n_neg {
                            let k = rng.random_range(0..n);
                            if k == i {
                                continue;
                            }
                            let base_k = k * n_dim;
                            let dist_sq = squared_distance(&embd_flat, base_i, base_k, n_dim);
                            let safe = dist_sq + GRAD_REP_EPS;
                            let denom = safe * (1.0 + a * pow_b(safe));
                            // Not clamp: on NaN max/min give the bound, as the crate does.
                            #[expect(clippy::manual_clamp, reason = "NaN handling must match manifolds-rs")]
                            let coeff = (two_gamma_b / denom).max(-GRAD_CLIP_VAL).min(GRAD_CLIP_VAL);
                            for d in 0..n_dim {
                                let delta = embd_flat[base_i + d] - embd_flat[base_k + d];
                                grad[d] += coeff * delta;
                            }
                        }
                    }
                }
            },
        );

        // One Adam step per point that moved.
        grads
            .par_chunks_exact_mut(n_dim)
            .zip(m.par_chunks_exact_mut(n_dim))
            .zip(v.par_chunks_exact_mut(n_dim))
            .zip(embd_flat.par_chunks_exact_mut(n_dim))
            .zip(has_update.par_iter())
            .for_each(|((((grad, m), v), point), &updated)| {
                if !updated {
                    return;
                }
                for d in 0..n_dim {
                    let g = grad[d];
                    let m_old = m[d];
                    m[d] += one_minus_beta1 * (g - m_old);
                    let v_old = v[d];
                    v[d] += one_minus_beta2 * (g * g - v_old);
                    point[d] += lr * ad_scale * m[d] / (v[d].sqrt() + epsc);
                }
            });

        // The edges sampled this epoch wait for their next turn.
        next_sample.par_iter_mut().zip(next_neg_sample.par_iter_mut()).zip(csr.epochs_per_sample.par_iter()).for_each(
            |((next, next_neg), &per_sample)| {
                if *next <= epoch_t {
                    let per_neg = per_sample / neg_rate;
                    *next += per_sample;
                    let n_neg = whole(((epoch_t - *next_neg) / per_neg).floor());
                    *next_neg += n_neg as f32 * per_neg;
                }
            },
        );

        if !epoch_done(Epochs { done: epoch + 1, total: n_epochs }) {
            return Err(Error::Cancelled);
        }
    }

    embd.par_iter_mut()
        .enumerate()
        .for_each(|(i, point)| point.copy_from_slice(&embd_flat[i * n_dim..(i + 1) * n_dim]));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use manifolds_rs::training::umap_optimisers::optimise_embedding_adam_parallel;

    /// A graph and a starting layout.
    struct Problem {
        graph: Vec<Vec<(usize, f32)>>,
        start: Vec<Vec<f32>>,
    }

    /// A random symmetric graph of `n` nodes with about `k` weighted edges each, and a
    /// random starting layout.
    fn problem(n: usize, k: usize, seed: u64) -> Problem {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut graph: Vec<Vec<(usize, f32)>> = vec![Vec::new(); n];
        for i in 0..n {
            for _ in 0..k / 2 {
                let j = rng.random_range(0..n);
                if j != i && !graph[i].iter().any(|&(o, _)| o == j) {
                    let w: f32 = rng.random_range(0.05..1.0);
                    graph[i].push((j, w));
                    graph[j].push((i, w));
                }
            }
        }
        let start = (0..n).map(|_| vec![rng.random_range(-10.0..10.0), rng.random_range(-10.0..10.0)]).collect();
        Problem { graph, start }
    }

    fn bits(layout: &[Vec<f32>]) -> Vec<u32> {
        layout.iter().flatten().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn gives_the_crates_bytes() {
        // Three curves: none has b = 1, so the x^b table is in every run.
        for (min_dist, n, epochs, seed) in [(0.1f32, 900, 60, 42u64), (0.5, 400, 35, 7), (0.0, 300, 20, 1)] {
            let Problem { graph, start } = problem(n, 14, seed);
            let params = UmapOptimParams::<f32>::from_min_dist_spread(
                min_dist,
                1.0,
                None,
                None,
                Some(epochs),
                None,
                None,
                None,
                None,
            );
            let mut theirs = start.clone();
            optimise_embedding_adam_parallel(&mut theirs, &graph, &params, None, seed, 0).expect("crate optimiser");
            let mut ours = start.clone();
            let mut heard = 0;
            optimise(&mut ours, &graph, &params, seed, &mut |e| {
                heard = e.done;
                e.total == epochs
            })
            .expect("optimiser");
            assert_eq!(heard, epochs);
            assert_ne!(bits(&ours), bits(&start), "the layout moved");
            assert_eq!(bits(&ours), bits(&theirs), "min_dist {min_dist}: the same bytes as manifolds-rs");
        }
    }

    #[test]
    fn a_stop_leaves_the_layout_as_it_was() {
        let Problem { graph, start } = problem(200, 10, 3);
        let params =
            UmapOptimParams::<f32>::from_min_dist_spread(0.1, 1.0, None, None, Some(50), None, None, None, None);
        let mut layout = start.clone();
        let r = optimise(&mut layout, &graph, &params, 3, &mut |e| e.done < 10);
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
        assert_eq!(bits(&layout), bits(&start));
    }
}
