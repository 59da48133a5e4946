//! Analyses over normalised vectors: nearest neighbours of a query, paraphrase-pair
//! mining without the N × N matrix, and sentences that sit closer to another group.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::Serialize;

use super::embed::Embeddings;
use super::similarity::{SimMatrix, dot, dot_rows, spearman, top_k};

/// Rows of the matrix computed at once while mining pairs: `CHUNK × N` floats at a time
/// (256 × 50,000 × 4 bytes = 51 MB), never N².
const CHUNK: usize = 256;

/// The `k` vectors most similar to `query`, best first.
pub fn search(emb: &Embeddings, query: &[f32], k: usize) -> Vec<(usize, f32)> {
    let scores: Vec<f32> = emb.rows().map(|r| dot(r, query)).collect();
    top_k(&scores, k, None)
}

/// Which pairs to mine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairScope {
    /// Every pair.
    #[default]
    All,
    /// Pairs inside one group.
    Within,
    /// Pairs from two different groups.
    Across,
}

impl std::str::FromStr for PairScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "all" => Ok(Self::All),
            "within" => Ok(Self::Within),
            "across" => Ok(Self::Across),
            o => Err(format!("unknown scope `{o}` (expected all, within or across)")),
        }
    }
}

/// A pair of sentences and their similarity; `i < j`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pair {
    /// First sentence.
    pub i: usize,
    /// Second sentence.
    pub j: usize,
    /// Cosine similarity.
    pub score: f32,
}

#[derive(PartialEq)]
struct Ranked(f32, usize, usize);
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        // Higher score ranks higher; ties broken by index so results are deterministic.
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1)).then(o.2.cmp(&self.2))
    }
}

/// The best pairs offered, at most a given number of them: a bounded heap, so memory stays
/// O(max) however many pairs are offered. Ties go to the lower indices, so the result does
/// not depend on the order of the offers.
pub struct TopPairs {
    heap: BinaryHeap<Reverse<Ranked>>,
    max: usize,
}

impl TopPairs {
    /// Keeps at most `max` pairs.
    pub fn new(max: usize) -> Self {
        Self { heap: BinaryHeap::new(), max }
    }

    /// Whether another pair could still be kept at all.
    pub fn wants_any(&self) -> bool {
        self.max > 0
    }

    /// Offers the pair `i < j` with its score, kept if it is in `scope` and among the best.
    pub fn offer(&mut self, i: usize, j: usize, score: f32, scope: PairScope, groups: &[usize]) {
        let keep = match scope {
            PairScope::All => true,
            PairScope::Within => groups[i] == groups[j],
            PairScope::Across => groups[i] != groups[j],
        };
        if !keep {
            return;
        }
        let item = Reverse(Ranked(score, i, j));
        if self.heap.len() < self.max {
            self.heap.push(item);
        } else if self.heap.peek().is_some_and(|worst| item < *worst) {
            self.heap.pop();
            self.heap.push(item);
        }
    }

    /// The pairs, most similar first (ties by `i`, then `j`).
    pub fn into_sorted(self) -> Vec<Pair> {
        let mut out: Vec<Pair> =
            self.heap.into_iter().map(|Reverse(Ranked(score, i, j))| Pair { i, j, score }).collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.i.cmp(&b.i)).then(a.j.cmp(&b.j)));
        out
    }
}

/// All pairs with similarity ≥ `threshold` in `scope`, most similar first, at most
/// `max_pairs` of them (the best ones). Works in row chunks, so memory stays
/// O(CHUNK · N + max_pairs) for any N.
pub fn mine_pairs(emb: &Embeddings, groups: &[usize], threshold: f32, scope: PairScope, max_pairs: usize) -> Vec<Pair> {
    let n = emb.len();
    let d = emb.dim;
    let mut top = TopPairs::new(max_pairs);
    let mut block = vec![0.0f32; CHUNK.min(n) * n];
    let mut start = 0;
    while start < n && top.wants_any() {
        let end = (start + CHUNK).min(n);
        // Only columns after the chunk's first row are needed (the upper triangle).
        let first_col = (start + 1).min(n);
        let width = n - first_col;
        let m = end - start;
        dot_rows(&emb.data[start * d..end * d], &emb.data[first_col * d..], m, width, d, &mut block[..m * width]);
        for (r, i) in (start..end).enumerate() {
            for j in (i + 1)..n {
                let s = block[r * width + (j - start - 1)];
                // Also drops NaN scores (from a broken model): they compare as unordered.
                if s.partial_cmp(&threshold).is_none_or(|o| o == std::cmp::Ordering::Less) {
                    continue;
                }
                top.offer(i, j, s, scope, groups);
            }
        }
        start = end;
    }
    top.into_sorted()
}

