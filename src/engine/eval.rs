//! Model quality on scored pairs (the STS benchmark, or a user's own).

use std::collections::HashMap;

use super::embed::{Embedder, Progress};
use super::pooling::Pooling;
use super::similarity::{dot, pearson, spearman};
use crate::Result;

/// Two sentences and a gold similarity score.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPair {
    /// First sentence.
    pub a: String,
    /// Second sentence.
    pub b: String,
    /// Gold score (any scale: only its ranks matter).
    pub score: f64,
}

/// Agreement of a model's cosine similarities with gold scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScore {
    /// Spearman rank correlation × 100 (the figure STS-B results quote).
    pub spearman: f64,
    /// Pearson correlation × 100.
    pub pearson: f64,
    /// Number of pairs.
    pub pairs: usize,
    /// Distinct sentences embedded.
    pub sentences: usize,
}

/// Embeds every distinct sentence once and correlates pair cosines with the gold scores.
pub fn score_pairs(
    embedder: &mut dyn Embedder,
    pooling: Pooling,
    pairs: &[ScoredPair],
    progress: Progress<'_>,
) -> Result<PairScore> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut texts: Vec<&str> = Vec::new();
    for p in pairs {
        for t in [p.a.as_str(), p.b.as_str()] {
            index.entry(t).or_insert_with(|| {
                texts.push(t);
                texts.len() - 1
            });
        }
    }
    let emb = embedder.embed(&texts, pooling, progress)?;
    let cos: Vec<f64> =
        pairs.iter().map(|p| f64::from(dot(emb.row(index[p.a.as_str()]), emb.row(index[p.b.as_str()])))).collect();
    let gold: Vec<f64> = pairs.iter().map(|p| p.score).collect();
    Ok(PairScore {
        spearman: spearman(&cos, &gold) * 100.0,
        pearson: pearson(&cos, &gold) * 100.0,
        pairs: pairs.len(),
        sentences: texts.len(),
    })
}
