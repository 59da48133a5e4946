//! Why two sentences (or two groups) are similar, token by token.
//!
//! **Mean pooling: exact.** Sentence A's attended token vectors h₁…hₙ pool to
//! u = Σhᵢ/n, B's g₁…gₘ to v. The cosine is u·v / (‖u‖‖v‖), so it splits into token
//! pairs: Cᵢⱼ = (hᵢ·gⱼ) / (n·m·‖u‖·‖v‖), and ΣᵢⱼCᵢⱼ is the cosine, exactly. Token i's
//! share is Σⱼ Cᵢⱼ. Special tokens count, as sentence-transformers' mean counts them.
//!
//! **CLS and pooled outputs: occlusion.** No such identity exists; each non-special token
//! is dropped in turn and the pair scored again (all drops of a pair in one run). A
//! token's score is score − score without it: an estimate that does not add up to the score.
//!
//! **Groups.** The mean similarity of groups G ≠ H is ē_G·ē_H (ē: the mean of the
//! normalised vectors), so each token occurrence a·i of G contributes
//! (h_ai / (|G|·n_a·‖u_a‖))·ē_H. Within one group, self-pairs left out, sentence a's
//! partner is (S − e_a)/(|G|(|G|−1)) with S the sum of the group's vectors. Both sum to
//! the group matrix's cell exactly.

use std::collections::HashMap;

use serde::Serialize;

use super::embed::{Embedder, TokenVectors};
use super::pooling::Pooling;
use crate::{Error, Result};

/// How an explanation was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The exact decomposition of mean pooling: contributions add up to the score.
    Exact,
    /// Dropping one token at a time: an estimate that does not add up to the score.
    Occlusion,
}

impl Method {
    /// "exact" or "occlusion".
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::Occlusion => "occlusion",
        }
    }
}

/// Why two sentences score what they score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The cosine similarity.
    pub score: f32,
    /// How the token scores were found.
    pub method: Method,
    /// Sentence A's tokens, specials included.
    pub tokens_a: Vec<String>,
    /// Sentence B's tokens, specials included.
    pub tokens_b: Vec<String>,
    /// Whether each of A's tokens is a special token.
    #[serde(skip)]
    pub special_a: Vec<bool>,
    /// Whether each of B's tokens is a special token.
    #[serde(skip)]
    pub special_b: Vec<bool>,
    /// Each of A's tokens' share of the score (exact) or score − score without it (occlusion).
    pub token_scores_a: Vec<f32>,
    /// The same for B.
    pub token_scores_b: Vec<f32>,
    /// For `exact`: Cᵢⱼ, `tokens_a.len()` rows of `tokens_b.len()` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contributions: Option<Vec<Vec<f32>>>,
}

/// A token pair and what it contributes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairShare {
    /// Token of A.
    pub i: usize,
    /// Token of B.
    pub j: usize,
    /// Cᵢⱼ.
    pub value: f32,
}

impl Explanation {
    /// The `k` largest contributions, optionally without special tokens (exact only).
    pub fn top_pairs(&self, k: usize, skip_special: bool) -> Vec<PairShare> {
        let Some(c) = &self.contributions else { return Vec::new() };
        let mut all: Vec<PairShare> = c
            .iter()
            .enumerate()
            .flat_map(|(i, row)| row.iter().enumerate().map(move |(j, &value)| PairShare { i, j, value }))
            .filter(|p| !skip_special || !(self.special_a[p.i] || self.special_b[p.j]))
            .collect();
        all.sort_by(|a, b| b.value.total_cmp(&a.value));
        all.truncate(k);
        all
    }

    /// What the pairs with a special token carry together (exact only).
    pub fn special_share(&self) -> f32 {
        let Some(c) = &self.contributions else { return 0.0 };
        let mut sum = 0.0;
        for (i, row) in c.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                if self.special_a[i] || self.special_b[j] {
                    sum += v;
                }
            }
        }
        sum
    }
}

