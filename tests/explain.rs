//! Score explanations on the real ONNX path: the exact decomposition of mean pooling adds
//! up to the matrix's cell (tolerance 1e-5; the cell itself within 1e-6), occlusion for
//! CLS and pooled outputs, and group explanations that add up to the group matrix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use simlens::engine::explain::{Method, explain, explain_groups};
use simlens::engine::{self, Embedder, LoadOptions, Pooling};

fn cell(m: &mut dyn Embedder, a: &str, b: &str, pooling: Pooling) -> f32 {
    let e = m.embed(&[a, b], pooling, &mut |_, _| true).unwrap();
    engine::similarity_matrix(&e).get(0, 1)
}

fn check_exact(m: &mut dyn Embedder, a: &str, b: &str) {
    let x = explain(m, a, b, Pooling::Mean).unwrap();
    assert_eq!(x.method, Method::Exact);
    let c = x.contributions.as_ref().unwrap();
    assert_eq!(c.len(), x.tokens_a.len());
    assert!(c.iter().all(|r| r.len() == x.tokens_b.len()));
    let total: f64 = c.iter().flatten().map(|&v| f64::from(v)).sum();
    assert!((total as f32 - x.score).abs() < 1e-5, "contributions {total} vs score {}", x.score);
    let want = cell(m, a, b, Pooling::Mean);
    assert!((x.score - want).abs() < 1e-6, "score {} vs matrix cell {want}", x.score);
    let sa: f32 = x.token_scores_a.iter().sum();
    let sb: f32 = x.token_scores_b.iter().sum();
    assert!((sa - x.score).abs() < 1e-5 && (sb - x.score).abs() < 1e-5, "{sa} {sb} {}", x.score);
    assert_eq!(x.tokens_a.first().map(String::as_str), m.tokens(a).unwrap().tokens.first().map(String::as_str));
}

#[test]
fn minilm_mean_pooling_is_explained_exactly() {
    let mut m = engine::load_model(minilm_dir(), LoadOptions::default()).unwrap();
    check_exact(&mut m, "I like my phone", "My phone is not good.");
    check_exact(&mut m, "How old are you?", "what is your age?");
    check_exact(&mut m, "Global warming is real", "I like my phone");
    let x = explain(&mut m, "I like my phone", "My phone is not good.", Pooling::Mean).unwrap();
    assert_eq!(x.tokens_a[0], "[CLS]");
    assert!(x.special_a[0] && !x.special_a[1]);
}

#[test]
fn one_shared_rare_word_is_the_top_pair() {
    let mut m = engine::load_model(minilm_dir(), LoadOptions::default()).unwrap();
    let x = explain(&mut m, "The giraffe slept all afternoon.", "A tall giraffe was eating leaves.", Pooling::Mean)
        .unwrap();
    let top = x.top_pairs(1, true)[0];
    // The word may be several word pieces; the top pair is one of them with itself.
    let pieces = m.tokens("giraffe").unwrap().tokens;
    assert_eq!(x.tokens_a[top.i], x.tokens_b[top.j], "{:?}", x.top_pairs(5, true));
    assert!(pieces.contains(&x.tokens_a[top.i]), "{} is not a piece of {pieces:?}", x.tokens_a[top.i]);
}

#[test]
fn tiny_albert_mean_is_exact_and_cls_and_pooled_are_occlusion() {
    let mut m = engine::load_model(albert_dir(), LoadOptions::default()).unwrap();
    check_exact(&mut m, "hello world", "the weather is nice today");
    for pooling in [Pooling::Cls, Pooling::Pooled] {
        let (a, b) = ("hello world", "the weather is nice today");
        let x = explain(&mut m, a, b, pooling).unwrap();
        assert_eq!(x.method, Method::Occlusion);
        assert!(x.contributions.is_none());
        assert_eq!(x.token_scores_a.len(), x.tokens_a.len());
        assert_eq!(x.token_scores_b.len(), x.tokens_b.len());
        // Nothing dropped: the pair's own score, as the matrix has it.
        assert!((x.score - cell(&mut m, a, b, pooling)).abs() < 1e-6, "{pooling}");
        // Specials are never dropped; real tokens change the score when they go.
        assert!(x.token_scores_a.iter().zip(&x.special_a).all(|(&s, &sp)| !sp || s == 0.0));
        assert!(x.token_scores_a.iter().zip(&x.special_a).any(|(&s, &sp)| !sp && s != 0.0));
    }
}

#[test]
fn token_vectors_do_not_depend_on_the_batch() {
    let mut m = engine::load_model(minilm_dir(), LoadOptions::default()).unwrap();
    let alone = m.token_vectors(&["I like my phone"]).unwrap().remove(0);
    let long = "This is a much longer sentence that forces padding of the shorter one in the same batch";
    let batched = m.token_vectors(&[long, "I like my phone", "hi"]).unwrap().remove(1);
    assert_eq!(alone.tokens, batched.tokens);
    assert!(max_abs_diff(&alone.vectors, &batched.vectors) < 1e-5);
}

#[test]
fn group_explanations_add_up_to_the_group_matrix() {
    let mut m = engine::load_model(minilm_dir(), LoadOptions::default()).unwrap();
    let g = ["I like my phone", "My phone is not good."];
    let h = ["Recently a lot of hurricanes have hit the US", "Global warming is real"];
    let all: Vec<&str> = g.iter().chain(&h).copied().collect();
    let e = m.embed(&all, Pooling::Mean, &mut |_, _| true).unwrap();
    let gm = engine::group_matrix(&e, &[0, 0, 1, 1], 2);
    let across = explain_groups(&mut m, &g, &h, false).unwrap();
    assert!((across.score - gm[1].unwrap()).abs() < 1e-5, "{} vs {:?}", across.score, gm[1]);
    let sum: f32 = across.tokens.iter().map(|t| t.value).sum();
    assert!((sum - across.score).abs() < 1e-5);
    let within = explain_groups(&mut m, &g, &g, true).unwrap();
    assert!((within.score - gm[0].unwrap()).abs() < 1e-5, "{} vs {:?}", within.score, gm[0]);
    assert_eq!(within.tokens[0].token, "phone", "what holds Smartphones together: {:?}", &within.tokens[..5]);
}
