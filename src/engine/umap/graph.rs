//! UMAP's fuzzy simplicial set, as umap-learn 0.5 builds it (`fuzzy_simplicial_set`):
//! smooth kNN distances, membership strengths, the fuzzy union, and the pruning of edges
//! too weak to be sampled in `n_epochs` (`simplicial_set_embedding`).
//!
//! `manifolds-rs`' own graph step aims each row's membership sum at `ln k` (umap-learn:
//! `log2 k`, with the point itself among its `k`), which gives every point a narrower
//! kernel and a different graph; this one follows umap-learn step for step, in `f64`
//! where umap-learn computes in Python floats.

use rayon::prelude::*;

/// umap-learn's `SMOOTH_K_TOLERANCE`.
const SMOOTH_K_TOLERANCE: f64 = 1e-5;
/// umap-learn's `MIN_K_DIST_SCALE`: a kernel is never narrower than this share of the mean
/// distance to the neighbours.
const MIN_K_DIST_SCALE: f64 = 1e-3;
/// Binary-search steps for each kernel width (umap-learn's `n_iter`).
const SMOOTH_K_STEPS: usize = 64;

/// A symmetric weighted graph, one row of `(neighbour, weight)` per point, rows in
/// compressed form. Each row's neighbours are in increasing order.
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzyGraph {
    /// Row `i` is `targets[offsets[i]..offsets[i + 1]]`.
    pub offsets: Vec<usize>,
    /// The neighbour at each edge.
    pub targets: Vec<u32>,
    /// The membership strength at each edge, in (0, 1].
    pub weights: Vec<f32>,
}

impl FuzzyGraph {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Row `i`: its neighbours and their weights.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let r = self.offsets[i]..self.offsets[i + 1];
        (&self.targets[r.clone()], &self.weights[r])
    }

    /// The graph as the coordinate list `manifolds-rs`' spectral layout reads.
    pub fn to_coo(&self) -> manifolds_rs::prelude::CoordinateList<f32> {
        let mut row_indices = Vec::with_capacity(self.targets.len());
        for i in 0..self.len() {
            row_indices.extend(std::iter::repeat_n(i, self.offsets[i + 1] - self.offsets[i]));
        }
        manifolds_rs::prelude::CoordinateList {
            row_indices,
            col_indices: self.targets.iter().map(|&j| j as usize).collect(),
            values: self.weights.clone(),
            n_samples: self.len(),
        }
    }
}

/// The kernel of one point: `rho`, the distance to its nearest neighbour, and `sigma`, the
/// width that makes its memberships sum to `log2(k)` (umap-learn's `smooth_knn_dist`).
/// `dists` are the distances to the neighbours other than the point itself, ascending;
/// `k` counts the point itself, as umap-learn's `n_neighbors` does.
fn smooth_knn(dists: &[f32], k: usize, mean_all: f64) -> (f64, f64) {
    let target = (k as f64).log2();
    let rho = dists.iter().map(|&d| f64::from(d)).find(|&d| d > 0.0).unwrap_or(0.0);
    let (mut lo, mut hi, mut mid) = (0.0f64, f64::INFINITY, 1.0f64);
    for _ in 0..SMOOTH_K_STEPS {
        let psum: f64 = dists
            .iter()
            .map(|&d| {
                let d = f64::from(d) - rho;
                if d > 0.0 { (-d / mid).exp() } else { 1.0 }
            })
            .sum();
        if (psum - target).abs() < SMOOTH_K_TOLERANCE {
            break;
        }
        if psum > target {
            hi = mid;
            mid = (lo + hi) / 2.0;
        } else {
            lo = mid;
            mid = if hi == f64::INFINITY { mid * 2.0 } else { (lo + hi) / 2.0 };
        }
    }
    // umap-learn's mean counts the point itself, at distance 0.
    let mean_row = dists.iter().map(|&d| f64::from(d)).sum::<f64>() / (dists.len() + 1) as f64;
    let floor = MIN_K_DIST_SCALE * if rho > 0.0 { mean_row } else { mean_all };
    (rho, mid.max(floor))
}

