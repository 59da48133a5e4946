//! Near-duplicates and outliers at any size, from the shared neighbour graph
//! ([`super::knn::KnnGraph`]).
//!
//! - **Pairs.** The candidates are the graph's edges, at the similarity the neighbour search
//!   computed for each (the full cosine of the two vectors, not an estimate). A point whose
//!   every neighbour is still at or above the threshold may have more such neighbours than
//!   the graph holds (a dense cluster of near-copies): its whole component of the
//!   thresholded graph is then scored exactly, pair by pair, which is `k` grown to the
//!   component's size. Identical rows are one point of the graph and pair with each other.
//! - **Clusters.** Connected components of the pairs at or above the threshold, or complete
//!   linkage (edges best first, two clusters merged only when every pair across them is at
//!   or above the threshold), so a chain of small steps cannot join distinct sentences.
//! - **Outliers.** 1 − the mean similarity to a row's `k` nearest other rows.

use rayon::prelude::*;

use super::Embeddings;
use super::analysis::{Pair, PairScope, TopPairs};
use super::knn::KnnGraph;
use super::similarity::{dot, dot_rows};
use crate::{Error, Result};

/// The largest component scored pair by pair: its cost grows with the square of its size
/// (20,000 points: 2 × 10⁸ products, seconds); a larger one is a chain through the data
/// rather than a cluster of copies, and keeps the graph's edges.
pub const DENSE_LIMIT: usize = 20_000;

/// The most pairs scored in dense components in one run: 2 × 10⁹ products of 384-d
/// vectors take about 20 s on two cores.
pub const DENSE_BUDGET: usize = 2_000_000_000;

/// Past this many rows `simlens pairs` works from the neighbour graph unless told
/// otherwise: the all-pairs scan of 20,000 rows takes seconds, of 1,000,000 hours.
pub const EXACT_PAIRS_LIMIT: usize = 20_000;

/// Rows of a component scored at once in its exact pass: `CHUNK × size` floats.
const CHUNK: usize = 256;

/// A pair of distinct vectors (`u < v`) and their exact cosine similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistinctPair {
    /// First distinct vector.
    pub u: u32,
    /// Second distinct vector.
    pub v: u32,
    /// Cosine similarity.
    pub score: f32,
}

/// Every pair of distinct vectors at or above `threshold` that the graph reaches, scored
/// exactly; and for each distinct vector the best similarity to another
/// distinct vector that the graph saw (`None` for a graph of one point).
pub struct GraphPairs {
    /// The smallest score kept.
    pub threshold: f32,
    /// The pairs, by `u`, then `v` (each once); [`best_first`] orders them by score.
    pub pairs: Vec<DistinctPair>,
    /// Per distinct vector, its best similarity to another one.
    pub best: Vec<Option<f32>>,
    /// Components scored exactly because a member's neighbours were all above the threshold.
    pub dense_components: usize,
    /// Points in those components.
    pub dense_points: usize,
    /// Dense components past [`DENSE_LIMIT`] points or past [`DENSE_BUDGET`], left at the
    /// graph's edges.
    pub dense_skipped: usize,
}

