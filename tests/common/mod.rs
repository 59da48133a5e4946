//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The `simlens` binary, with the on-disk embedding cache off so every run takes the
/// real path (the cache has tests of its own).
pub fn simlens_command() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_simlens"));
    c.env("SIMLENS_NO_CACHE", "1");
    c
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn minilm_dir() -> PathBuf {
    root().join("models").join("all-MiniLM-L6-v2")
}

pub fn albert_dir() -> PathBuf {
    root().join("tests").join("models").join("tiny-albert")
}

pub fn data(name: &str) -> PathBuf {
    root().join("tests").join("data").join(name)
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read reference")).expect("parse reference")
}

pub fn f32s(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number") as f32).collect()
}

pub fn i64s(v: &serde_json::Value) -> Vec<i64> {
    v.as_array().expect("array").iter().map(|x| x.as_i64().expect("integer")).collect()
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length differs");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The STS benchmark test split, read from the shared folder beside the project
/// (its licence forbids committing it).
pub fn stsb_file() -> Option<PathBuf> {
    let p = root().join("..").join("shared").join("testdata").join("stsb").join("sts-test.csv");
    p.is_file().then_some(p)
}
