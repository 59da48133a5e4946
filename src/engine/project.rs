//! Two-dimensional maps of the vectors (PCA) and a clustering order (average linkage).

use super::embed::Embeddings;
use super::similarity::SimMatrix;

/// A 2-D projection of the vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// One point per vector.
    pub points: Vec<[f32; 2]>,
    /// Share of the total variance along each axis (0..1).
    pub explained: [f32; 2],
}

/// Principal component analysis to two dimensions: centre the vectors, take the top two
/// eigenvectors of their covariance (power iteration with deflation, in f64) and project.
pub fn pca_2d(emb: &Embeddings) -> Projection {
    let (n, d) = (emb.len(), emb.dim);
    if n == 0 || d == 0 {
        return Projection { points: Vec::new(), explained: [0.0, 0.0] };
    }
    let mut mean = vec![0.0f64; d];
    for row in emb.rows() {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += f64::from(x);
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    // Covariance (d × d) = XcᵀXc / n with Xc the centred vectors: one f32 GEMM (fast at
    // any N), then the small eigenproblem in f64.
    let centred: Vec<f32> =
        emb.rows().flat_map(|row| row.iter().zip(&mean).map(|(&x, &m)| (f64::from(x) - m) as f32)).collect();
    let xc = ndarray::ArrayView2::from_shape((n, d), &centred).expect("n × d");
    let mut c32 = ndarray::Array2::<f32>::zeros((d, d));
    ndarray::linalg::general_mat_mul(1.0 / n as f32, &xc.t(), &xc, 0.0, &mut c32);
    let cov: Vec<f64> = c32.iter().map(|&c| f64::from(c)).collect();
    let trace: f64 = (0..d).map(|k| cov[k * d + k]).sum();
    let mut axes: Vec<Vec<f64>> = Vec::new();
    let mut values = [0.0f64; 2];
    for (slot, value) in values.iter_mut().enumerate() {
        // Deterministic start that is not orthogonal to typical leading axes.
        let mut v: Vec<f64> = (0..d).map(|k| 1.0 + ((k * 7 + slot * 13) % 11) as f64 / 10.0).collect();
        let mut lambda = 0.0;
        for _ in 0..500 {
            for axis in &axes {
                let p: f64 = v.iter().zip(axis).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(axis).for_each(|(x, a)| *x -= p * a);
            }
            let mut w = vec![0.0f64; d];
            for a in 0..d {
                w[a] = cov[a * d..(a + 1) * d].iter().zip(&v).map(|(c, x)| c * x).sum();
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm < 1e-300 {
                break;
            }
            let next: Vec<f64> = w.iter().map(|x| x / norm).collect();
            let delta: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
            v = next;
            lambda = norm;
            if delta < 1e-12 {
                break;
            }
        }
        // A fixed sign makes the map stable across runs: largest component positive.
        if let Some(big) = v.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs()))
            && big < 0.0
        {
            v.iter_mut().for_each(|x| *x = -*x);
        }
        *value = lambda;
        axes.push(v);
    }
    let points = emb
        .rows()
        .map(|row| {
            let mut p = [0.0f32; 2];
            for (k, axis) in axes.iter().enumerate() {
                p[k] = row.iter().zip(&mean).zip(axis).map(|((&x, m), a)| (f64::from(x) - m) * a).sum::<f64>() as f32;
            }
            p
        })
        .collect();
    let share = |v: f64| if trace > 0.0 { (v / trace) as f32 } else { 0.0 };
    Projection { points, explained: [share(values[0]), share(values[1])] }
}

/// Most sentences the clustering order is computed for (it needs N²/2 distances).
pub const MAX_CLUSTER: usize = 5_000;

/// An average-linkage clustering: the leaf order and the height of each merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Sentences in dendrogram leaf order: similar sentences sit next to each other.
    pub order: Vec<usize>,
    /// The cosine distance at which each merge happened, in merge order.
    pub heights: Vec<f64>,
}