/// The graph's pairs at or above `threshold`, with dense components scored on `emb` (the
/// vectors the graph was made from). `stop` is asked between steps and between chunks; `false` ends with
/// [`Error::Cancelled`].
pub fn graph_pairs(
    emb: &Embeddings,
    graph: &KnnGraph,
    threshold: f32,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<GraphPairs> {
    check_graph(emb, graph)?;
    let t = std::time::Instant::now();
    // Each point's edges at the search's own similarity; a point is dense when its list is
    // full and every neighbour on it is at or above the threshold.
    let (dense, mut best): (Vec<bool>, Vec<Option<f32>>) = (0..graph.distinct())
        .into_par_iter()
        .map(|u| {
            let (ids, dist) = graph.neighbours(u);
            let lowest = dist.iter().map(|d| 1.0 - d).fold(f32::INFINITY, f32::min);
            let best = dist.iter().map(|d| 1.0 - d).reduce(f32::max);
            (ids.len() == graph.key.k && lowest >= threshold, best)
        })
        .unzip();
    let mut pairs: Vec<DistinctPair> = (0..graph.distinct())
        .into_par_iter()
        .flat_map_iter(|u| {
            let (ids, dist) = graph.neighbours(u);
            let u = u as u32;
            ids.iter().zip(dist).filter_map(move |(&v, &d)| {
                let s = 1.0 - d;
                (s >= threshold).then(|| DistinctPair { u: u.min(v), v: u.max(v), score: s })
            })
        })
        .collect();
    if !stop() {
        return Err(Error::Cancelled);
    }
    dedup(&mut pairs);
    log::debug!("graph pairs: {} edges at or above {threshold} in {:?}", pairs.len(), t.elapsed());
    // The components of the thresholded graph that hold a dense point, scored exactly.
    let mut sets = UnionFind::new(graph.distinct());
    for p in &pairs {
        sets.union(p.u as usize, p.v as usize);
    }
    let mut members: std::collections::BTreeMap<usize, Vec<u32>> = std::collections::BTreeMap::new();
    let roots: std::collections::BTreeSet<usize> =
        dense.iter().enumerate().filter(|(_, d)| **d).map(|(u, _)| sets.find(u)).collect();
    for u in 0..graph.distinct() {
        let r = sets.find(u);
        if roots.contains(&r) {
            members.entry(r).or_default().push(u as u32);
        }
    }
    // Smallest first, while the products stay within the budget: a few huge components
    // (chains through the data at a low threshold) must not starve the many small ones.
    let mut comps: Vec<Vec<u32>> = members.into_values().collect();
    comps.sort_by_key(|m| (m.len(), m[0]));
    let mut spent = 0usize;
    let mut dense_skipped = 0;
    comps.retain(|m| {
        let cost = m.len() * m.len() / 2;
        let take = m.len() <= DENSE_LIMIT && spent + cost <= DENSE_BUDGET;
        if take {
            spent += cost;
        } else {
            dense_skipped += 1;
        }
        take
    });
    let (dense_components, dense_points) = (comps.len(), comps.iter().map(Vec::len).sum());
    log::debug!("graph pairs: {dense_components} dense components of {dense_points} points found by {:?}", t.elapsed());
    // Many small components in parallel; a large one also splits its products over threads.
    let found: Vec<Vec<DistinctPair>> =
        comps.par_iter().map(|ids| component_pairs(emb, graph, ids, threshold, stop)).collect::<Result<_>>()?;
    for found in found {
        for p in &found {
            for w in [p.u, p.v] {
                let b = &mut best[w as usize];
                *b = Some(b.map_or(p.score, |b| b.max(p.score)));
            }
        }
        pairs.extend(found);
    }
    dedup(&mut pairs);
    log::debug!("graph pairs: {} pairs by {:?}", pairs.len(), t.elapsed());
    Ok(GraphPairs { threshold, pairs, best, dense_components, dense_points, dense_skipped })
}

/// Every pair inside one component at or above `threshold`, by blocks of rows.
fn component_pairs(
    emb: &Embeddings,
    graph: &KnnGraph,
    ids: &[u32],
    threshold: f32,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<DistinctPair>> {
    let d = emb.dim;
    let n = ids.len();
    let mut vectors = Vec::with_capacity(n * d);
    for &u in ids {
        vectors.extend_from_slice(emb.row(graph.first()[u as usize] as usize));
    }
    let mut out = Vec::new();
    let mut block = vec![0.0f32; CHUNK.min(n) * n];
    for start in (0..n).step_by(CHUNK) {
        if !stop() {
            return Err(Error::Cancelled);
        }
        let end = (start + CHUNK).min(n);
        let m = end - start;
        dot_rows(&vectors[start * d..end * d], &vectors, m, n, d, &mut block[..m * n]);
        for (r, a) in (start..end).enumerate() {
            for b in (a + 1)..n {
                let s = block[r * n + b];
                if s >= threshold {
                    let (u, v) = (ids[a], ids[b]);
                    out.push(DistinctPair { u: u.min(v), v: u.max(v), score: s });
                }
            }
        }
    }
    Ok(out)
}

/// The pairs, best first (ties by `u`, then `v`: each pair is there once, so this is the one
/// order).
pub fn best_first(mut pairs: Vec<DistinctPair>) -> Vec<DistinctPair> {
    pairs.par_sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.u.cmp(&b.u)).then(a.v.cmp(&b.v)));
    pairs
}