/// A sentence that is, on average, closer to another group than to its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Misfit {
    /// The sentence.
    pub index: usize,
    /// Its mean similarity to the other sentences of its own group.
    pub own: f32,
    /// The group it is closest to.
    pub closer_group: usize,
    /// Its mean similarity to that group's sentences.
    pub closer: f32,
}

/// Sentences whose mean similarity to another group exceeds the mean similarity to the
/// rest of their own group (the centroid rule: mean similarity to a group is the dot
/// product with the group's summed vector divided by its size, leaving the sentence
/// itself out of its own group). One-sentence groups have nothing to compare and are
/// never flagged. Sorted by how much closer the other group is.
pub fn misfits(emb: &Embeddings, groups: &[usize], n_groups: usize) -> Vec<Misfit> {
    let d = emb.dim;
    let mut sums = vec![0.0f32; n_groups * d];
    let mut counts = vec![0usize; n_groups];
    for (row, &g) in emb.rows().zip(groups) {
        counts[g] += 1;
        for (s, &x) in sums[g * d..(g + 1) * d].iter_mut().zip(row) {
            *s += x;
        }
    }
    // Every sentence against every group sum at once: one GEMM, N × groups.
    let n = emb.len();
    let mut scores = vec![0.0f32; n * n_groups];
    if n > 0 && n_groups > 0 {
        crate::engine::similarity::dot_rows(&emb.data, &sums, n, n_groups, d, &mut scores);
    }
    let mut out = Vec::new();
    for (i, (row, &g)) in emb.rows().zip(groups).enumerate() {
        if counts[g] < 2 {
            continue;
        }
        let s = &scores[i * n_groups..(i + 1) * n_groups];
        let own = (s[g] - dot(row, row)) / (counts[g] - 1) as f32;
        let best = (0..n_groups)
            .filter(|&h| h != g && counts[h] > 0)
            .map(|h| (h, s[h] / counts[h] as f32))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((h, closer)) = best
            && closer > own
        {
            out.push(Misfit { index: i, own, closer_group: h, closer });
        }
    }
    out.sort_by(|a, b| (b.closer - b.own).total_cmp(&(a.closer - a.own)));
    out
}

/// How two similarity matrices of the same sentences differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// `b − a`, cell by cell.
    pub diff: SimMatrix,
    /// Spearman rank correlation of the off-diagonal entries (each pair once).
    pub spearman: f64,
    /// Mean |b − a| over the off-diagonal entries.
    pub mean_abs_diff: f32,
    /// Largest |b − a| off the diagonal, and where.
    pub max_abs_diff: (f32, usize, usize),
}