/// The fuzzy graph of a kNN graph: `indices[i]` and `distances[i]` are point `i`'s
/// neighbours, nearest first, without the point itself; `k` counts the point itself.
/// Edges weaker than the strongest over `n_epochs` are dropped, as umap-learn drops them
/// before the layout (they would never be sampled).
pub fn fuzzy_graph(indices: &[Vec<usize>], distances: &[Vec<f32>], k: usize, n_epochs: usize) -> FuzzyGraph {
    let n = indices.len();
    let count: usize = distances.iter().map(Vec::len).sum();
    let mean_all = distances.iter().flatten().map(|&d| f64::from(d)).sum::<f64>() / count.max(1) as f64;
    // Directed memberships, each row sorted by neighbour (ties cannot occur: a kNN list
    // names each neighbour once).
    let directed: Vec<Vec<(u32, f32)>> = indices
        .par_iter()
        .zip(distances)
        .enumerate()
        .map(|(i, (idx, dist))| {
            let (rho, sigma) = smooth_knn(dist, k, mean_all);
            let mut row: Vec<(u32, f32)> = idx
                .iter()
                .zip(dist)
                .filter(|&(&j, _)| j != i)
                .map(|(&j, &d)| {
                    let over = f64::from(d) - rho;
                    let w = if over <= 0.0 || sigma == 0.0 { 1.0 } else { (-over / sigma).exp() };
                    (j as u32, w as f32)
                })
                .collect();
            row.sort_unstable_by_key(|&(j, _)| j);
            row.dedup_by_key(|&mut (j, _)| j);
            row
        })
        .collect();
    // The transpose, rows filled in increasing source order, so already sorted.
    let mut t_offsets = vec![0usize; n + 1];
    for row in &directed {
        for &(j, _) in row {
            t_offsets[j as usize + 1] += 1;
        }
    }
    for i in 0..n {
        t_offsets[i + 1] += t_offsets[i];
    }
    let mut fill = t_offsets.clone();
    let mut t_entries = vec![(0u32, 0.0f32); t_offsets[n]];
    for (i, row) in directed.iter().enumerate() {
        for &(j, w) in row {
            t_entries[fill[j as usize]] = (i as u32, w);
            fill[j as usize] += 1;
        }
    }
    drop(fill);
    let union: Vec<Vec<(u32, f32)>> = directed
        .par_iter()
        .enumerate()
        .map(|(i, row)| merge_union(row, &t_entries[t_offsets[i]..t_offsets[i + 1]]))
        .collect();
    drop((directed, t_entries));
    let max = union.iter().flatten().map(|&(_, w)| w).fold(0.0f32, f32::max);
    let threshold = max / n_epochs.max(1) as f32;
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    let (mut targets, mut weights) = (Vec::new(), Vec::new());
    for row in union {
        for (j, w) in row {
            if w >= threshold && w > 0.0 {
                targets.push(j);
                weights.push(w);
            }
        }
        offsets.push(targets.len());
    }
    FuzzyGraph { offsets, targets, weights }
}

/// One row of the fuzzy union `A + Aᵀ − A∘Aᵀ`, from the row of `A` and the row of `Aᵀ`,
/// both sorted by neighbour.
fn merge_union(a: &[(u32, f32)], t: &[(u32, f32)]) -> Vec<(u32, f32)> {
    let mut out = Vec::with_capacity(a.len() + t.len());
    let (mut p, mut q) = (0, 0);
    while p < a.len() || q < t.len() {
        let (ja, jt) = (a.get(p).map_or(u32::MAX, |e| e.0), t.get(q).map_or(u32::MAX, |e| e.0));
        if ja == jt {
            let (x, y) = (a[p].1, t[q].1);
            out.push((ja, x + y - x * y));
            p += 1;
            q += 1;
        } else if ja < jt {
            out.push(a[p]);
            p += 1;
        } else {
            out.push(t[q]);
            q += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_sum_to_log2_k_and_the_union_is_symmetric() {
        let dists = [0.1f32, 0.2, 0.25, 0.4, 0.5];
        let (rho, sigma) = smooth_knn(&dists, 6, 0.3);
        assert_eq!(rho, f64::from(0.1f32));
        let sum: f64 = dists.iter().map(|&d| (-(f64::from(d) - rho).max(0.0) / sigma).exp()).sum();
        assert!((sum - 6f64.log2()).abs() < 1e-4, "{sum}");
        // 0 -> 1 only, 1 <-> 2 both ways, 2 -> 0.
        let indices = vec![vec![1], vec![2], vec![1, 0]];
        let distances = vec![vec![0.1], vec![0.1], vec![0.1, 0.3]];
        let g = fuzzy_graph(&indices, &distances, 3, 200);
        for i in 0..3 {
            let (t, w) = g.row(i);
            for (&j, &x) in t.iter().zip(w) {
                let (tj, wj) = g.row(j as usize);
                let back = tj.iter().position(|&u| u as usize == i).map(|p| wj[p]);
                assert_eq!(back, Some(x), "edge {i} -> {j}");
            }
        }
        assert_eq!(g.row(1).0, [0, 2]);
    }
}