/// Sorts by (u, v) and keeps one of each pair: a pair found both ways (or by an edge and
/// a dense component's pass) may differ in its last bit, and the higher score is kept, so the
/// result does not depend on which way it was found first.
fn dedup(pairs: &mut Vec<DistinctPair>) {
    pairs.par_sort_unstable_by(|a, b| a.u.cmp(&b.u).then(a.v.cmp(&b.v)).then(b.score.total_cmp(&a.score)));
    pairs.dedup_by(|a, b| a.u == b.u && a.v == b.v);
}

fn check_graph(emb: &Embeddings, graph: &KnnGraph) -> Result<()> {
    if graph.rows() != emb.len() {
        return Err(Error::internal(format!("a graph of {} rows handed {} vectors", graph.rows(), emb.len())));
    }
    Ok(())
}

/// The row pairs at or above `threshold` in `scope`, best first, at most `max_pairs` (the
/// best ones): the graph's distinct pairs with every copy of each side, and the copies of
/// one vector with each other. The approximate counterpart of
/// [`super::analysis::mine_pairs`], with the same order and ties.
pub fn row_pairs(
    emb: &Embeddings,
    graph: &KnnGraph,
    found: &GraphPairs,
    groups: &[usize],
    scope: PairScope,
    max_pairs: usize,
) -> Vec<Pair> {
    let copies = graph.copies();
    let mut top = TopPairs::new(max_pairs);
    for p in &found.pairs {
        for &a in &copies[p.u as usize] {
            for &b in &copies[p.v as usize] {
                let (i, j) = (a.min(b) as usize, a.max(b) as usize);
                top.offer(i, j, p.score, scope, groups);
            }
        }
    }
    for rows in copies.iter().filter(|c| c.len() > 1) {
        let s = dot(emb.row(rows[0] as usize), emb.row(rows[0] as usize));
        // Copies are as similar as a vector is to itself, which rounding may put a hair
        // under a threshold of 1.
        if s < found.threshold {
            continue;
        }
        for (x, &a) in rows.iter().enumerate() {
            for &b in &rows[x + 1..] {
                top.offer(a as usize, b as usize, s, scope, groups);
            }
        }
    }
    top.into_sorted()
}

/// How a duplicate cluster is formed from the pairs at or above the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Linkage {
    /// Connected components: rows joined by any chain of pairs.
    #[default]
    Single,
    /// Every pair inside a cluster is at or above the threshold.
    Complete,
}

/// Which row of a cluster stands for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// The member most similar to the cluster's mean.
    #[default]
    Central,
    /// The first member in row order.
    First,
}

/// Duplicate clusters of the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicates {
    /// Per row: its cluster, numbered by first row; `None` for a row with no duplicate.
    pub cluster: Vec<Option<u32>>,
    /// Per row: the size of its cluster (1 alone).
    pub cluster_size: Vec<u32>,
    /// Per row: the row that stands for its cluster (itself alone).
    pub representative: Vec<u32>,
    /// Per row: its best similarity to another row, `None` in a set of one row.
    pub near_duplicate_score: Vec<Option<f32>>,
    /// Clusters of two rows or more.
    pub clusters: usize,
}