/// Pools token vectors by mean and returns (u, ‖u‖).
fn mean_of(t: &TokenVectors) -> (Vec<f64>, f64) {
    let n = t.tokens.ids.len().max(1);
    let mut u = vec![0.0f64; t.dim];
    for row in t.vectors.chunks_exact(t.dim.max(1)) {
        for (a, &x) in u.iter_mut().zip(row) {
            *a += f64::from(x);
        }
    }
    u.iter_mut().for_each(|x| *x /= n as f64);
    let norm = u.iter().map(|x| x * x).sum::<f64>().sqrt();
    (u, norm)
}

fn dot64(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
}

/// Explains the similarity of `a` and `b` under `pooling`.
pub fn explain(embedder: &mut dyn Embedder, a: &str, b: &str, pooling: Pooling) -> Result<Explanation> {
    match pooling {
        Pooling::Mean => exact(embedder, a, b),
        Pooling::Cls | Pooling::Pooled => occlusion(embedder, a, b, pooling),
    }
}

fn exact(embedder: &mut dyn Embedder, a: &str, b: &str) -> Result<Explanation> {
    let mut tv = embedder.token_vectors(&[a, b])?;
    let (tb, ta) = (tv.pop(), tv.pop());
    let (Some(ta), Some(tb)) = (ta, tb) else { return Err(Error::internal("token vectors of a pair went missing")) };
    let (n, m) = (ta.tokens.ids.len(), tb.tokens.ids.len());
    let ((_, nu), (_, nv)) = (mean_of(&ta), mean_of(&tb));
    if nu == 0.0 || nv == 0.0 {
        return Err(Error::input(None, "a sentence pools to a zero vector; there is nothing to explain"));
    }
    let scale = 1.0 / (n as f64 * m as f64 * nu * nv);
    let d = ta.dim;
    let contributions: Vec<Vec<f32>> = (0..n)
        .map(|i| {
            let h = &ta.vectors[i * d..(i + 1) * d];
            (0..m).map(|j| (dot64(h, &tb.vectors[j * d..(j + 1) * d]) * scale) as f32).collect()
        })
        .collect();
    let token_scores_a: Vec<f32> =
        contributions.iter().map(|r| r.iter().map(|&x| f64::from(x)).sum::<f64>() as f32).collect();
    let token_scores_b: Vec<f32> =
        (0..m).map(|j| contributions.iter().map(|r| f64::from(r[j])).sum::<f64>() as f32).collect();
    let score = token_scores_a.iter().map(|&x| f64::from(x)).sum::<f64>() as f32;
    Ok(Explanation {
        score,
        method: Method::Exact,
        tokens_a: ta.tokens.tokens,
        tokens_b: tb.tokens.tokens,
        special_a: ta.tokens.special,
        special_b: tb.tokens.special,
        token_scores_a,
        token_scores_b,
        contributions: Some(contributions),
    })
}

fn occlusion(embedder: &mut dyn Embedder, a: &str, b: &str, pooling: Pooling) -> Result<Explanation> {
    let (ta, tb) = (embedder.tokens(a)?, embedder.tokens(b)?);
    let droppable =
        |t: &crate::engine::TokenInfo| -> Vec<usize> { (0..t.ids.len()).filter(|&k| !t.special[k]).collect() };
    let (da, db) = (droppable(&ta), droppable(&tb));
    // Both sentences whole, then every drop of A, then every drop of B: one run.
    let mut rows = vec![ta.clone(), tb.clone()];
    rows.extend(da.iter().map(|&k| ta.without(k)));
    rows.extend(db.iter().map(|&k| tb.without(k)));
    let emb = embedder.embed_tokens(&rows, pooling)?;
    let cos = |x: usize, y: usize| dot64(emb.row(x), emb.row(y)) as f32;
    let score = cos(0, 1);
    let mut token_scores_a = vec![0.0f32; ta.ids.len()];
    for (r, &k) in da.iter().enumerate() {
        token_scores_a[k] = score - cos(2 + r, 1);
    }
    let mut token_scores_b = vec![0.0f32; tb.ids.len()];
    for (r, &k) in db.iter().enumerate() {
        token_scores_b[k] = score - cos(0, 2 + da.len() + r);
    }
    Ok(Explanation {
        score,
        method: Method::Occlusion,
        tokens_a: ta.tokens,
        tokens_b: tb.tokens,
        special_a: ta.special,
        special_b: tb.special,
        token_scores_a,
        token_scores_b,
        contributions: None,
    })
}

