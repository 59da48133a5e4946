//! Vectors files as a hostile but realistic user brings them: another row order, other
//! sentences, odd scales, zero rows, bad shapes, folders and FIFOs. Every one gives the
//! right matrix or a clean refusal that names the file and the problem: never exit 0
//! with a wrong answer, never a panic, a hang or a leftover temporary file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::simlens_command;
use simlens::engine::Embeddings;
use simlens::io::parquet::{Column, write_columns};

fn seed() -> PathBuf {
    common::root().join("assets").join("seed.txt")
}

fn run(args: &[&str]) -> Output {
    simlens_command().args(args).output().expect("run simlens")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "simlens {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A refusal: exit 1, no panic, and the message (which must name `file`).
fn refused(args: &[&str], file: &Path) -> String {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "simlens {args:?} must refuse cleanly: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(err.contains(name.as_ref()), "the message names {name}: {err}");
    err
}

fn matrix(args: &[&str]) -> Vec<Vec<f32>> {
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&ok(&a)).unwrap();
    j["matrix"].as_array().unwrap().iter().map(common::f32s).collect()
}

fn max_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The seed's sentences and their model vectors, from `embed --format npy`.
fn seed_vectors(dir: &Path) -> (Vec<String>, Embeddings) {
    let npy = dir.join("seed.npy");
    ok(&["embed", seed().to_str().unwrap(), "--format", "npy", "-o", npy.to_str().unwrap()]);
    let (n, dim, data) = simlens::io::npy::read_f32_file(&npy).unwrap();
    let set = simlens::io::SentenceSet::read_path(&seed()).unwrap();
    let texts: Vec<String> = set.flatten().0.iter().map(|s| s.to_string()).collect();
    assert_eq!(texts.len(), n);
    (texts, Embeddings { dim, data, truncated: vec![] })
}

fn write_table(path: &Path, texts: &[&str], e: &Embeddings) {
    let groups = vec![""; texts.len()];
    let file = std::fs::File::create(path).unwrap();
    write_columns(
        file,
        &[("text", Column::Text(texts)), ("group", Column::Text(&groups)), ("embedding", Column::Vectors(e))],
        &[],
    )
    .unwrap();
}

fn write_npy(path: &Path, rows: usize, cols: usize, data: &[f32]) {
    let mut bytes = Vec::new();
    simlens::io::npy::write_f32(&mut bytes, rows, cols, data).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_table_in_another_order_is_aligned_by_its_text_and_other_sentences_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (texts, emb) = seed_vectors(dir.path());
    let seed = seed();
    let want = matrix(&["similarity", seed.to_str().unwrap()]);
    // Rows reversed, as a Spark job's parts may come back.
    let order: Vec<usize> = (0..texts.len()).rev().collect();
    let shuffled_texts: Vec<&str> = order.iter().map(|&i| texts[i].as_str()).collect();
    let data: Vec<f32> = order.iter().flat_map(|&i| emb.row(i).to_vec()).collect();
    let shuffled = dir.path().join("shuffled.parquet");
    write_table(&shuffled, &shuffled_texts, &Embeddings { dim: emb.dim, data, truncated: vec![] });
    let got = matrix(&["similarity", seed.to_str().unwrap(), "--vectors", shuffled.to_str().unwrap()]);
    assert!(max_diff(&want, &got) < 1e-6, "aligned by text: {}", max_diff(&want, &got));

    // The same count of other sentences: refused, naming the first that differs.
    let mut other: Vec<&str> = texts.iter().map(String::as_str).collect();
    other[2] = "A sentence the input does not have.";
    let wrong = dir.path().join("other.parquet");
    write_table(&wrong, &other, &emb);
    let err = refused(&["similarity", seed.to_str().unwrap(), "--vectors", wrong.to_str().unwrap()], &wrong);
    assert!(err.contains("not the same ones") && err.contains("sentence 3"), "{err}");
    // Fewer rows: both counts.
    let few = dir.path().join("few.parquet");
    let part = Embeddings { dim: emb.dim, data: emb.data[..2 * emb.dim].to_vec(), truncated: vec![] };
    write_table(&few, &other[..2], &part);
    let err = refused(&["pairs", seed.to_str().unwrap(), "--vectors", few.to_str().unwrap()], &few);
    assert!(err.contains(&format!("has 2 vectors but the input has {} sentences", texts.len())), "{err}");
}

