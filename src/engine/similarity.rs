//! Similarity of normalised vectors: the full matrix, group means, neighbours.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, ShapeBuilder as _};

use super::embed::Embeddings;

/// Most sentences for which a full N × N matrix is built (20,000² float32 = 1.6 GB).
/// Above it, tools that need only neighbours or group means work from the vectors.
pub const MAX_MATRIX_SENTENCES: usize = 20_000;

/// A square, row-major similarity matrix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimMatrix {
    /// Rows (and columns).
    pub n: usize,
    /// `n × n` values, row after row.
    pub data: Vec<f32>,
}

impl SimMatrix {
    /// The value at row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.n + j]
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.n..(i + 1) * self.n]
    }

    /// Smallest and largest value off the diagonal (the whole matrix if `n < 2`).
    pub fn off_diagonal_range(&self) -> Option<(f32, f32)> {
        let mut lo = f32::INFINITY;
        let mut hi = f32::NEG_INFINITY;
        for i in 0..self.n {
            for j in 0..self.n {
                if i != j || self.n < 2 {
                    let v = self.get(i, j);
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        (lo <= hi).then_some((lo, hi))
    }
}

/// The matrix of dot products `E · Eᵀ` of normalised vectors (cosine similarity).
///
/// Only the upper triangle is computed (blocked GEMMs on strips of rows, in parallel),
/// then mirrored, so the work is halved and the result is exactly symmetric. The
/// matrix is written in place: no N² buffer besides the result.
pub fn similarity_matrix(emb: &Embeddings) -> SimMatrix {
    let n = emb.len();
    let d = emb.dim;
    let mut data = vec![0.0f32; n * n];
    if n > 0 && d > 0 {
        gemm_aat(&emb.data, n, d, &mut data);
    }
    SimMatrix { n, data }
}

/// Rows per strip of the upper-triangle product.
const STRIP: usize = 256;

/// `out = a · aᵀ` for row-major `a` (`n × d`).
fn gemm_aat(a: &[f32], n: usize, d: usize, out: &mut [f32]) {
    use rayon::prelude::*;
    assert_eq!(a.len(), n * d);
    assert_eq!(out.len(), n * n);
    if n <= STRIP {
        dot_rows(a, a, n, n, d, out);
        mirror(out, n, 0, n);
        return;
    }
    out.par_chunks_mut(STRIP * n).enumerate().for_each(|(s, strip)| {
        let r0 = s * STRIP;
        let rows = strip.len() / n;
        // Columns r0..n of rows r0..r0+rows: the strip's part of the upper triangle.
        let cols = n - r0;
        let lhs = ArrayView2::from_shape((rows, d), &a[r0 * d..(r0 + rows) * d]).expect("strip inside a");
        let rhs = ArrayView2::from_shape((cols, d), &a[r0 * d..]).expect("rows r0.. of a");
        let mut c = ArrayViewMut2::from_shape((rows, cols).strides((n, 1)), &mut strip[r0..]).expect("strip view");
        general_mat_mul(1.0, &lhs, &rhs.t(), 0.0, &mut c);
    });
    mirror(out, n, 0, n);
}

/// Copies the upper triangle of the diagonal block `start..start + m` into its lower
/// triangle. `rows` holds the full rows `start..start + m` of the `n`-wide matrix.
/// Halves are split with `split_at_mut`, so the off-diagonal copy runs in parallel
/// while reading the upper half and writing the lower one.
fn mirror(rows: &mut [f32], n: usize, start: usize, m: usize) {
    use rayon::prelude::*;
    const TILE: usize = 64;
    if m <= 2 * TILE {
        for i in 1..m {
            for j in 0..i {
                rows[i * n + start + j] = rows[j * n + start + i];
            }
        }
        return;
    }
    let h = m / 2;
    let (top, bottom) = rows.split_at_mut(h * n);
    {
        let top = &*top;
        // Bottom-left block (rows h..m, columns 0..h) = transpose of top-right.
        bottom.par_chunks_mut(TILE * n).enumerate().for_each(|(c, chunk)| {
            let i0 = h + c * TILE;
            for jb in (0..h).step_by(TILE) {
                for (ri, row) in chunk.chunks_mut(n).enumerate() {
                    let i = i0 + ri;
                    for j in jb..(jb + TILE).min(h) {
                        row[start + j] = top[j * n + start + i];
                    }
                }
            }
        });
    }
    rayon::join(|| mirror(top, n, start, h), || mirror(bottom, n, start + h, m - h));
}

/// `out[i][j] = a_i · b_j` for row-major slices `a` (`m × d`) and `b` (`k × d`).
pub(crate) fn dot_rows(a: &[f32], b: &[f32], m: usize, k: usize, d: usize, out: &mut [f32]) {
    assert!(a.len() >= m * d && b.len() >= k * d && out.len() >= m * k);
    // Small products are faster as plain loops than through the blocked kernel.
    if m * k * d < 64 * 64 * 64 {
        for i in 0..m {
            let ai = &a[i * d..(i + 1) * d];
            for j in 0..k {
                out[i * k + j] = dot(ai, &b[j * d..(j + 1) * d]);
            }
        }
        return;
    }
    use rayon::prelude::*;
    let b = ArrayView2::from_shape((k, d), &b[..k * d]).expect("length checked above");
    // Strips of rows in parallel; each is one call to matrixmultiply's blocked sgemm
    // (bᵀ is a stride change, not a copy).
    out[..m * k].par_chunks_mut(STRIP * k).enumerate().for_each(|(s, strip)| {
        let rows = strip.len() / k;
        let r0 = s * STRIP;
        let a = ArrayView2::from_shape((rows, d), &a[r0 * d..(r0 + rows) * d]).expect("length checked above");
        let mut c = ArrayViewMut2::from_shape((rows, k), strip).expect("strip of out");
        general_mat_mul(1.0, &a, &b.t(), 0.0, &mut c);
    });
}

/// Dot product of two equally long vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Mean similarity between and within groups, without the N × N matrix.
///
/// `groups[i]` is the group of sentence `i`, in `0..n_groups`. The mean of `x·y` over
/// all pairs of two groups is `Sa·Sb / (na·nb)` with `S` the sum of a group's vectors;
/// within a group the self-pairs (the diagonal) are left out:
/// `(‖Sa‖² − Σ‖x‖²) / (na·(na − 1))`. So a one-sentence group has no within-group value
/// (`None`). This costs O(N·dim), so it works for any N.
pub fn group_matrix(emb: &Embeddings, groups: &[usize], n_groups: usize) -> Vec<Option<f32>> {
    let d = emb.dim;
    let mut sums = vec![0.0f64; n_groups * d];
    let mut counts = vec![0usize; n_groups];
    let mut self_dots = vec![0.0f64; n_groups];
    for (row, &g) in emb.rows().zip(groups) {
        counts[g] += 1;
        let s = &mut sums[g * d..(g + 1) * d];
        for (acc, &x) in s.iter_mut().zip(row) {
            *acc += f64::from(x);
        }
        self_dots[g] += row.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>();
    }
    let mut out = vec![None; n_groups * n_groups];
    for a in 0..n_groups {
        for b in 0..n_groups {
            let dot: f64 = sums[a * d..(a + 1) * d].iter().zip(&sums[b * d..(b + 1) * d]).map(|(x, y)| x * y).sum();
            let (na, nb) = (counts[a] as f64, counts[b] as f64);
            out[a * n_groups + b] = if a == b {
                (counts[a] > 1).then(|| ((dot - self_dots[a]) / (na * (na - 1.0))) as f32)
            } else {
                (counts[a] > 0 && counts[b] > 0).then(|| (dot / (na * nb)) as f32)
            };
        }
    }
    out
}

/// Each group's separation: its mean within-group similarity minus its highest mean
/// similarity to another group. Positive means the group is distinct.
pub fn separation(group: &[Option<f32>], n_groups: usize) -> Vec<Option<f32>> {
    (0..n_groups)
        .map(|g| {
            let within = group[g * n_groups + g]?;
            let nearest = (0..n_groups).filter(|&h| h != g).filter_map(|h| group[g * n_groups + h]).reduce(f32::max)?;
            Some(within - nearest)
        })
        .collect()
}

/// The `k` largest entries of `row` other than index `skip`, best first.
pub fn top_k(row: &[f32], k: usize, skip: Option<usize>) -> Vec<(usize, f32)> {
    let mut idx: Vec<(usize, f32)> =
        row.iter().copied().enumerate().filter(|(i, v)| Some(*i) != skip && !v.is_nan()).collect();
    let k = k.min(idx.len());
    if k == 0 {
        return Vec::new();
    }
    idx.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
    idx.truncate(k);
    idx.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    idx
}

/// Spearman rank correlation of two equally long series (average ranks for ties).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

/// Pearson correlation of two equally long series.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// 1-based ranks with ties given their average rank.
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut out = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            out[k] = avg;
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn emb(rows: &[&[f32]]) -> Embeddings {
        Embeddings { dim: rows[0].len(), data: rows.concat(), truncated: vec![] }
    }

    #[test]
    fn matrix_is_dot_products_small_and_gemm_paths_agree() {
        let e = emb(&[&[1.0, 0.0], &[0.6, 0.8], &[0.0, 1.0]]);
        let s = similarity_matrix(&e);
        assert_eq!(s.n, 3);
        assert!((s.get(0, 1) - 0.6).abs() < 1e-6 && (s.get(1, 2) - 0.8).abs() < 1e-6);
        assert_eq!(s.get(0, 2), 0.0);

        // Large enough to take the GEMM path: compare with plain loops.
        let (n, d) = (90, 50);
        let data: Vec<f32> = (0..n * d).map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0).collect();
        let e = Embeddings { dim: d, data, truncated: vec![] };
        let s = similarity_matrix(&e);
        for i in 0..n {
            for j in 0..n {
                let want = dot(e.row(i), e.row(j));
                assert!((s.get(i, j) - want).abs() < 1e-4, "{i},{j}");
                assert_eq!(s.get(i, j), s.get(j, i));
            }
        }
    }

    #[test]
    fn strips_and_mirror_match_plain_dot_products() {
        // Sizes around the strip and tile edges, including a ragged last strip.
        for n in [129, 256, 257, 300, 777] {
            let e = crate::engine::random_unit(n, 24, n as u64);
            let s = similarity_matrix(&e);
            for i in 0..n {
                for j in 0..n {
                    let want = dot(e.row(i), e.row(j));
                    assert!((s.get(i, j) - want).abs() < 1e-5, "n={n} ({i},{j}): {} vs {want}", s.get(i, j));
                    assert_eq!(s.get(i, j).to_bits(), s.get(j, i).to_bits(), "n={n} ({i},{j})");
                }
            }
        }
    }

    #[test]
    fn group_means_leave_out_self_pairs() {
        // Unit vectors with sim(0,1)=0.6, sim(0,2)=0, sim(1,2)=0.8; groups {0,1} and {2}.
        let e = emb(&[&[1.0, 0.0], &[0.6, 0.8], &[0.0, 1.0]]);
        let g = group_matrix(&e, &[0, 0, 1], 2);
        assert!((g[0].unwrap() - 0.6).abs() < 1e-6);
        assert!((g[1].unwrap() - 0.4).abs() < 1e-6, "mean of 0 and 0.8");
        assert!((g[2].unwrap() - 0.4).abs() < 1e-6);
        assert_eq!(g[3], None, "a one-sentence group has no pair");
        let sep = separation(&g, 2);
        assert!((sep[0].unwrap() - 0.2).abs() < 1e-6);
        assert_eq!(sep[1], None);
    }

    #[test]
    fn group_means_agree_with_averaging_the_matrix() {
        let (n, d, k) = (40, 16, 5);
        let mut data: Vec<f32> = (0..n * d).map(|i| (((i * 2_654_435_761usize) % 1000) as f32 / 500.0) - 1.0).collect();
        for row in data.chunks_mut(d) {
            crate::engine::pooling::normalize(row);
        }
        let e = Embeddings { dim: d, data, truncated: vec![] };
        let groups: Vec<usize> = (0..n).map(|i| (i * 7) % k).collect();
        let sim = similarity_matrix(&e);
        let fast = group_matrix(&e, &groups, k);
        for a in 0..k {
            for b in 0..k {
                let vals: Vec<f32> = (0..n)
                    .flat_map(|i| (0..n).map(move |j| (i, j)))
                    .filter(|&(i, j)| i != j && groups[i] == a && groups[j] == b)
                    .map(|(i, j)| sim.get(i, j))
                    .collect();
                let want = vals.iter().sum::<f32>() / vals.len() as f32;
                assert!((fast[a * k + b].unwrap() - want).abs() < 1e-5, "{a},{b}");
            }
        }
    }

    #[test]
    fn top_k_orders_and_skips() {
        let row = [0.1, 0.9, 0.5, 1.0, 0.7];
        assert_eq!(top_k(&row, 3, Some(3)), vec![(1, 0.9), (4, 0.7), (2, 0.5)]);
        assert_eq!(top_k(&row, 10, None).len(), 5);
    }

    #[test]
    fn spearman_handles_ties_like_scipy() {
        // scipy.stats.spearmanr([1,2,2,3],[1,3,2,4]).correlation == 0.9486832980505138
        let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!((r - 0.948_683_298_050_513_8).abs() < 1e-12, "{r}");
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
    }
}
