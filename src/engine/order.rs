//! An order for the heatmap past the clustering limit: k-means, then the clusters in
//! average-linkage order of their centroids, and each cluster's sentences from the most
//! central out.
//!
//! Average linkage needs N²/2 distances; this needs `k × N × d` multiply-adds per
//! assignment pass, so a million sentences are ordered in seconds. It is written here
//! rather than taken from a crate: Lloyd's iterations on top of the engine's own GEMM are a
//! few dozen lines, and the clustering crates bring their own matrix stack.

use rayon::prelude::*;

use super::Embeddings;
use super::similarity::{SimMatrix, dot_rows, similarity_matrix};

/// Most sentences the centroids are fitted on; the rest are only assigned.
const FIT_SAMPLE: usize = 20_000;
/// Lloyd iterations on the sample.
const ITERATIONS: usize = 12;

/// A scalable order and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansOrder {
    /// Sentences in display order.
    pub order: Vec<usize>,
    /// Number of clusters.
    pub clusters: usize,
}

/// Clusters for `n` sentences: about √N, at most 256.
pub fn default_clusters(n: usize) -> usize {
    ((n as f64).sqrt() as usize).clamp(1, 256)
}

/// Orders unit vectors by k-means with `k` clusters (deterministic: the centroids start at
/// evenly spaced sentences of an evenly spaced sample).
pub fn kmeans_order(emb: &Embeddings, k: usize) -> KMeansOrder {
    let (n, d) = (emb.len(), emb.dim);
    let k = k.clamp(1, n.max(1));
    if n == 0 || d == 0 {
        return KMeansOrder { order: (0..n).collect(), clusters: 0 };
    }
    let sample: Vec<usize> = (0..n.min(FIT_SAMPLE)).map(|s| s * n / n.min(FIT_SAMPLE)).collect();
    let sample_vectors = gather(emb, &sample);
    let mut centroids = gather(emb, &(0..k).map(|c| sample[c * sample.len() / k]).collect::<Vec<_>>());
    for _ in 0..ITERATIONS {
        let (assigned, _) = assign(&sample_vectors, sample.len(), &centroids, k, d);
        centroids = refit(&sample_vectors, &assigned, &centroids, k, d);
    }
    let (assigned, score) = assign(&emb.data, n, &centroids, k, d);
    // Clusters in the leaf order of their centroids' average-linkage tree.
    let cluster_rank: Vec<usize> = if k > 1 {
        let cents = Embeddings { dim: d, data: centroids.clone(), truncated: Vec::new() };
        let sim: SimMatrix = similarity_matrix(&cents);
        super::project::cluster(&sim).map_or_else(|| (0..k).collect(), |c| c.order)
    } else {
        vec![0]
    };
    let mut position = vec![0usize; k];
    for (p, &c) in cluster_rank.iter().enumerate() {
        position[c] = p;
    }
    let mut order: Vec<usize> = (0..n).collect();
    // Within a cluster, the most central sentence first.
    order.sort_by(|&a, &b| {
        position[assigned[a]].cmp(&position[assigned[b]]).then(score[b].total_cmp(&score[a])).then(a.cmp(&b))
    });
    KMeansOrder { order, clusters: k }
}

fn gather(emb: &Embeddings, rows: &[usize]) -> Vec<f32> {
    let d = emb.dim;
    rows.iter().flat_map(|&i| emb.data[i * d..(i + 1) * d].iter().copied()).collect()
}

/// The nearest centroid (by cosine) of each of `n` vectors, and its similarity.
fn assign(vectors: &[f32], n: usize, centroids: &[f32], k: usize, d: usize) -> (Vec<usize>, Vec<f32>) {
    const CHUNK: usize = 4096;
    let mut out: Vec<(usize, f32)> = vec![(0, 0.0); n];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
        let r0 = c * CHUNK;
        let rows = chunk.len();
        let mut sims = vec![0.0f32; rows * k];
        dot_rows(&vectors[r0 * d..(r0 + rows) * d], centroids, rows, k, d, &mut sims);
        for (slot, row) in chunk.iter_mut().zip(sims.chunks(k)) {
            let mut best = (0, f32::NEG_INFINITY);
            for (j, &s) in row.iter().enumerate() {
                if s > best.1 {
                    best = (j, s);
                }
            }
            *slot = best;
        }
    });
    out.into_iter().unzip()
}

/// Each cluster's normalised mean; an empty cluster keeps its old centroid.
fn refit(vectors: &[f32], assigned: &[usize], old: &[f32], k: usize, d: usize) -> Vec<f32> {
    let mut sums = vec![0.0f64; k * d];
    let mut counts = vec![0usize; k];
    for (i, &c) in assigned.iter().enumerate() {
        counts[c] += 1;
        for (s, &v) in sums[c * d..(c + 1) * d].iter_mut().zip(&vectors[i * d..(i + 1) * d]) {
            *s += f64::from(v);
        }
    }
    let mut out = old.to_vec();
    for c in 0..k {
        let norm = sums[c * d..(c + 1) * d].iter().map(|v| v * v).sum::<f64>().sqrt();
        if counts[c] > 0 && norm > 0.0 {
            for (o, s) in out[c * d..(c + 1) * d].iter_mut().zip(&sums[c * d..(c + 1) * d]) {
                *o = (s / norm) as f32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight, well-separated clusters, interleaved in input order, come out as three
    /// runs.
    #[test]
    fn kmeans_order_puts_each_cluster_in_one_run() {
        let (n, d) = (3_000, 32);
        let noise = crate::engine::random_unit(n, d, 5);
        let mut data = Vec::with_capacity(n * d);
        for i in 0..n {
            let mut v: Vec<f32> = noise.data[i * d..(i + 1) * d].iter().map(|x| 0.1 * x).collect();
            v[i % 3] += 1.0;
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            data.extend(v.iter().map(|x| x / norm));
        }
        let emb = Embeddings { dim: d, data, truncated: Vec::new() };
        let got = kmeans_order(&emb, 3);
        assert_eq!(got.clusters, 3);
        let mut sorted = got.order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "a permutation");
        let labels: Vec<usize> = got.order.iter().map(|&i| i % 3).collect();
        let runs = 1 + labels.windows(2).filter(|w| w[0] != w[1]).count();
        assert_eq!(runs, 3, "each cluster is one contiguous run");
        assert_eq!(kmeans_order(&emb, 3), got, "deterministic");
    }
}
