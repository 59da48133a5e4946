//! Block means of the similarity matrix: the heatmap at any N.
//!
//! For unit vectors the mean cosine over a block of pairs is
//! `mean_{a∈A, b∈B} e_a · e_b = (mean_{a∈A} e_a) · (mean_{b∈B} e_b)`, so a picture of
//! `R × C` blocks of a million sentences is one `R × C × d` GEMM over the blocks' mean
//! vectors, never an N² matrix. A block of one sentence on each side is the exact cell.

use rayon::prelude::*;

use super::Embeddings;

/// A window of the matrix in display order, cut into blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockMatrix {
    /// Display positions where each row block starts, then the end: `rows + 1` edges.
    pub row_edges: Vec<usize>,
    /// Display positions where each column block starts, then the end.
    pub col_edges: Vec<usize>,
    /// The mean cosine of each block, row-major (`rows × cols`).
    pub values: Vec<f32>,
}

impl BlockMatrix {
    /// Number of row blocks.
    pub fn rows(&self) -> usize {
        self.row_edges.len().saturating_sub(1)
    }

    /// Number of column blocks.
    pub fn cols(&self) -> usize {
        self.col_edges.len().saturating_sub(1)
    }

    /// The mean of block `(r, c)`.
    pub fn get(&self, r: usize, c: usize) -> f32 {
        self.values[r * self.cols() + c]
    }

    /// How many sentences block row `r` and block column `c` hold.
    pub fn block_size(&self, r: usize, c: usize) -> (usize, usize) {
        (self.row_edges[r + 1] - self.row_edges[r], self.col_edges[c + 1] - self.col_edges[c])
    }

    /// The block row holding display position `pos` (`None` outside the window).
    pub fn row_of(&self, pos: usize) -> Option<usize> {
        block_of(&self.row_edges, pos)
    }

    /// The block column holding display position `pos`.
    pub fn col_of(&self, pos: usize) -> Option<usize> {
        block_of(&self.col_edges, pos)
    }
}

fn block_of(edges: &[usize], pos: usize) -> Option<usize> {
    let (&first, &last) = (edges.first()?, edges.last()?);
    if pos < first || pos >= last {
        return None;
    }
    // The last edge not after `pos`.
    Some(edges.partition_point(|&e| e <= pos) - 1)
}

/// `parts` near-equal blocks over display positions `start..end` (fewer when the range
/// is shorter): the block edges, first `start` and last `end`.
pub fn even_edges(start: usize, end: usize, parts: usize) -> Vec<usize> {
    let len = end.saturating_sub(start);
    let parts = parts.clamp(1, len.max(1));
    (0..=parts).map(|k| start + k * len / parts).collect()
}

/// The mean vector of each block: the vectors at display positions `edges[k]..edges[k+1]`,
/// where display position `p` holds sentence `order[p]`.
pub fn block_means(emb: &Embeddings, order: &[usize], edges: &[usize]) -> Vec<f32> {
    let d = emb.dim;
    let blocks = edges.len().saturating_sub(1);
    let mut means = vec![0.0f32; blocks * d];
    means.par_chunks_mut(d.max(1)).enumerate().for_each(|(k, mean)| {
        let (a, b) = (edges[k], edges[k + 1]);
        // Summed in f64: a block may hold a million vectors.
        let mut sum = vec![0.0f64; d];
        for &i in &order[a..b] {
            for (s, &v) in sum.iter_mut().zip(&emb.data[i * d..(i + 1) * d]) {
                *s += f64::from(v);
            }
        }
        let count = (b - a).max(1) as f64;
        for (m, s) in mean.iter_mut().zip(&sum) {
            *m = (s / count) as f32;
        }
    });
    means
}

/// The mean cosine of every block of the window `row_edges × col_edges`, where display
/// position `p` holds sentence `order[p]` and `emb` holds unit vectors.
pub fn block_matrix(emb: &Embeddings, order: &[usize], row_edges: Vec<usize>, col_edges: Vec<usize>) -> BlockMatrix {
    let d = emb.dim;
    let (rows, cols) = (row_edges.len().saturating_sub(1), col_edges.len().saturating_sub(1));
    let a = block_means(emb, order, &row_edges);
    let b = if row_edges == col_edges { a.clone() } else { block_means(emb, order, &col_edges) };
    let mut values = vec![0.0f32; rows * cols];
    if rows > 0 && cols > 0 && d > 0 {
        super::similarity::dot_rows(&a, &b, rows, cols, d, &mut values);
    }
    BlockMatrix { row_edges, col_edges, values }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::random_unit;

    /// Block means against the mean of the brute-force cells, on random unit vectors,
    /// uneven blocks and a shuffled order.
    #[test]
    fn block_means_equal_brute_force() {
        let (n, d) = (1_000, 48);
        let emb = random_unit(n, d, 11);
        let sim = crate::engine::similarity_matrix(&emb);
        // A fixed shuffle: display position p shows sentence (p * 7919) % n.
        let order: Vec<usize> = (0..n).map(|p| (p * 7919) % n).collect();
        let rows = vec![0, 1, 2, 10, 333, 334, 999, 1000];
        let cols = even_edges(100, 900, 37);
        let m = block_matrix(&emb, &order, rows.clone(), cols.clone());
        assert_eq!((m.rows(), m.cols()), (7, 37));
        let mut worst = 0.0f64;
        for r in 0..m.rows() {
            for c in 0..m.cols() {
                let mut sum = 0.0f64;
                for &pi in &order[rows[r]..rows[r + 1]] {
                    for &pj in &order[cols[c]..cols[c + 1]] {
                        sum += f64::from(sim.get(pi, pj));
                    }
                }
                let (h, w) = m.block_size(r, c);
                let brute = sum / (h * w) as f64;
                worst = worst.max((brute - f64::from(m.get(r, c))).abs());
            }
        }
        assert!(worst < 1e-6, "largest difference from brute force {worst:e}");
    }

    #[test]
    fn single_cells_are_the_exact_matrix() {
        let emb = random_unit(50, 16, 3);
        let sim = crate::engine::similarity_matrix(&emb);
        let order: Vec<usize> = (0..50).rev().collect();
        let edges = even_edges(0, 50, 500);
        assert_eq!(edges.len(), 51, "never more blocks than positions");
        let m = block_matrix(&emb, &order, edges.clone(), edges);
        for r in 0..50 {
            for c in 0..50 {
                assert!((m.get(r, c) - sim.get(order[r], order[c])).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn positions_find_their_block() {
        let edges = vec![5, 7, 7, 20];
        assert_eq!(block_of(&edges, 4), None);
        assert_eq!(block_of(&edges, 5), Some(0));
        assert_eq!(block_of(&edges, 6), Some(0));
        assert_eq!(block_of(&edges, 7), Some(2), "an empty block is skipped");
        assert_eq!(block_of(&edges, 19), Some(2));
        assert_eq!(block_of(&edges, 20), None);
        assert_eq!(even_edges(0, 10, 3), vec![0, 3, 6, 10]);
    }
}
