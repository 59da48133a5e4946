//! Engine invariants as properties, on the real ONNX path: permuting the inputs
//! permutes the matrix, duplicates score 1, the matrix is symmetric with a unit
//! diagonal, and batch size never changes results (tolerance 1e-5).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Mutex;

use common::*;
use proptest::prelude::*;
use simlens::engine::{self, Embedder as _, LoadOptions, OnnxEmbedder, Pooling};

const WORDS: &[&str] = &[
    "phone",
    "weather",
    "age",
    "the",
    "is",
    "my",
    "good",
    "not",
    "how",
    "old",
    "are",
    "you",
    "café",
    "naïve",
    "東京",
    "😀",
    "hurricanes",
    "real",
    "warming",
    "like",
    "global",
    "what",
    "your",
    "?",
    ".",
    "!",
    "42",
    "Ångström",
];

fn sentence() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..12).prop_map(|w| w.join(" "))
}

fn model(dir: std::path::PathBuf, batch: usize) -> OnnxEmbedder {
    engine::load_model(dir, LoadOptions { batch_size: batch, ..LoadOptions::default() }).unwrap()
}

static ALBERT: Mutex<Option<OnnxEmbedder>> = Mutex::new(None);

fn with_albert<R>(f: impl FnOnce(&mut OnnxEmbedder) -> R) -> R {
    let mut slot = ALBERT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(slot.get_or_insert_with(|| model(albert_dir(), 32)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn permutation_permutes_the_matrix(texts in prop::collection::vec(sentence(), 2..10), seed in any::<u64>(), pooling in prop::sample::select(vec![Pooling::Mean, Pooling::Cls, Pooling::Pooled])) {
        let n = texts.len();
        let mut perm: Vec<usize> = (0..n).collect();
        // Fisher–Yates with a tiny LCG from the seed.
        let mut s = seed | 1;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let permuted: Vec<&str> = perm.iter().map(|&i| refs[i]).collect();
        let (a, b) = with_albert(|m| {
            (m.embed(&refs, pooling, &mut |_, _| true).unwrap(), m.embed(&permuted, pooling, &mut |_, _| true).unwrap())
        });
        let (sa, sb) = (engine::similarity_matrix(&a), engine::similarity_matrix(&b));
        for i in 0..n {
            for j in 0..n {
                prop_assert!((sb.get(i, j) - sa.get(perm[i], perm[j])).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn matrix_is_symmetric_with_unit_diagonal_and_duplicates_score_one(texts in prop::collection::vec(sentence(), 1..8), dup in 0usize..8) {
        let mut texts = texts;
        let d = dup % texts.len();
        texts.push(texts[d].clone());
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let e = with_albert(|m| m.embed(&refs, Pooling::Mean, &mut |_, _| true).unwrap());
        let s = engine::similarity_matrix(&e);
        let n = s.n;
        for i in 0..n {
            prop_assert!((s.get(i, i) - 1.0).abs() < 1e-5);
            for j in 0..n {
                prop_assert_eq!(s.get(i, j), s.get(j, i));
            }
        }
        prop_assert!((s.get(d, n - 1) - 1.0).abs() < 1e-5, "duplicate scored {}", s.get(d, n - 1));
    }

    #[test]
    fn batch_size_never_changes_results(texts in prop::collection::vec(sentence(), 1..20), batch in 1usize..9) {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let whole = with_albert(|m| m.embed(&refs, Pooling::Mean, &mut |_, _| true).unwrap());
        let mut small = model(albert_dir(), batch);
        let pieces = small.embed(&refs, Pooling::Mean, &mut |_, _| true).unwrap();
        prop_assert!(max_abs_diff(&whole.data, &pieces.data) < 1e-5);
    }
}

/// The same invariants on the bundled MiniLM, with fewer cases (it is slower).
#[test]
fn minilm_batch_and_permutation_invariance() {
    let texts: Vec<String> = (0..24)
        .map(|i| WORDS.iter().cycle().skip(i * 5).take(3 + i % 9).copied().collect::<Vec<_>>().join(" "))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let whole = model(minilm_dir(), 32).embed(&refs, Pooling::Mean, &mut |_, _| true).unwrap();
    for batch in [1, 3, 7] {
        let e = model(minilm_dir(), batch).embed(&refs, Pooling::Mean, &mut |_, _| true).unwrap();
        assert!(max_abs_diff(&whole.data, &e.data) < 1e-5, "batch {batch}");
    }
    let rev: Vec<&str> = refs.iter().rev().copied().collect();
    let e = model(minilm_dir(), 32).embed(&rev, Pooling::Mean, &mut |_, _| true).unwrap();
    let n = refs.len();
    for i in 0..n {
        assert!(max_abs_diff(e.row(i), whole.row(n - 1 - i)) < 1e-5);
    }
}