impl Duplicates {
    /// Rows that a deduplication drops: every member that is not its cluster's representative.
    pub fn dropped(&self) -> usize {
        self.representative.iter().enumerate().filter(|(i, r)| **r as usize != *i).count()
    }
}

/// The duplicate clusters of `emb`'s rows from the graph's pairs at or above `threshold`
/// (`found` must have been made with a threshold at or below it).
pub fn duplicates(
    emb: &Embeddings,
    graph: &KnnGraph,
    found: &GraphPairs,
    threshold: f32,
    linkage: Linkage,
    keep: Keep,
) -> Duplicates {
    let nd = graph.distinct();
    let above = found.pairs.iter().filter(|p| p.score >= threshold);
    // Clusters of distinct vectors; the copies of one vector are always together.
    let label: Vec<usize> = match linkage {
        Linkage::Single => {
            let mut sets = UnionFind::new(nd);
            for p in above {
                sets.union(p.u as usize, p.v as usize);
            }
            (0..nd).map(|u| sets.find(u)).collect()
        }
        Linkage::Complete => complete_linkage(emb, graph, best_first(above.copied().collect()).iter(), threshold),
    };
    let of = graph.of();
    let n = of.len();
    // Members per cluster label, in row order (labels are distinct-vector indices).
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); nd];
    for (row, &u) in of.iter().enumerate() {
        buckets[label[u as usize]].push(row as u32);
    }
    let mut groups: Vec<Vec<u32>> = buckets.into_iter().filter(|m| m.len() > 1).collect();
    groups.sort_by_key(|m| m[0]);
    log::debug!("duplicates: {} clusters of rows", groups.len());
    let reps: Vec<u32> = groups
        .par_iter()
        .map(|members| match keep {
            Keep::First => members[0],
            Keep::Central => central(emb, graph, members),
        })
        .collect();
    let mut out = Duplicates {
        cluster: vec![None; n],
        cluster_size: vec![1; n],
        representative: (0..n as u32).collect(),
        near_duplicate_score: vec![None; n],
        clusters: groups.len(),
    };
    for (id, (members, &rep)) in groups.iter().zip(&reps).enumerate() {
        for &r in members {
            out.cluster[r as usize] = Some(id as u32);
            out.cluster_size[r as usize] = members.len() as u32;
            out.representative[r as usize] = rep;
        }
    }
    out.near_duplicate_score = near_duplicate_scores(emb, graph, found);
    out
}

/// Each row's best similarity to another row (`None` in a set of one row): its copies'
/// (as similar as a vector is to itself) or the graph's best, whichever is higher. One
/// product per distinct vector.
pub fn near_duplicate_scores(emb: &Embeddings, graph: &KnnGraph, found: &GraphPairs) -> Vec<Option<f32>> {
    let of = graph.of();
    let mut copies = vec![0u32; graph.distinct()];
    of.iter().for_each(|&u| copies[u as usize] += 1);
    let per_distinct: Vec<Option<f32>> = (0..graph.distinct())
        .into_par_iter()
        .map(|u| {
            let row = emb.row(graph.first()[u] as usize);
            let own = (copies[u] > 1).then(|| dot(row, row));
            match (own, found.best[u]) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            }
        })
        .collect();
    of.iter().map(|&u| per_distinct[u as usize]).collect()
}

/// The member most similar to the members' mean (ties: the first row). Copies of one
/// vector score alike, so each distinct vector is scored once, weighted by its copies.
fn central(emb: &Embeddings, graph: &KnnGraph, members: &[u32]) -> u32 {
    let d = emb.dim;
    let of = graph.of();
    // Each distinct vector's first member row and its count among the members.
    let mut seen: Vec<(u32, u32, u32)> = Vec::new();
    let mut at: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for &r in members {
        let u = of[r as usize];
        let k = *at.entry(u).or_insert_with(|| {
            seen.push((u, r, 0));
            seen.len() - 1
        });
        seen[k].2 += 1;
    }
    let mut sum = vec![0.0f32; d];
    for &(_, r, count) in &seen {
        let w = count as f32;
        sum.iter_mut().zip(emb.row(r as usize)).for_each(|(s, x)| *s += w * x);
    }
    let mut best = (members[0], f32::NEG_INFINITY);
    for &(_, r, _) in &seen {
        let s = dot(emb.row(r as usize), &sum);
        if s > best.1 || (s == best.1 && r < best.0) {
            best = (r, s);
        }
    }
    best.0
}