/// A token text's share of a group score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenShare {
    /// The token (lowercased piece).
    pub token: String,
    /// Its summed contribution over every occurrence.
    pub value: f32,
    /// How many times it occurs.
    pub count: usize,
    /// Whether it is a special token.
    pub special: bool,
}

/// Which tokens make the mean similarity of two groups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupExplanation {
    /// The mean similarity (the group matrix's cell).
    pub score: f32,
    /// Every token text's contribution, largest first; they sum to `score`.
    pub tokens: Vec<TokenShare>,
    /// What special tokens carry together.
    pub special: f32,
}

/// Explains the mean similarity of group `g` (sentences `texts_g`) with group `h`
/// (`texts_h`; the same group when `same`), from `g`'s tokens. Mean pooling only: the
/// decomposition is exact there.
pub fn explain_groups(
    embedder: &mut dyn Embedder,
    texts_g: &[&str],
    texts_h: &[&str],
    same: bool,
) -> Result<GroupExplanation> {
    if texts_g.is_empty() || (!same && texts_h.is_empty()) || (same && texts_g.len() < 2) {
        return Err(Error::input(None, "a group explanation needs sentences in both groups (two within one group)"));
    }
    let tg = embedder.token_vectors(texts_g)?;
    let th = if same { Vec::new() } else { embedder.token_vectors(texts_h)? };
    let normalised = |t: &TokenVectors| {
        let (u, norm) = mean_of(t);
        u.into_iter().map(|x| x / norm.max(f64::MIN_POSITIVE)).collect::<Vec<f64>>()
    };
    let eg: Vec<Vec<f64>> = tg.iter().map(normalised).collect();
    let d = tg[0].dim;
    let sum = |vs: &[Vec<f64>]| (0..d).map(|k| vs.iter().map(|v| v[k]).sum::<f64>()).collect::<Vec<f64>>();
    let size = texts_g.len() as f64;
    let s_g = sum(&eg);
    let mean_h: Vec<f64> = if same {
        Vec::new()
    } else {
        sum(&th.iter().map(normalised).collect::<Vec<_>>()).into_iter().map(|x| x / th.len() as f64).collect()
    };
    let mut by_token: HashMap<(String, bool), (f64, usize)> = HashMap::new();
    let (mut total, mut special) = (0.0f64, 0.0f64);
    for (a, t) in tg.iter().enumerate() {
        let (_, norm) = mean_of(t);
        let n = t.tokens.ids.len() as f64;
        // The vector each of a's tokens is dotted with.
        let partner: Vec<f64> = if same {
            (0..d).map(|k| (s_g[k] - eg[a][k]) / (size * (size - 1.0))).collect()
        } else {
            mean_h.iter().map(|x| x / size).collect()
        };
        for (i, row) in t.vectors.chunks_exact(d).enumerate() {
            let c = row.iter().zip(&partner).map(|(&h, p)| f64::from(h) * p).sum::<f64>()
                / (n * norm.max(f64::MIN_POSITIVE));
            total += c;
            if t.tokens.special[i] {
                special += c;
            }
            let key = (t.tokens.tokens[i].to_lowercase(), t.tokens.special[i]);
            let e = by_token.entry(key).or_insert((0.0, 0));
            e.0 += c;
            e.1 += 1;
        }
    }
    let mut tokens: Vec<TokenShare> = by_token
        .into_iter()
        .map(|((token, special), (value, count))| TokenShare { token, value: value as f32, count, special })
        .collect();
    tokens.sort_by(|a, b| b.value.total_cmp(&a.value).then_with(|| a.token.cmp(&b.token)));
    Ok(GroupExplanation { score: total as f32, tokens, special: special as f32 })
}
