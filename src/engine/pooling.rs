//! Pooling token vectors into one sentence vector, and L2 normalisation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How one vector per sentence is made from the model's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Mean of the sequence output over real (unmasked) tokens, as sentence-transformers does.
    #[default]
    Mean,
    /// The sequence output at the first token (`[CLS]`).
    Cls,
    /// The graph's own pooled output (`pooler_output`, ALBERT/BERT's pooled_output,
    /// or `sentence_embedding` for models that pool inside the graph).
    Pooled,
}

impl Pooling {
    /// Every pooling, in the order menus show them.
    pub const ALL: [Pooling; 3] = [Pooling::Mean, Pooling::Cls, Pooling::Pooled];

    /// The lowercase name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
            Pooling::Pooled => "pooled",
        }
    }
}

impl fmt::Display for Pooling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Pooling {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mean" => Ok(Pooling::Mean),
            "cls" => Ok(Pooling::Cls),
            "pooled" | "pooler" | "pooler_output" => Ok(Pooling::Pooled),
            other => Err(format!("unknown pooling `{other}` (expected mean, cls or pooled)")),
        }
    }
}

/// Mean of `hidden` (`seq_len × dim`, row-major) over the positions where `mask` is 1,
/// written to `out`.
///
/// Matches sentence-transformers: `sum(h * m) / max(sum(m), 1e-9)`.
pub fn mean_pool(hidden: &[f32], mask: &[i64], dim: usize, out: &mut [f32]) {
    out.fill(0.0);
    let mut count = 0.0f32;
    for (row, &m) in hidden.chunks_exact(dim).zip(mask) {
        if m != 0 {
            count += 1.0;
            for (o, h) in out.iter_mut().zip(row) {
                *o += h;
            }
        }
    }
    let denom = count.max(1e-9);
    for o in out.iter_mut() {
        *o /= denom;
    }
}

/// Scales `v` to unit length, leaving an all-zero vector as it is (`x / max(‖x‖, 1e-12)`).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    for x in v.iter_mut() {
        *x /= norm;
    }
}

/// Scales `v` to unit length whatever its finite scale: the sum of squares is taken in f64
/// after dividing by the largest magnitude, so neither 1e20 (whose squares overflow f32)
/// nor 1e-20 (whose squares underflow) changes the direction. Returns `false`, leaving
/// `v` as it is, for a vector that is all zeros (it has no direction).
///
/// A vector already of unit length (within 1e-6, as every vector simlens writes is) is
/// left byte for byte as it is, so vectors read back from a file equal the ones the model
/// gave, and every analysis of them (UMAP's included) gives the same bytes by either path.
pub fn normalize_any_scale(v: &mut [f32]) -> bool {
    let max = v.iter().fold(0.0f64, |m, &x| m.max(f64::from(x).abs()));
    if max == 0.0 || !max.is_finite() {
        return false;
    }
    let norm = v.iter().map(|&x| (f64::from(x) / max).powi(2)).sum::<f64>().sqrt() * max;
    if (norm - 1.0).abs() <= 1e-6 {
        return true;
    }
    for x in v.iter_mut() {
        *x = (f64::from(*x) / norm) as f32;
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mean_ignores_masked_rows() {
        let hidden = [1.0, 2.0, 3.0, 4.0, 100.0, 100.0];
        let mut out = [0.0; 2];
        mean_pool(&hidden, &[1, 1, 0], 2, &mut out);
        assert_eq!(out, [2.0, 3.0]);
    }

    #[test]
    fn normalize_gives_unit_length_and_keeps_zero() {
        let mut v = [3.0, 4.0];
        normalize(&mut v);
        assert!((v[0] - 0.6).abs() < 1e-7 && (v[1] - 0.8).abs() < 1e-7);
        let mut z = [0.0, 0.0];
        normalize(&mut z);
        assert_eq!(z, [0.0, 0.0]);
    }

    #[test]
    fn pooling_names_round_trip() {
        for p in Pooling::ALL {
            assert_eq!(p.as_str().parse::<Pooling>(), Ok(p));
        }
        assert!("max".parse::<Pooling>().is_err());
    }
}