/// Complete linkage over the edges, best first: two clusters merge only when every pair of
/// distinct vectors across them is at or above the threshold (checked exactly).
fn complete_linkage<'a>(
    emb: &Embeddings,
    graph: &KnnGraph,
    edges: impl Iterator<Item = &'a DistinctPair>,
    threshold: f32,
) -> Vec<usize> {
    let nd = graph.distinct();
    let row = |u: u32| emb.row(graph.first()[u as usize] as usize);
    let mut label: Vec<usize> = (0..nd).collect();
    let mut members: Vec<Vec<u32>> = (0..nd as u32).map(|u| vec![u]).collect();
    for p in edges {
        let (a, b) = (label[p.u as usize], label[p.v as usize]);
        if a == b {
            continue;
        }
        let all = members[a].iter().all(|&x| members[b].iter().all(|&y| dot(row(x), row(y)) >= threshold));
        if !all {
            continue;
        }
        let (big, small) = if members[a].len() >= members[b].len() { (a, b) } else { (b, a) };
        let moved = std::mem::take(&mut members[small]);
        for &x in &moved {
            label[x as usize] = big;
        }
        members[big].extend(moved);
    }
    label
}

/// Outlier scores: 1 − the mean similarity of each row to its `k` nearest other rows (its
/// copies first, at their own similarity), and each row's rank (1: the most outlying; ties
/// by row order). `k` is the graph's; a row of a set too small to have `k` others uses
/// those it has.
pub struct Outliers {
    /// Per row: its score, `None` in a set of one row.
    pub score: Vec<Option<f32>>,
    /// Per row: its rank among the scored rows, 1 first.
    pub rank: Vec<Option<u32>>,
}

/// The outlier score of every row, from the graph (exact rescoring of its edges).
pub fn outliers(emb: &Embeddings, graph: &KnnGraph) -> Result<Outliers> {
    check_graph(emb, graph)?;
    let k = graph.key.k;
    let copies: Vec<usize> = {
        let mut c = vec![0usize; graph.distinct()];
        graph.of().iter().for_each(|&u| c[u as usize] += 1);
        c
    };
    let row = |u: u32| emb.row(graph.first()[u as usize] as usize);
    // Per distinct vector: the mean of the k best (similarity, rows it stands for), with
    // the vector's own copies (less the row itself) first.
    let per_distinct: Vec<Option<f32>> = (0..graph.distinct())
        .into_par_iter()
        .map(|u| {
            let (ids, dist) = graph.neighbours(u);
            let mut near: Vec<(f32, usize)> =
                ids.iter().zip(dist).map(|(&v, &d)| (1.0 - d, copies[v as usize])).collect();
            near.sort_by(|a, b| b.0.total_cmp(&a.0));
            let own = copies[u] - 1;
            let mut taken = 0usize;
            let mut sum = 0.0f64;
            if own > 0 {
                let self_sim = dot(row(u as u32), row(u as u32));
                let t = own.min(k);
                sum += f64::from(self_sim) * t as f64;
                taken += t;
            }
            for (s, m) in near {
                if taken >= k {
                    break;
                }
                let t = m.min(k - taken);
                sum += f64::from(s) * t as f64;
                taken += t;
            }
            // At least 0: copies are as similar as a vector to itself, which rounding may put
            // a hair above 1.
            (taken > 0).then(|| (1.0 - sum / taken as f64).max(0.0) as f32)
        })
        .collect();
    let score: Vec<Option<f32>> = graph.of().iter().map(|&u| per_distinct[u as usize]).collect();
    let mut order: Vec<usize> = (0..score.len()).filter(|&i| score[i].is_some()).collect();
    order.par_sort_unstable_by(|&a, &b| {
        let (x, y) = (score[a].unwrap_or(0.0), score[b].unwrap_or(0.0));
        y.total_cmp(&x).then(a.cmp(&b))
    });
    let mut rank = vec![None; score.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = Some(r as u32 + 1);
    }
    Ok(Outliers { score, rank })
}

