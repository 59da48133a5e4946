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