/// Average-linkage hierarchical clustering on cosine distance (1 − similarity).
/// Uses the nearest-neighbour chain algorithm: O(N²) time and N²/2 distances.
/// Returns `None` above [`MAX_CLUSTER`] sentences.
pub fn cluster(sim: &SimMatrix) -> Option<Clustering> {
    let n = sim.n;
    if n > MAX_CLUSTER {
        return None;
    }
    if n < 2 {
        return Some(Clustering { order: (0..n).collect(), heights: Vec::new() });
    }
    let mut heights = Vec::with_capacity(n - 1);
    // Condensed distance matrix over cluster slots; slot i starts as leaf i.
    let idx = |i: usize, j: usize| {
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        a * (2 * n - a - 1) / 2 + (b - a - 1)
    };
    let mut dist = vec![0.0f64; n * (n - 1) / 2];
    for i in 0..n {
        for j in (i + 1)..n {
            // A NaN (from a broken model) would stall the chain; treat it as far apart.
            let d = 1.0 - f64::from(sim.get(i, j));
            dist[idx(i, j)] = if d.is_finite() { d } else { 2.0 };
        }
    }
    let mut size = vec![1usize; n];
    let mut active = vec![true; n];
    // Children of each merged cluster, stored per slot: the tree as nested leaf lists.
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut chain: Vec<usize> = Vec::new();
    let mut remaining = n;
    while remaining > 1 {
        if chain.is_empty() {
            chain.push(active.iter().position(|&a| a).unwrap_or(0));
        }
        loop {
            let a = *chain.last().unwrap_or(&0);
            let prev = chain.len().checked_sub(2).map(|k| chain[k]);
            // Nearest active neighbour of a; prefer the chain's previous element on ties.
            let mut best = prev;
            let mut best_d = prev.map(|p| dist[idx(a, p)]).unwrap_or(f64::INFINITY);
            for b in 0..n {
                if b != a && active[b] {
                    let d = dist[idx(a, b)];
                    if d < best_d {
                        best_d = d;
                        best = Some(b);
                    }
                }
            }
            let Some(b) = best else { break };
            if Some(b) == prev {
                // Reciprocal nearest neighbours: merge a and b into slot min(a, b).
                chain.pop();
                chain.pop();
                heights.push(best_d);
                let (keep, gone) = if a < b { (a, b) } else { (b, a) };
                for k in 0..n {
                    if active[k] && k != keep && k != gone {
                        let merged = (size[keep] as f64 * dist[idx(keep, k)] + size[gone] as f64 * dist[idx(gone, k)])
                            / (size[keep] + size[gone]) as f64;
                        dist[idx(keep, k)] = merged;
                    }
                }
                // Keep the tighter-linked side first so the order reads naturally.
                let moved = std::mem::take(&mut members[gone]);
                members[keep].extend(moved);
                size[keep] += size[gone];
                active[gone] = false;
                remaining -= 1;
                break;
            }
            chain.push(b);
        }
    }
    let root = active.iter().position(|&a| a).unwrap_or(0);
    Some(Clustering { order: std::mem::take(&mut members[root]), heights })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::pooling::normalize;
    use crate::engine::similarity_matrix;

    #[test]
    fn pca_finds_the_known_axes_and_variance() {
        // Points spread 3:1 along two orthogonal directions in 4-D, plus the mean offset.
        let u = [0.6f32, 0.8, 0.0, 0.0];
        let v = [0.0f32, 0.0, 1.0, 0.0];
        let mut data = Vec::new();
        for k in 0..40 {
            let (a, b) = (((k % 8) as f32 - 3.5) * 3.0, ((k / 8) as f32 - 2.0));
            for c in 0..4 {
                data.push(1.0 + a * u[c] + b * v[c]);
            }
        }
        let e = Embeddings { dim: 4, data, truncated: vec![] };
        let p = pca_2d(&e);
        // Variances: along u, 9 × var(0..8 centred) = 9 × 5.25; along v, var(0..5 centred) = 2.
        let (vu, vv) = (9.0 * 5.25, 2.0);
        assert!((p.explained[0] - vu / (vu + vv)).abs() < 1e-4, "{:?}", p.explained);
        assert!((p.explained[1] - vv / (vu + vv)).abs() < 1e-4, "{:?}", p.explained);
        // Coordinates are the centred projections on u and v (up to the fixed sign).
        for (k, pt) in p.points.iter().enumerate() {
            let (a, b) = (((k % 8) as f32 - 3.5) * 3.0, ((k / 8) as f32 - 2.0));
            assert!((pt[0].abs() - a.abs()).abs() < 1e-3 && (pt[1].abs() - b.abs()).abs() < 1e-3, "{k}: {pt:?}");
        }
    }

    /// Plain O(N³) average linkage, for comparison.
    fn naive_merge_heights(sim: &SimMatrix) -> Vec<f64> {
        let n = sim.n;
        let mut clusters: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        let mut heights = Vec::new();
        while clusters.len() > 1 {
            let mut best = (f64::INFINITY, 0, 0);
            for a in 0..clusters.len() {
                for b in (a + 1)..clusters.len() {
                    let mut s = 0.0;
                    for &i in &clusters[a] {
                        for &j in &clusters[b] {
                            s += 1.0 - f64::from(sim.get(i, j));
                        }
                    }
                    let d = s / (clusters[a].len() * clusters[b].len()) as f64;
                    if d < best.0 {
                        best = (d, a, b);
                    }
                }
            }
            let moved = clusters.remove(best.2);
            clusters[best.1].extend(moved);
            heights.push(best.0);
        }
        heights.sort_by(f64::total_cmp);
        heights
    }

    #[test]
    fn clustering_groups_blocks_and_matches_naive_average_linkage() {
        // Three tight blocks of 4 vectors, interleaved in the input.
        let centres = [[1.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let mut data = Vec::new();
        for k in 0..12 {
            let c = centres[k % 3];
            let mut v =
                [c[0] + 0.05 * (k as f32), c[1] + 0.03 * ((k * 7 % 5) as f32), c[2] + 0.02 * ((k * 3 % 4) as f32)];
            normalize(&mut v);
            data.extend(v);
        }
        let e = Embeddings { dim: 3, data, truncated: vec![] };
        let sim = similarity_matrix(&e);
        let order = cluster(&sim).unwrap().order;
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..12).collect::<Vec<_>>(), "a permutation");
        for block in order.chunks(4) {
            assert!(block.iter().all(|&i| i % 3 == block[0] % 3), "blocks contiguous: {order:?}");
        }
    }

    #[test]
    fn nn_chain_merges_at_the_same_heights_as_naive_average_linkage() {
        let sim = similarity_matrix(&crate::engine::random_unit(30, 6, 0x2545_f491_4f6c_dd1d));
        let mut got = cluster(&sim).unwrap().heights;
        got.sort_by(f64::total_cmp);
        let want = naive_merge_heights(&sim);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }
}
