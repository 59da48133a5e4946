//! `duplicates`, `outliers` and `pairs --approximate` from the command line: the graph's
//! answers against brute force over the same vectors, the row order, and `--drop`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::simlens_command;

fn run(args: &[&str]) -> (String, String) {
    let out = simlens_command().args(args).output().unwrap();
    assert!(out.status.success(), "simlens {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// `n` random unit vectors with planted near-copies (clusters of 2 to 30) and exact copies,
/// as sentences `s0…` in a text file and their vectors in an NPY file.
fn planted(dir: &Path, n: usize, d: usize) -> (Vec<Vec<f32>>, String, String) {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 20_001) as f32 / 10_000.0 - 1.0
    };
    let unit = |v: Vec<f32>| {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect::<Vec<f32>>()
    };
    let mut rows: Vec<Vec<f32>> = (0..n).map(|_| unit((0..d).map(|_| rnd()).collect())).collect();
    for (at, size) in [(3usize, 2usize), (10, 5), (20, 30), (40, 3)] {
        for _ in 1..size {
            let v: Vec<f32> = rows[at].iter().map(|x| x + 0.05 * rnd()).collect();
            rows.push(unit(v));
        }
    }
    rows.push(rows[7].clone());
    rows.push(rows[7].clone());
    let txt = dir.join("s.txt");
    let text: String = (0..rows.len()).map(|i| format!("sentence {i}\n")).collect();
    std::fs::write(&txt, text).unwrap();
    let npy = dir.join("v.npy");
    let data: Vec<f32> = rows.iter().flatten().copied().collect();
    let mut bytes = Vec::new();
    simlens::io::npy::write_f32(&mut bytes, rows.len(), d, &data).unwrap();
    std::fs::write(&npy, bytes).unwrap();
    (rows, txt.to_str().unwrap().to_owned(), npy.to_str().unwrap().to_owned())
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn pair_set(csv_text: &str, threshold: f32) -> BTreeSet<(usize, usize)> {
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    rd.records()
        .map(|r| r.unwrap())
        .filter(|r| (r[0].parse::<f32>().unwrap() - threshold).abs() > 1e-5)
        .map(|r| (r[1].parse().unwrap(), r[2].parse().unwrap()))
        .collect()
}

#[test]
fn approximate_pairs_equal_the_exact_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, txt, npy) = planted(dir.path(), 5_000, 32);
    let (exact, _) = run(&["pairs", &txt, "--vectors", &npy, "--threshold", "0.9", "--top", "100000", "--exact"]);
    let (approx, _) =
        run(&["pairs", &txt, "--vectors", &npy, "--threshold", "0.9", "--top", "100000", "--approximate"]);
    let (e, a) = (pair_set(&exact, 0.9), pair_set(&approx, 0.9));
    // The 30-member cluster alone has 435 pairs: more than 14 neighbours each can hold.
    assert!(e.len() > 435, "{} exact pairs", e.len());
    assert_eq!(a, e);
    // And the exact ones are right.
    for &(i, j) in &e {
        assert!(dot(&rows[i], &rows[j]) >= 0.9 - 1e-5);
    }
}