#[test]
fn any_finite_scale_gives_the_same_matrix_and_zero_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, emb) = seed_vectors(dir.path());
    let seed = seed();
    let s = seed.to_str().unwrap();
    let plain = dir.path().join("plain.npy");
    write_npy(&plain, emb.len(), emb.dim, &emb.data);
    let want = matrix(&["similarity", s, "--vectors", plain.to_str().unwrap()]);
    for (name, scale) in [("big.npy", 1e20f32), ("tiny.npy", 1e-20), ("huge.npy", 1e37)] {
        let p = dir.path().join(name);
        let data: Vec<f32> = emb.data.iter().map(|v| v * scale).collect();
        assert!(data.iter().all(|v| v.is_finite()));
        write_npy(&p, emb.len(), emb.dim, &data);
        let got = matrix(&["similarity", s, "--vectors", p.to_str().unwrap()]);
        assert!(max_diff(&want, &got) < 1e-6, "×{scale}: {}", max_diff(&want, &got));
        for (i, row) in got.iter().enumerate() {
            assert!((row[i] - 1.0).abs() < 1e-6, "×{scale}: the diagonal is 1, not {}", row[i]);
        }
    }
    let mut zero = emb.data.clone();
    zero[3 * emb.dim..4 * emb.dim].fill(0.0);
    let p = dir.path().join("zero.npy");
    write_npy(&p, emb.len(), emb.dim, &zero);
    for cmd in ["similarity", "map", "pairs", "misfits"] {
        let err = refused(&[cmd, s, "--vectors", p.to_str().unwrap()], &p);
        assert!(err.contains("vector 4 is all zeros"), "{cmd}: {err}");
    }
}

#[test]
fn bad_shapes_are_refused_and_leave_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed();
    let s = seed.to_str().unwrap();
    let n = simlens::io::SentenceSet::read_path(&seed).unwrap().len();
    // Zero columns.
    let empty = dir.path().join("cols0.npy");
    write_npy(&empty, n, 0, &[]);
    let out = dir.path().join("out.npy");
    for args in [
        vec!["similarity", s, "--vectors", empty.to_str().unwrap(), "--format", "npy", "-o", out.to_str().unwrap()],
        vec!["map", s, "--vectors", empty.to_str().unwrap(), "-o", out.to_str().unwrap()],
        vec!["pairs", s, "--vectors", empty.to_str().unwrap()],
        vec!["misfits", s, "--vectors", empty.to_str().unwrap()],
    ] {
        let err = refused(&args, &empty);
        assert!(err.contains("0 values"), "{err}");
    }
    // One dimension, and shapes whose size overflows.
    let header = |shape: &str| {
        simlens::io::npy::v1_header(&format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}"))
    };
    let cases = [
        ("flat.npy", "(16,)", "1 dimension(s)"),
        ("wrap.npy", "(16, 1152921504606847072)", "bad shape"),
        ("wide.npy", "(16, 4611686018427387904)", "bad shape"),
        ("tall.npy", "(1152921504606846976, 4)", "bad shape"),
    ];
    for (name, shape, why) in cases {
        let p = dir.path().join(name);
        let mut bytes = header(shape);
        bytes.extend(std::iter::repeat_n(0u8, 16 * 96 * 4));
        std::fs::write(&p, bytes).unwrap();
        let err = refused(&["similarity", s, "--vectors", p.to_str().unwrap()], &p);
        assert!(err.contains(why), "{shape}: {err}");
    }
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(!out.exists(), "no output was written");
}

#[test]
fn folders_and_fifos_are_named_for_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed();
    let s = seed.to_str().unwrap();
    let folder = dir.path().join("parts");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("part-0000"), b"no extension").unwrap();
    let err = refused(&["similarity", s, "--vectors", folder.to_str().unwrap()], &folder);
    assert!(err.contains("folder with no .parquet files"), "{err}");
    let err = refused(&["similarity", folder.to_str().unwrap()], &folder);
    assert!(err.contains("folder with no .parquet files"), "{err}");
    let fifo = dir.path().join("vectors.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return;
    }
    let mut child = simlens_command()
        .args(["similarity", s, "--vectors", fifo.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "a FIFO must not hang the command");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is a FIFO"), "{err}");
}

#[test]
fn verify_refuses_a_tolerance_or_sample_that_would_check_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t.parquet");
    std::fs::write(&table, b"unused: the arguments are refused first").unwrap();
    for (flag, value, why) in [
        ("--tolerance", "NaN", "finite number"),
        ("--tolerance", "-1e-5", "finite number"),
        ("--tolerance", "inf", "finite number"),
        ("--sample", "0", "checks nothing"),
    ] {
        let out = run(&["verify", "--vectors", table.to_str().unwrap(), flag, value]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(why) && err.contains(flag), "{flag} {value}: {err}");
    }
}

#[test]
fn export_job_names_a_file_or_a_dangling_link_for_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty-file");
    std::fs::write(&file, b"").unwrap();
    let err = refused(&["export-job", "--engine", "ray", "-o", file.to_str().unwrap()], &file);
    assert!(err.contains("is a file, not a folder"), "{err}");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    let err = refused(&["export-job", "--engine", "spark", "-o", link.to_str().unwrap()], &link);
    assert!(err.contains("symbolic link") && err.contains("does not exist"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"", "the file is untouched");
}

#[test]
fn an_empty_table_says_it_has_no_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.parquet");
    write_table(&empty, &[], &Embeddings { dim: 4, data: vec![], truncated: vec![] });
    let err = refused(&["similarity", "--vectors", empty.to_str().unwrap()], &empty);
    assert!(err.contains("has 0 vectors"), "{err}");
    let npy = dir.path().join("rows0.npy");
    write_npy(&npy, 0, 4, &[]);
    let err = refused(&["similarity", seed().to_str().unwrap(), "--vectors", npy.to_str().unwrap()], &npy);
    assert!(err.contains("has 0 vectors"), "{err}");
}
