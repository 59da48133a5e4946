//! all-MiniLM-L6-v2 through ONNX Runtime against the sentence-transformers reference
//! (`tests/data/minilm_reference.json`, made by `SentenceTransformer.encode(..., normalize_embeddings=True)`).
//!
//! Tolerances: 1e-4 max abs per component against the Python reference (the export's
//! README measured 3.1e-7); 1e-5 between batchings of the same sentence.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use common::*;
use simlens::engine::tokenize::TextTokenizer;
use simlens::engine::{self, Embedder as _, LoadOptions, ModelFolder, OnnxEmbedder, Pooling};

fn load(opts: LoadOptions) -> OnnxEmbedder {
    engine::load_model(minilm_dir(), opts).unwrap_or_else(|e| panic!("{e}"))
}

fn reference() -> serde_json::Value {
    read_json(&data("minilm_reference.json"))
}

#[test]
fn token_ids_match_reference_for_every_sentence() {
    let folder = ModelFolder::open(minilm_dir()).unwrap();
    assert_eq!(folder.max_length, 256, "max_seq_length comes from sentence_bert_config.json");
    let tok = TextTokenizer::from_file(&folder.tokenizer, folder.max_length).unwrap();
    let r = reference();
    let sentences = r["sentences"].as_array().unwrap();
    assert_eq!(sentences.len(), 68);
    let mut truncated = 0;
    for s in sentences {
        let text = s["text"].as_str().unwrap();
        let info = tok.encode(text).unwrap();
        assert_eq!(info.ids, i64s(&s["token_ids"]), "ids of {text:?}");
        let want_tokens: Vec<&str> = s["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(info.tokens, want_tokens, "tokens of {text:?}");
        assert!(info.attention_mask.iter().all(|&m| m == 1));
        assert!(info.type_ids.iter().all(|&t| t == 0));
        if info.truncated {
            truncated += 1;
            assert_eq!(info.ids.len(), 256, "truncated to max_seq_length");
            assert_eq!(*info.ids.last().unwrap(), 102, "still ends with [SEP]");
        }
    }
    assert!(truncated >= 1, "the reference has a sentence of 406 word pieces");

    let ex = &r["tokenization_example"];
    let info = tok.encode(ex["text"].as_str().unwrap()).unwrap();
    assert_eq!(info.ids, i64s(&ex["ids"]));
}

#[test]
fn embeddings_and_seed_matrix_match_reference() {
    let mut m = load(LoadOptions::default());
    assert_eq!(m.info().dim, 384);
    assert_eq!(m.info().default_pooling, Pooling::Mean, "from 1_Pooling/config.json");
    assert!(!m.info().poolings.contains(&Pooling::Pooled), "MiniLM has no pooler_output");
    let r = reference();
    let sentences = r["sentences"].as_array().unwrap();
    let texts: Vec<&str> = sentences.iter().map(|s| s["text"].as_str().unwrap()).collect();
    let emb = m.embed(&texts, Pooling::Mean, &mut |_, _| true).unwrap();
    assert_eq!(emb.len(), 68);
    assert_eq!(emb.truncated.len(), 1);
    let mut worst = 0.0f32;
    for (i, s) in sentences.iter().enumerate() {
        let d = max_abs_diff(emb.row(i), &f32s(&s["embedding"]));
        assert!(d < 1e-4, "embedding {i} ({:?}) differs by {d}", texts[i]);
        worst = worst.max(d);
    }
    eprintln!("max |Δ embedding| vs sentence-transformers: {worst:e}");

    let seed = engine::Embeddings { dim: 384, data: emb.data[..6 * 384].to_vec(), truncated: vec![] };
    let sim = engine::similarity_matrix(&seed);
    let want: Vec<f32> = r["similarity"]["matrix"].as_array().unwrap().iter().flat_map(f32s).collect();
    let d = max_abs_diff(&sim.data, &want);
    assert!(d < 1e-4, "6×6 matrix differs by {d}");
}

#[test]
fn batch_size_and_batch_company_do_not_change_results() {
    let r = reference();
    let texts: Vec<&str> =
        r["sentences"].as_array().unwrap().iter().map(|s| s["text"].as_str().unwrap()).take(64).collect();
    let mut batched = load(LoadOptions { batch_size: 64, max_batch_tokens: usize::MAX, ..LoadOptions::default() });
    let together = batched.embed(&texts, Pooling::Mean, &mut |_, _| true).unwrap();
    let mut single = load(LoadOptions { batch_size: 1, ..LoadOptions::default() });
    let mut worst = 0.0f32;
    for (i, t) in texts.iter().enumerate() {
        let alone = single.embed(&[t], Pooling::Mean, &mut |_, _| true).unwrap();
        worst = worst.max(max_abs_diff(alone.row(0), together.row(i)));
    }
    assert!(worst < 1e-5, "alone vs in a batch of 64 mixed lengths: {worst}");
    // The length-sorted default batching gives the same vectors too.
    let sorted = load(LoadOptions::default()).embed(&texts, Pooling::Mean, &mut |_, _| true).unwrap();
    assert!(max_abs_diff(&sorted.data, &together.data) < 1e-5);
}

#[test]
fn cls_pooling_is_first_token_normalised_and_pooled_is_refused() {
    let mut m = load(LoadOptions::default());
    let text = "How old are you?";
    let info = m.tokens(text).unwrap();
    let out = m.run_batch(&[&info]).unwrap();
    let mut first = out.sequence.unwrap()[..384].to_vec();
    simlens::engine::pooling::normalize(&mut first);
    let cls = m.embed(&[text], Pooling::Cls, &mut |_, _| true).unwrap();
    assert!(max_abs_diff(cls.row(0), &first) < 1e-6);
    let err = m.embed(&[text], Pooling::Pooled, &mut |_, _| true).unwrap_err();
    assert!(err.to_string().contains("no pooled output"), "{err}");
}

#[test]
fn cancelling_stops_the_job() {
    let mut m = load(LoadOptions { batch_size: 2, ..LoadOptions::default() });
    let texts = ["a", "b", "c", "d", "e"];
    let err = m.embed(&texts, Pooling::Mean, &mut |done, _| done < 2).unwrap_err();
    assert!(matches!(err, simlens::Error::Cancelled));
}