#[test]
fn duplicates_are_the_components_and_drop_keeps_one_of_each() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, txt, npy) = planted(dir.path(), 500, 24);
    let n = rows.len();
    let (out, err) = run(&["duplicates", &txt, "--vectors", &npy, "--threshold", "0.9", "--keep", "first"]);
    assert!(err.contains("duplicate cluster(s)"), "{err}");
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        ["row", "text", "group", "duplicate_cluster", "cluster_size", "representative", "near_duplicate_score"]
    );
    let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(recs.len(), n);
    // Brute-force components.
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for i in 0..n {
        for j in (i + 1)..n {
            if dot(&rows[i], &rows[j]) >= 0.9 {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let roots: Vec<usize> = (0..n).map(|i| find(&mut parent, i)).collect();
    for (i, r) in recs.iter().enumerate() {
        // Rows in input order, with their text.
        assert_eq!(r[0].parse::<usize>().unwrap(), i);
        assert_eq!(&r[1], format!("sentence {i}"));
        let size = roots.iter().filter(|&&x| x == roots[i]).count();
        assert_eq!(r[4].parse::<usize>().unwrap(), size, "row {i}");
        assert_eq!(r[3].is_empty(), size == 1, "row {i}: a cluster id exactly when it has duplicates");
        let first = (0..n).find(|&j| roots[j] == roots[i]).unwrap();
        assert_eq!(r[5].parse::<usize>().unwrap(), first, "row {i}: --keep first");
    }
    assert!(recs[n - 1][6].parse::<f32>().unwrap() > 0.9999, "an exact copy");

    // --drop: one row per cluster, every column, in row order; Parquet read back.
    let clean = dir.path().join("clean.parquet");
    run(&[
        "duplicates",
        &txt,
        "--vectors",
        &npy,
        "--threshold",
        "0.9",
        "--drop",
        "--format",
        "parquet",
        "-o",
        clean.to_str().unwrap(),
    ]);
    let clusters = roots.iter().collect::<BTreeSet<_>>().len();
    let file = std::fs::File::open(&clean).unwrap();
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta: std::collections::HashMap<String, String> = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect();
    assert_eq!(meta["simlens.analysis"], "duplicates");
    assert_eq!(meta["simlens.threshold"], "0.9");
    assert_eq!(meta["simlens.linkage"], "single");
    assert!(meta["simlens.source"].starts_with("vectors from"), "{meta:?}");
    let reader = builder.build().unwrap();
    let mut kept = Vec::new();
    let mut names = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        names = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        let col = batch.column_by_name("row").unwrap();
        let rows = col.as_any().downcast_ref::<arrow_array::UInt64Array>().unwrap();
        kept.extend(rows.values().iter().map(|&r| r as usize));
    }
    assert_eq!(
        names,
        ["row", "text", "group", "duplicate_cluster", "cluster_size", "representative", "near_duplicate_score"]
    );
    assert_eq!(kept.len(), clusters);
    assert!(kept.windows(2).all(|w| w[0] < w[1]), "row order");
    assert_eq!(kept.iter().map(|&r| roots[r]).collect::<BTreeSet<_>>().len(), clusters, "one of each");
}

#[test]
fn outliers_equal_a_brute_force_knn_and_top_lists_the_most_outlying() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, txt, npy) = planted(dir.path(), 400, 16);
    let n = rows.len();
    let (out, _) = run(&["outliers", &txt, "--vectors", &npy, "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let got = j["rows"].as_array().unwrap();
    assert_eq!(got.len(), n);
    let k = 14;
    let mut off = 0;
    for (i, r) in got.iter().enumerate() {
        let mut sims: Vec<f32> = (0..n).filter(|&j| j != i).map(|j| dot(&rows[i], &rows[j])).collect();
        sims.sort_by(|a, b| b.total_cmp(a));
        let want = 1.0 - sims[..k].iter().sum::<f32>() / k as f32;
        let have = r["outlier_score"].as_f64().unwrap() as f32;
        assert!(have >= want - 1e-4, "row {i}: {have} < {want}");
        if have > want + 1e-4 {
            off += 1;
        }
    }
    assert!(off * 50 < n, "{off} of {n} rows off the brute force");
    let (top, _) = run(&["outliers", &txt, "--vectors", &npy, "--top", "5"]);
    let mut rd = csv::Reader::from_reader(top.as_bytes());
    let ranks: Vec<u32> = rd.records().map(|r| r.unwrap()[4].parse().unwrap()).collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5]);
}

#[test]
fn bad_arguments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, txt, npy) = planted(dir.path(), 50, 8);
    for (args, want) in [
        (vec!["duplicates", &txt, "--vectors", &npy, "--threshold", "1.5"], "--threshold 1.5 is out of range"),
        (vec!["duplicates", &txt, "--vectors", &npy, "--format", "parquet"], "parquet is binary"),
        (vec!["outliers", &txt, "--vectors", &npy, "--neighbors", "1"], "1 is not in 2..=200"),
        (vec!["pairs", &txt, "--vectors", &npy, "--exact", "--approximate"], "cannot be used with"),
    ] {
        let out = simlens_command().args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn one_graph_is_kept_and_shared_by_the_commands_on_the_same_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let (_, txt, npy) = planted(dir.path(), 600, 16);
    let cache = dir.path().join("cache");
    let with_cache = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_simlens"))
            .args(args)
            .env("SIMLENS_CACHE_DIR", &cache)
            .env("RUST_LOG", "simlens=info")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (first, log1) = with_cache(&["duplicates", &txt, "--vectors", &npy, "--threshold", "0.9"]);
    assert!(log1.contains("neighbour graph kept in"), "{log1}");
    let kept: Vec<_> = std::fs::read_dir(cache.join("knn")).unwrap().flatten().collect();
    assert_eq!(kept.len(), 1);
    // Outliers and the UMAP of the same vectors with the same neighbours read it back.
    let (_, log2) = with_cache(&["outliers", &txt, "--vectors", &npy]);
    assert!(log2.contains("read from"), "{log2}");
    let (_, log3) = with_cache(&["map", &txt, "--vectors", &npy, "--method", "umap"]);
    assert!(log3.contains("read from"), "{log3}");
    let (again, _) = with_cache(&["duplicates", &txt, "--vectors", &npy, "--threshold", "0.9"]);
    assert_eq!(first, again);
    // And the answer is the one a fresh graph gives.
    let (fresh, _) = run(&["duplicates", &txt, "--vectors", &npy, "--threshold", "0.9"]);
    assert_eq!(first, fresh);
}
