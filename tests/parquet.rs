//! Parquet in and out, checked against pyarrow and DuckDB where they are installed
//! (`.ci/run` installs both): what simlens writes they read, what they write simlens reads,
//! and bad files get clear errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use common::*;

fn run(args: &[&str]) -> std::process::Output {
    simlens_command().env("SIMLENS_EMBED_CHUNK", "4").args(args).output().unwrap()
}

fn ok(args: &[&str]) -> Vec<u8> {
    let o = run(args);
    assert!(o.status.success(), "simlens {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

fn fails(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(1), "simlens {args:?} should fail cleanly");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs Python with pyarrow and duckdb; `None` (with a notice) when they are not installed.
fn python(code: &str) -> Option<String> {
    let probe = std::process::Command::new("python3").args(["-c", "import pyarrow, duckdb"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: python3 with pyarrow and duckdb is not available");
        return None;
    }
    let o = std::process::Command::new("python3").args(["-c", code]).output().unwrap();
    assert!(o.status.success(), "python failed: {}", String::from_utf8_lossy(&o.stderr));
    Some(String::from_utf8(o.stdout).unwrap())
}

fn seed() -> String {
    root().join("assets").join("seed.txt").to_str().unwrap().to_owned()
}

#[test]
fn written_parquet_equals_the_npy_and_reads_in_pyarrow_and_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let (pq, npy) = (dir.path().join("e.parquet"), dir.path().join("e.npy"));
    ok(&["embed", &seed(), "--format", "parquet", "-o", pq.to_str().unwrap()]);
    ok(&["embed", &seed(), "-o", npy.to_str().unwrap()]);
    let (_, _, want) = simlens::io::npy::read_f32(&std::fs::read(&npy).unwrap()).unwrap();
    let got = simlens::io::parquet::read_vectors(&pq).unwrap();
    assert!(max_abs_diff(&got.embeddings.data, &want) <= 1e-7, "NPY and Parquet equal");
    assert_eq!(got.sentences.unwrap().len(), 6);
    let meta: std::collections::HashMap<String, String> =
        simlens::io::parquet::metadata(&pq).unwrap().into_iter().collect();
    assert_eq!(meta["simlens.model"], "all-MiniLM-L6-v2");
    assert_eq!(meta["simlens.pooling"], "mean");
    assert_eq!(meta["simlens.precision"], "fp32");
    assert!(meta["simlens.model_hash"].len() > 16);
    let p = pq.to_str().unwrap();
    let code = format!(
        "import pyarrow.parquet as pq, duckdb, numpy as np\n\
         t = pq.read_table({p:?})\n\
         assert t.column_names == ['text', 'group', 'embedding'], t.column_names\n\
         e = np.array(t.column('embedding').to_pylist(), dtype=np.float32)\n\
         m = t.schema.metadata\n\
         assert m[b'simlens.model'] == b'all-MiniLM-L6-v2'\n\
         d = duckdb.sql(\"select text, \\\"group\\\", len(embedding) from '{p}'\").fetchall()\n\
         print(e.shape, len(d), d[0][1], d[0][2])"
    );
    if let Some(out) = python(&code) {
        assert_eq!(out.trim(), "(6, 384) 6 Smartphones 384");
    }
}

#[test]
fn files_from_duckdb_and_pyarrow_read_back_as_input_and_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("e.npy");
    ok(&["embed", &seed(), "-o", npy.to_str().unwrap()]);
    let (sentences, vectors) = (dir.path().join("s.parquet"), dir.path().join("v.parquet"));
    let code = format!(
        "import numpy as np, pyarrow as pa, pyarrow.parquet as pq, duckdb\n\
         texts = ['I like my phone', 'My phone is not good.', 'Recently a lot of hurricanes have hit the US', 'Global warming is real', 'How old are you?', 'what is your age?']\n\
         groups = ['Smartphones']*2 + ['Weather']*2 + ['Asking about age']*2\n\
         pq.write_table(pa.table({{'text': texts, 'group': groups}}), {s:?})\n\
         e = np.load({n:?})\n\
         duckdb.sql('create table v (text varchar, \"group\" varchar, embedding float[])')\n\
         for t, g, row in zip(texts, groups, e): duckdb.execute('insert into v values (?, ?, ?)', [t, g, row.tolist()])\n\
         duckdb.sql(\"copy v to '{v}' (format parquet)\")\n\
         print('ok')",
        s = sentences.to_str().unwrap(),
        n = npy.to_str().unwrap(),
        v = vectors.to_str().unwrap()
    );
    if python(&code).is_none() {
        return;
    }
    let text: serde_json::Value = serde_json::from_slice(&ok(&["similarity", &seed(), "--format", "json"])).unwrap();
    let from_pq: serde_json::Value =
        serde_json::from_slice(&ok(&["similarity", sentences.to_str().unwrap(), "--format", "json"])).unwrap();
    assert_eq!(text["labels"], from_pq["labels"]);
    assert_eq!(text["group_names"], from_pq["group_names"], "groups in first-seen order");
    let with_vectors: serde_json::Value = serde_json::from_slice(&ok(&[
        "similarity",
        &seed(),
        "--format",
        "json",
        "--vectors",
        vectors.to_str().unwrap(),
    ]))
    .unwrap();
    let flat = |j: &serde_json::Value| j["matrix"].as_array().unwrap().iter().flat_map(f32s).collect::<Vec<_>>();
    assert!(max_abs_diff(&flat(&text), &flat(&from_pq)) < 1e-6);
    assert!(max_abs_diff(&flat(&text), &flat(&with_vectors)) < 1e-6, "DuckDB's list column as vectors");
}

#[test]
fn bad_parquet_files_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let code = format!(
        "import pyarrow as pa, pyarrow.parquet as pq\n\
         pq.write_table(pa.table({{'text': [1, 2]}}), {a:?})\n\
         pq.write_table(pa.table({{'text': ['a', 'b'], 'embedding': [[1.0, 0.0], [1.0]]}}), {b:?})\n\
         pq.write_table(pa.table({{'text': ['a', 'b'], 'embedding': pa.array([[1.0, float('nan')], [1.0, 0.0]], type=pa.list_(pa.float32()))}}), {c:?})\n\
         pq.write_table(pa.table({{'text': ['a', 'b'], 'embedding': pa.array([[1.0, 0.0], [0.0, 1.0]], type=pa.list_(pa.float32()))}}), {e:?})\n\
         print('ok')",
        a = d("int.parquet"),
        b = d("ragged.parquet"),
        c = d("nan.parquet"),
        e = d("two.parquet")
    );
    if python(&code).is_none() {
        return;
    }
    let err = fails(&["similarity", &d("int.parquet")]);
    assert!(err.contains("column `text` is Int64; it must be text"), "{err}");
    let err = fails(&["similarity", &seed(), "--vectors", &d("ragged.parquet")]);
    assert!(err.contains("ragged") || err.contains("float32"), "{err}");
    let err = fails(&["similarity", &seed(), "--vectors", &d("nan.parquet")]);
    assert!(err.contains("not a finite number"), "{err}");
    let err = fails(&["similarity", &seed(), "--vectors", &d("two.parquet")]);
    assert!(err.contains("has 2 vectors but the input has 6 sentences"), "{err}");
    let not = dir.path().join("not.parquet");
    std::fs::write(&not, "plain text").unwrap();
    let err = fails(&["similarity", not.to_str().unwrap()]);
    assert!(err.contains("not a Parquet file"), "{err}");
}

#[test]
fn input_may_be_left_out_when_the_vectors_file_has_the_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("e.parquet");
    ok(&["embed", &seed(), "--format", "parquet", "-o", pq.to_str().unwrap()]);
    let pq = pq.to_str().unwrap();
    let text: serde_json::Value = serde_json::from_slice(&ok(&["similarity", &seed(), "--format", "json"])).unwrap();
    let alone: serde_json::Value =
        serde_json::from_slice(&ok(&["similarity", "--vectors", pq, "--format", "json"])).unwrap();
    assert_eq!(text["labels"], alone["labels"]);
    assert_eq!(text["group_names"], alone["group_names"]);
    let flat = |j: &serde_json::Value| j["matrix"].as_array().unwrap().iter().flat_map(f32s).collect::<Vec<_>>();
    assert!(max_abs_diff(&flat(&text), &flat(&alone)) < 1e-6);
    assert!(String::from_utf8(ok(&["misfits", "--vectors", pq])).unwrap().contains("No misfits"));
    let err = fails(&["similarity"]);
    assert!(err.contains("give INPUT"), "{err}");
}
