//! The ALBERT path (Unigram tokenizer, three inputs, pooled + sequence outputs) on the
//! random-weight tiny-albert, against torch outputs in `tests/data/tiny_albert_reference.json`.
//! Tolerance 1e-4 max abs (the reference's own ONNX-vs-torch gap is below 1e-5).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use common::*;
use simlens::engine::{self, Embedder as _, LoadOptions, Pooling};

#[test]
fn ids_pooled_and_sequence_outputs_match_torch() {
    let mut m = engine::load_model(albert_dir(), LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.info().dim, 32);
    assert_eq!(m.info().max_length, 128, "from config.json max_position_embeddings");
    assert!(m.info().poolings.contains(&Pooling::Pooled));
    assert!(m.info().inputs.iter().any(|i| i == "token_type_ids"));
    let r = read_json(&data("tiny_albert_reference.json"));
    let items = r["items"].as_array().unwrap();
    for item in items {
        let info = if item["kind"] == "pair" {
            let t = item["text"].as_array().unwrap();
            m.tokenizer().encode_pair(t[0].as_str().unwrap(), t[1].as_str().unwrap()).unwrap()
        } else {
            m.tokens(item["text"].as_str().unwrap()).unwrap()
        };
        let what = item["text"].to_string();
        assert_eq!(info.ids, i64s(&item["input_ids"]), "ids of {what}");
        assert_eq!(info.attention_mask, i64s(&item["attention_mask"]), "mask of {what}");
        assert_eq!(info.type_ids, i64s(&item["token_type_ids"]), "segments of {what}");
        let want_tokens: Vec<&str> = item["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(info.tokens, want_tokens);

        let out = m.run_batch(&[&info]).unwrap();
        let pooled = out.pooled.unwrap();
        let d = max_abs_diff(&pooled, &f32s(&item["pooler_output"]));
        assert!(d < 1e-4, "pooler_output of {what} differs by {d}");
        let hidden: Vec<f32> = item["last_hidden_state"].as_array().unwrap().iter().flat_map(f32s).collect();
        let d = max_abs_diff(&out.sequence.unwrap(), &hidden);
        assert!(d < 1e-4, "last_hidden_state of {what} differs by {d}");

        if item["kind"] == "single" {
            // `pooled` pooling is the pooler output, L2-normalised.
            let mut want = f32s(&item["pooler_output"]);
            simlens::engine::pooling::normalize(&mut want);
            let e = m.embed(&[item["text"].as_str().unwrap()], Pooling::Pooled, &mut |_, _| true).unwrap();
            assert!(max_abs_diff(e.row(0), &want) < 1e-4);
        }
    }
}

#[test]
fn padded_batch_matches_single_runs() {
    let mut m = engine::load_model(albert_dir(), LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let r = read_json(&data("tiny_albert_reference.json"));
    let texts: Vec<&str> = r["items"].as_array().unwrap().iter().filter_map(|i| i["text"].as_str()).collect();
    assert_eq!(texts.len(), 5);
    for pooling in [Pooling::Pooled, Pooling::Mean, Pooling::Cls] {
        let batch = m.embed(&texts, pooling, &mut |_, _| true).unwrap();
        for (i, t) in texts.iter().enumerate() {
            let alone = m.embed(&[t], pooling, &mut |_, _| true).unwrap();
            let d = max_abs_diff(alone.row(0), batch.row(i));
            assert!(d < 1e-5, "{pooling} of {t:?}: {d}");
        }
    }
}