/// Disjoint sets with path halving and union by size.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] as usize != x {
            let p = self.parent[x] as usize;
            self.parent[x] = self.parent[p];
            x = self.parent[x] as usize;
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a as u32;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::analysis::mine_pairs;
    use crate::engine::random_unit;

    /// `n` random vectors and, for some, near-copies: tight clusters of sizes 2 to 40 (past
    /// the graph's k) and exact copies.
    fn planted(n: usize, d: usize, seed: u64) -> Embeddings {
        let base = random_unit(n, d, seed);
        let noise = random_unit(n, d, seed + 1);
        let mut data = base.data.clone();
        let mut at = 0;
        for size in [2usize, 3, 5, 40, 8, 2] {
            for c in 1..size {
                let v: Vec<f32> = (0..d).map(|x| base.data[at * d + x] + 0.08 * noise.data[(at + c) * d + x]).collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                data.extend(v.iter().map(|x| x / norm));
            }
            at += 7;
        }
        // Exact copies of two rows.
        data.extend_from_slice(&base.data[100 * d..101 * d]);
        data.extend_from_slice(&base.data[100 * d..101 * d]);
        data.extend_from_slice(&base.data[3 * d..4 * d]);
        Embeddings { dim: d, data, truncated: Vec::new() }
    }

    fn key(p: &Pair) -> (usize, usize) {
        (p.i, p.j)
    }

    #[test]
    fn the_graph_finds_the_exact_pairs() {
        let emb = planted(5_000, 24, 5);
        let groups = vec![0usize; emb.len()];
        let graph = KnnGraph::build(&emb, 10, 3, &mut || true).expect("graph");
        for threshold in [0.9f32, 0.97] {
            let found = graph_pairs(&emb, &graph, threshold, &|| true).expect("pairs");
            assert!(found.dense_components > 0, "the 40-member cluster is past k = 10");
            let approx = row_pairs(&emb, &graph, &found, &groups, PairScope::All, usize::MAX);
            let exact = mine_pairs(&emb, &groups, threshold, PairScope::All, usize::MAX);
            assert!(exact.len() > 780, "{} pairs: the 40-member cluster alone has 780", exact.len());
            // The same pairs, except any within rounding of the threshold.
            let near = |p: &Pair| (p.score - threshold).abs() < 1e-5;
            let a: std::collections::BTreeSet<_> = approx.iter().filter(|p| !near(p)).map(key).collect();
            let e: std::collections::BTreeSet<_> = exact.iter().filter(|p| !near(p)).map(key).collect();
            assert_eq!(a, e, "threshold {threshold}");
            for (x, y) in approx.iter().zip(&exact) {
                assert!((x.score - y.score).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn clusters_are_the_components_of_a_brute_force_union_find() {
        let emb = planted(800, 16, 9);
        let n = emb.len();
        let graph = KnnGraph::build(&emb, 8, 1, &mut || true).expect("graph");
        let threshold = 0.92;
        let found = graph_pairs(&emb, &graph, threshold, &|| true).expect("pairs");
        let dup = duplicates(&emb, &graph, &found, threshold, Linkage::Single, Keep::First);
        let mut sets = UnionFind::new(n);
        for i in 0..n {
            for j in (i + 1)..n {
                if dot(emb.row(i), emb.row(j)) >= threshold {
                    sets.union(i, j);
                }
            }
        }
        for i in 0..n {
            for j in (i + 1)..n {
                let same = sets.find(i) == sets.find(j);
                assert_eq!(same, dup.cluster[i].is_some() && dup.cluster[i] == dup.cluster[j], "rows {i} and {j}");
            }
            let size = (0..n).filter(|&j| sets.find(j) == sets.find(i)).count() as u32;
            assert_eq!(dup.cluster_size[i], size);
            // --keep first: the cluster's first row.
            let first = (0..n).find(|&j| sets.find(j) == sets.find(i)).expect("i itself");
            assert_eq!(dup.representative[i] as usize, first);
            // The best similarity to another row, by brute force.
            let best = (0..n).filter(|&j| j != i).map(|j| dot(emb.row(i), emb.row(j))).fold(f32::MIN, f32::max);
            let got = dup.near_duplicate_score[i].expect("a score");
            assert!((got - best).abs() < 1e-5 || got < best && best < threshold, "row {i}: {got} vs {best}");
        }
        assert_eq!(dup.dropped(), n - (0..n).filter(|&i| sets.find(i) == i).count());
    }

    #[test]
    fn complete_linkage_breaks_chains() {
        // a–b and b–c close, a–c not: single linkage joins all three, complete does not.
        let v = |x: f32| {
            let (c, s) = (x.cos(), x.sin());
            vec![c, s, 0.0, 0.0]
        };
        let mut data: Vec<f32> =
            [v(0.0), v(0.3), v(0.6)].iter().flat_map(|r| [r.clone(), vec![0.0; 4]].concat()).collect();
        // Others orthogonal to the three.
        for r in random_unit(30, 6, 2).data.chunks(6) {
            data.extend([0.0, 0.0]);
            data.extend_from_slice(r);
        }
        let emb = Embeddings { dim: 8, data, truncated: Vec::new() };
        let graph = KnnGraph::build(&emb, 32, 1, &mut || true).expect("graph");
        let t = 0.3f32.cos() - 1e-4;
        let found = graph_pairs(&emb, &graph, t, &|| true).expect("pairs");
        let single = duplicates(&emb, &graph, &found, t, Linkage::Single, Keep::Central);
        assert_eq!(single.cluster_size[0], 3);
        assert_eq!(single.representative[0], 1, "the middle one is the most central");
        let complete = duplicates(&emb, &graph, &found, t, Linkage::Complete, Keep::Central);
        assert_eq!(complete.cluster_size[1], 2);
        assert_ne!(complete.cluster[0], complete.cluster[2]);
    }

    #[test]
    fn outlier_scores_equal_a_brute_force_knn() {
        let emb = planted(600, 16, 4);
        let n = emb.len();
        let k = 12;
        let graph = KnnGraph::build(&emb, k, 1, &mut || true).expect("graph");
        let got = outliers(&emb, &graph).expect("outliers");
        let mut worse = 0;
        for i in 0..n {
            let sims: Vec<f32> = (0..n).map(|j| dot(emb.row(i), emb.row(j))).collect();
            let top = crate::engine::top_k(&sims, k, Some(i));
            let want = 1.0 - top.iter().map(|(_, s)| f64::from(*s)).sum::<f64>() as f32 / k as f32;
            let have = got.score[i].expect("a score");
            // NN-descent may miss a neighbour: never a better one than the truth.
            assert!(have >= want - 1e-5, "row {i}: {have} < {want}");
            if have > want + 1e-5 {
                worse += 1;
            }
        }
        assert!(worse * 50 < n, "{worse} of {n} rows off the brute force");
        let first = got.rank.iter().position(|r| *r == Some(1)).expect("a first");
        let top = got.score.iter().flatten().fold(f32::MIN, |a, &b| a.max(b));
        assert_eq!(got.score[first], Some(top));
    }
}
