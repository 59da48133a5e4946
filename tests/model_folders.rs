//! Broken model folders are refused at load with an error naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::Path;

use common::*;
use simlens::engine::{self, LoadOptions};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn load_err(dir: &Path) -> String {
    match engine::load_model(dir, LoadOptions::default()) {
        Ok(_) => panic!("{} should be refused", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn broken_folders_are_refused_with_the_file_named() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("albert");
    copy_dir(&albert_dir(), &base);

    let case = |name: &str, break_it: &dyn Fn(&Path)| {
        let dir = tmp.path().join(name);
        copy_dir(&base, &dir);
        break_it(&dir);
        load_err(&dir)
    };

    let e = case("no_onnx", &|d| std::fs::remove_file(d.join("model.onnx")).unwrap());
    assert!(e.contains("has no model.onnx"), "{e}");
    let e = case("no_tok", &|d| std::fs::remove_file(d.join("tokenizer.json")).unwrap());
    assert!(e.contains("has no tokenizer.json"), "{e}");
    let e = case("bad_tok", &|d| std::fs::write(d.join("tokenizer.json"), "not json").unwrap());
    assert!(e.contains("tokenizer.json") && e.contains("cannot be read as a tokenizer"), "{e}");
    let e = case("truncated_onnx", &|d| {
        let bytes = std::fs::read(d.join("model.onnx")).unwrap();
        std::fs::write(d.join("model.onnx"), &bytes[..bytes.len() / 2]).unwrap();
    });
    assert!(e.contains("model.onnx") && e.contains("cannot load this graph"), "{e}");
    let e = case("bad_config", &|d| std::fs::write(d.join("config.json"), "{").unwrap());
    assert!(e.contains("config.json") && e.contains("not valid JSON"), "{e}");
    // MiniLM's 30522-token vocabulary in a model with a 500-row embedding table.
    let e = case("foreign_tok", &|d| {
        std::fs::copy(minilm_dir().join("tokenizer.json"), d.join("tokenizer.json")).unwrap();
    });
    assert!(e.contains("belongs to another model"), "{e}");
    let e = load_err(&tmp.path().join("does-not-exist"));
    assert!(e.contains("not a folder"), "{e}");

    // The layout optimum uses (onnx/model.onnx) is accepted.
    let dir = tmp.path().join("optimum");
    copy_dir(&base, &dir);
    std::fs::create_dir(dir.join("onnx")).unwrap();
    std::fs::rename(dir.join("model.onnx"), dir.join("onnx").join("model.onnx")).unwrap();
    engine::load_model(&dir, LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn graphs_with_wrong_types_or_ranks_are_refused() {
    let bad = root().join("tests").join("models").join("bad-graphs");
    let e = load_err(&bad.join("input-type"));
    assert!(e.contains("graph input `input_ids`") && e.contains("int64"), "{e}");
    let e = load_err(&bad.join("output-rank"));
    assert!(e.contains("graph output `last_hidden_state`") && e.contains("rank 3"), "{e}");
    let e = load_err(&bad.join("output-type"));
    assert!(e.contains("graph output `last_hidden_state`") && e.contains("float32"), "{e}");
}

#[test]
fn a_pooled_output_narrower_than_the_sequence_output_works() {
    use simlens::engine::{Embedder as _, Pooling};
    let mut m = engine::load_model(root().join("tests/models/narrow-pooled"), LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let texts = ["hello world", "a longer sentence here", "x"];
    let mean = m.embed(&texts, Pooling::Mean, &mut |_, _| true).unwrap();
    let pooled = m.embed(&texts, Pooling::Pooled, &mut |_, _| true).unwrap();
    assert_eq!((mean.dim, mean.len()), (4, 3));
    assert_eq!((pooled.dim, pooled.len()), (2, 3));
    for row in pooled.rows() {
        assert!((row.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-5);
    }
}