/// Compares two matrices over the same sentences (for example two models, or mean vs
/// pooled output). Returns `None` when the sizes differ or there are fewer than 3 pairs.
pub fn compare(a: &SimMatrix, b: &SimMatrix) -> Option<Comparison> {
    let n = a.n;
    if b.n != n || n * n.saturating_sub(1) / 2 < 3 {
        return None;
    }
    let diff = SimMatrix { n, data: a.data.iter().zip(&b.data).map(|(x, y)| y - x).collect() };
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let (mut sum_abs, mut max) = (0.0f64, (0.0f32, 0, 0));
    for i in 0..n {
        for j in (i + 1)..n {
            xs.push(f64::from(a.get(i, j)));
            ys.push(f64::from(b.get(i, j)));
            let d = diff.get(i, j).abs();
            sum_abs += f64::from(d);
            if d > max.0 {
                max = (d, i, j);
            }
        }
    }
    let pairs = xs.len();
    Some(Comparison {
        spearman: spearman(&xs, &ys),
        mean_abs_diff: (sum_abs / pairs as f64) as f32,
        max_abs_diff: max,
        diff,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::pooling::normalize;
    use crate::engine::random_unit;
    use crate::engine::similarity_matrix;

    #[test]
    fn comparison_of_a_monotone_transform_has_rank_correlation_one() {
        let e = random_unit(12, 5, 7);
        let a = similarity_matrix(&e);
        // b = a³ keeps the order of every pair: Spearman 1, and a known difference.
        let b = SimMatrix { n: a.n, data: a.data.iter().map(|x| x * x * x).collect() };
        let c = compare(&a, &b).unwrap();
        assert!((c.spearman - 1.0).abs() < 1e-12);
        let (d, i, j) = c.max_abs_diff;
        assert!((d - (a.get(i, j).powi(3) - a.get(i, j)).abs()).abs() < 1e-6);
        // Reversing the order gives −1.
        let r = SimMatrix { n: a.n, data: a.data.iter().map(|x| -x).collect() };
        assert!((compare(&a, &r).unwrap().spearman + 1.0).abs() < 1e-12);
        assert!(compare(&a, &similarity_matrix(&random_unit(5, 5, 3))).is_none(), "sizes differ");
    }

    #[test]
    fn mining_twenty_thousand_sentences_needs_no_full_matrix() {
        let n = 20_000;
        let e = random_unit(n, 16, 11);
        let groups = vec![0usize; n];
        let pairs = mine_pairs(&e, &groups, 0.97, PairScope::All, 1000);
        assert!(!pairs.is_empty() && pairs.len() <= 1000);
        assert!(pairs.windows(2).all(|w| w[0].score >= w[1].score));
        // Spot-check the best pair against a direct dot product.
        let p = pairs[0];
        assert!((dot(e.row(p.i), e.row(p.j)) - p.score).abs() < 1e-5);
    }

    #[test]
    fn search_ranks_by_dot_product() {
        let e = Embeddings { dim: 2, data: vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8], truncated: vec![] };
        let hits = search(&e, &[0.0, 1.0], 2);
        assert_eq!(hits, vec![(1, 1.0), (2, 0.8)]);
    }

    #[test]
    fn chunked_mining_agrees_with_brute_force() {
        // More rows than one chunk, so chunk edges are crossed.
        let n = 700;
        let e = random_unit(n, 8, 0x9e37_79b9_7f4a_7c15);
        let groups: Vec<usize> = (0..n).map(|i| i % 5).collect();
        let sim = similarity_matrix(&e);
        for (scope, threshold, max) in
            [(PairScope::All, 0.8, usize::MAX), (PairScope::Within, 0.7, 50), (PairScope::Across, 0.75, usize::MAX)]
        {
            let mut want = Vec::new();
            for i in 0..n {
                for j in (i + 1)..n {
                    let s = sim.get(i, j);
                    let ok = match scope {
                        PairScope::All => true,
                        PairScope::Within => groups[i] == groups[j],
                        PairScope::Across => groups[i] != groups[j],
                    };
                    if ok && s >= threshold {
                        want.push((i, j, s));
                    }
                }
            }
            want.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
            want.truncate(max);
            let got = mine_pairs(&e, &groups, threshold, scope, max);
            assert_eq!(got.len(), want.len(), "{scope:?}");
            assert!(!got.is_empty(), "{scope:?}: the case finds pairs");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!((g.i, g.j), (w.0, w.1), "{scope:?}");
                assert!((g.score - w.2).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn misfit_is_the_sentence_closer_to_another_group() {
        // Group 0 around x, group 1 around y; sentence 2 is in group 0 but points at y.
        let rows: [[f32; 2]; 5] = [[1.0, 0.0], [0.99, 0.14], [0.1, 0.99], [0.0, 1.0], [0.14, 0.99]];
        let mut data: Vec<f32> = rows.concat();
        for r in data.chunks_mut(2) {
            normalize(r);
        }
        let e = Embeddings { dim: 2, data, truncated: vec![] };
        let m = misfits(&e, &[0, 0, 0, 1, 1], 2);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].index, m[0].closer_group), (2, 1));
        assert!(m[0].closer > m[0].own);
    }

    #[test]
    fn misfits_match_pairwise_means() {
        // Large enough for the GEMM path; every flagged sentence and every mean is checked
        // against the average of its pairwise similarities.
        let (n, k) = (600, 7);
        let e = crate::engine::random_unit(n, 384, 11);
        let groups: Vec<usize> = (0..n).map(|i| (i * 13) % k).collect();
        let mean_to = |i: usize, g: usize| {
            let vals: Vec<f32> =
                (0..n).filter(|&j| j != i && groups[j] == g).map(|j| dot(e.row(i), e.row(j))).collect();
            vals.iter().sum::<f32>() / vals.len() as f32
        };
        let flagged = misfits(&e, &groups, k);
        let mut expected = 0;
        for (i, &g) in groups.iter().enumerate() {
            let own = mean_to(i, g);
            let (h, best) =
                (0..k).filter(|&h| h != g).map(|h| (h, mean_to(i, h))).max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
            if best > own + 1e-5 {
                expected += 1;
                let m = flagged.iter().find(|m| m.index == i).expect("flagged");
                assert_eq!(m.closer_group, h);
                assert!((m.own - own).abs() < 1e-5 && (m.closer - best).abs() < 1e-5);
            }
        }
        assert!(expected > 10, "the random data should have misfits");
        assert!(flagged.len() >= expected && flagged.len() <= expected + 5);
    }
}
