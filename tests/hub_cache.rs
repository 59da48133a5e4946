//! Models from a Hugging Face hub cache, offline: a cache laid out as huggingface_hub lays
//! it out (snapshots of symbolic links into blobs/), made from the bundled model's files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;

use common::*;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// `models--ORG--NAME` with refs/main → COMMIT and every file of `from` as a blob link.
fn lay_out(root: &Path, id: &str, from: &Path, files: &[&str]) {
    let repo = root.join(format!("models--{}", id.replace('/', "--")));
    let snap = repo.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs").join("main"), COMMIT).unwrap();
    for (k, f) in files.iter().enumerate() {
        let blob = format!("blob{k:040}");
        std::fs::copy(from.join(f), repo.join("blobs").join(&blob)).unwrap();
        let link = snap.join(f);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        let depth = f.matches('/').count() + 2;
        symlink(format!("{}blobs/{blob}", "../".repeat(depth)), link).unwrap();
    }
}

fn run(hub: &Path, args: &[&str]) -> std::process::Output {
    simlens_command().env("HF_HUB_CACHE", hub).args(args).output().unwrap()
}

#[test]
fn a_cached_model_resolves_by_id_and_equals_the_bundled_one() {
    let hub = tempfile::tempdir().unwrap();
    let files = ["model.onnx", "tokenizer.json", "config.json", "sentence_bert_config.json", "1_Pooling/config.json"];
    lay_out(hub.path(), "sentence-transformers/all-MiniLM-L6-v2", &minilm_dir(), &files);
    let seed = root().join("assets").join("seed.txt");
    let seed = seed.to_str().unwrap();
    let bundled = run(hub.path(), &["similarity", seed, "--format", "json"]);
    for spec in ["sentence-transformers/all-MiniLM-L6-v2", &format!("sentence-transformers/all-MiniLM-L6-v2@{COMMIT}")]
    {
        let cached = run(hub.path(), &["similarity", seed, "--format", "json", "--model", spec]);
        assert!(cached.status.success(), "{}", String::from_utf8_lossy(&cached.stderr));
        let (a, b): (serde_json::Value, serde_json::Value) =
            (serde_json::from_slice(&bundled.stdout).unwrap(), serde_json::from_slice(&cached.stdout).unwrap());
        assert_eq!(a["matrix"], b["matrix"], "{spec}");
        assert_eq!(b["model"], "sentence-transformers/all-MiniLM-L6-v2", "named by its id, not its commit");
    }
    let listed = String::from_utf8(run(hub.path(), &["models"]).stdout).unwrap();
    assert!(listed.contains("sentence-transformers/all-MiniLM-L6-v2") && listed.contains("--model"), "{listed}");
}

#[test]
fn a_missing_blob_and_a_model_without_onnx_are_clear_errors() {
    let hub = tempfile::tempdir().unwrap();
    let seed = root().join("assets").join("seed.txt");
    let seed = seed.to_str().unwrap();
    lay_out(hub.path(), "org/broken", &minilm_dir(), &["model.onnx", "tokenizer.json"]);
    let blob = hub.path().join("models--org--broken/blobs").join(format!("blob{:040}", 0));
    std::fs::remove_file(blob).unwrap();
    let out = run(hub.path(), &["similarity", seed, "--model", "org/broken"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("model.onnx") && err.contains("is missing") && err.contains("download"), "{err}");

    lay_out(hub.path(), "org/torch-only", &minilm_dir(), &["tokenizer.json", "config.json"]);
    let out = run(hub.path(), &["similarity", seed, "--model", "org/torch-only"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("optimum-cli export onnx --model"), "{err}");
    let listed = String::from_utf8(run(hub.path(), &["models"]).stdout).unwrap();
    assert!(
        listed.contains("org/torch-only") && listed.contains("no ONNX graph; export one with: optimum-cli export onnx"),
        "{listed}"
    );

    let out = run(hub.path(), &["similarity", seed, "--model", "org/not-there"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not in the Hugging Face cache") && err.contains("never downloads"), "{err}");
}
