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

#[test]
fn map_and_pairs_write_parquet_that_pyarrow_and_duckdb_read() {
    let dir = tempfile::tempdir().unwrap();
    let topics = root().join("assets").join("topics.txt");
    let topics = topics.to_str().unwrap();
    let (map_pq, pairs_pq) = (dir.path().join("map.parquet"), dir.path().join("pairs.parquet"));
    ok(&["map", topics, "--format", "parquet", "-o", map_pq.to_str().unwrap()]);
    ok(&["pairs", topics, "--threshold", "0.4", "--format", "parquet", "-o", pairs_pq.to_str().unwrap()]);
    // The map's CSV and its Parquet hold the same points; the Parquet adds the vectors.
    let csv = String::from_utf8(ok(&["map", topics])).unwrap();
    assert!(csv.starts_with("text,group,x,y\n"), "{csv}");
    let back = simlens::io::parquet::read_vectors(&map_pq).unwrap();
    assert_eq!(back.embeddings.len(), csv.lines().count() - 1);
    let pairs_csv = String::from_utf8(ok(&["pairs", topics, "--threshold", "0.4"])).unwrap();
    let (m, p) = (map_pq.to_str().unwrap(), pairs_pq.to_str().unwrap());
    let code = format!(
        "import pyarrow.parquet as pq, duckdb, csv, io\n\
         t = pq.read_table({m:?})\n\
         assert t.column_names == ['text', 'group', 'embedding', 'x', 'y'], t.column_names\n\
         assert t.schema.metadata[b'simlens.map'] == b'pca'\n\
         rows = list(csv.DictReader(io.StringIO({csv:?})))\n\
         assert [r['text'] for r in rows] == t.column('text').to_pylist()\n\
         assert max(abs(float(r['x']) - x) for r, x in zip(rows, t.column('x').to_pylist())) < 1e-6\n\
         q = pq.read_table({p:?})\n\
         assert q.column_names == ['score', 'i', 'j', 'text_i', 'text_j', 'group_i', 'group_j'], q.column_names\n\
         want = list(csv.DictReader(io.StringIO({pairs_csv:?})))\n\
         assert [(int(r['i']), int(r['j'])) for r in want] == list(zip(q.column('i').to_pylist(), q.column('j').to_pylist()))\n\
         print(duckdb.sql(\"select count(*), min(score) >= 0.4 from '{p}'\").fetchall()[0])"
    );
    if let Some(out) = python(&code) {
        let n = pairs_csv.lines().count() - 1;
        assert_eq!(out.trim(), format!("({n}, True)"));
    }
    // Parquet is binary: stdout needs `-o -`, and says so.
    let err = fails(&["map", topics, "--format", "parquet"]);
    assert!(err.contains("-o FILE.parquet"), "{err}");
}

#[test]
fn verify_samples_a_large_table_without_reading_it_all() {
    // 40,000 rows (a repeated small table) in row groups: verify keeps only its sample.
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.parquet");
    ok(&["embed", &seed(), "--format", "parquet", "-o", small.to_str().unwrap()]);
    let big = dir.path().join("big.parquet");
    let code = format!(
        "import pyarrow.parquet as pq\n\
         t = pq.read_table({s:?})\n\
         w = pq.ParquetWriter({b:?}, t.schema)\n\
         for _ in range(6667): w.write_table(t)\n\
         w.close()\n\
         print(pq.ParquetFile({b:?}).metadata.num_rows)",
        s = small.to_str().unwrap(),
        b = big.to_str().unwrap()
    );
    if python(&code).is_none() {
        return;
    }
    assert_eq!(simlens::io::parquet::row_count(&big).unwrap(), 40_002);
    let rows = [0, 7, 20_000, 40_001];
    let (texts, e) = simlens::io::parquet::read_rows(&big, &rows).unwrap();
    let all = simlens::io::parquet::read_vectors(&small).unwrap().embeddings;
    for (k, &r) in rows.iter().enumerate() {
        assert_eq!(e.row(k), all.row(r % 6), "row {r}");
    }
    assert_eq!(texts.len(), 4);
    let out = String::from_utf8(ok(&["verify", "--vectors", big.to_str().unwrap(), "--sample", "12"])).unwrap();
    assert!(out.starts_with("ok: 12 of 40002 rows"), "{out}");
}
