//! The `simlens` binary, run as a user would: outputs parsed back, bad input refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn simlens(args: &[&str]) -> Output {
    simlens_command().args(args).output().expect("run simlens")
}

fn ok(args: &[&str]) -> String {
    let out = simlens(args);
    assert!(out.status.success(), "simlens {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs a command that must fail cleanly; returns its stderr.
fn fails(args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = simlens_command().args(args).envs(envs.iter().copied()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "simlens {args:?} should fail");
    assert_eq!(out.status.code(), Some(1), "a clean error exit, not a crash: {err}");
    assert!(!err.contains("panicked"), "panic for {args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

fn seed_file(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("seed.txt");
    std::fs::write(
        &p,
        "# Smartphones\nI like my phone\nMy phone is not good.\n\n# Weather\nRecently a lot of hurricanes have hit the US\nGlobal warming is real\n\n# Asking about age\nHow old are you?\nwhat is your age?\n",
    )
    .unwrap();
    p
}

fn reference_matrix() -> Vec<f32> {
    read_json(&data("minilm_reference.json"))["similarity"]["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(f32s)
        .collect()
}

#[test]
fn similarity_formats_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let input = seed_file(dir.path());
    let input = input.to_str().unwrap();
    let want = reference_matrix();

    // CSV: header of labels, label first in each row.
    let csv_text = ok(&["similarity", input]);
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = r.headers().unwrap().clone();
    assert_eq!(headers.len(), 7);
    assert_eq!(&headers[1], "I like my phone");
    let mut got = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        got.extend(rec.iter().skip(1).map(|v| v.parse::<f32>().unwrap()));
    }
    assert!(max_abs_diff(&got, &want) < 1e-4);

    // JSON: all documented keys.
    let out = dir.path().join("m.json");
    ok(&["similarity", input, "--format", "json", "-o", out.to_str().unwrap()]);
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(j["model"], "all-MiniLM-L6-v2");
    assert_eq!(j["pooling"], "mean");
    assert_eq!(j["labels"].as_array().unwrap().len(), 6);
    assert_eq!(j["groups"][2], "Weather");
    assert_eq!(j["group_names"].as_array().unwrap().len(), 3);
    let m: Vec<f32> = j["matrix"].as_array().unwrap().iter().flat_map(f32s).collect();
    assert!(max_abs_diff(&m, &want) < 1e-4);
    // Group matrix: the within-group cell is the one off-diagonal pair.
    let g00 = j["group_matrix"][0][0].as_f64().unwrap() as f32;
    assert!((g00 - want[1]).abs() < 1e-4);

    // NPY: float32 6×6, read back by an independent parse of the header.
    let out = dir.path().join("m.npy");
    ok(&["similarity", input, "--format", "npy", "-o", out.to_str().unwrap()]);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).unwrap();
    assert!(header.contains("'descr': '<f4'") && header.contains("'shape': (6, 6)"), "{header}");
    let vals: Vec<f32> =
        bytes[10 + hlen..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert!(max_abs_diff(&vals, &want) < 1e-4);
}

#[test]
fn numpy_and_pandas_read_the_outputs_when_available() {
    let has = Command::new("python3")
        .args(["-c", "import numpy, pandas"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has {
        eprintln!("SKIPPED: python3 with numpy and pandas is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = seed_file(dir.path());
    let (csv_p, npy_p) = (dir.path().join("m.csv"), dir.path().join("m.npy"));
    ok(&["similarity", input.to_str().unwrap(), "-o", csv_p.to_str().unwrap()]);
    ok(&["similarity", input.to_str().unwrap(), "--format", "npy", "-o", npy_p.to_str().unwrap()]);
    let script = format!(
        "import numpy as np, pandas as pd\nm=np.load({npy:?})\nd=pd.read_csv({csv:?}, index_col=0)\nassert m.dtype==np.float32 and m.shape==(6,6)\nassert d.shape==(6,6)\nassert abs(d.values-m).max()<1e-6\nprint('ok')",
        npy = npy_p.to_str().unwrap(),
        csv = csv_p.to_str().unwrap()
    );
    let out = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn embed_formats_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let input = seed_file(dir.path());
    let input = input.to_str().unwrap();
    let r = read_json(&data("minilm_reference.json"));
    let first = f32s(&r["sentences"][0]["embedding"]);

    let npy = dir.path().join("e.npy");
    ok(&["embed", input, "-o", npy.to_str().unwrap()]);
    let (rows, cols, v) = simlens::io::npy::read_f32(&std::fs::read(&npy).unwrap()).unwrap();
    assert_eq!((rows, cols), (6, 384));
    assert!(max_abs_diff(&v[..384], &first) < 1e-4);

    let csv_text = ok(&["embed", input, "--format", "csv"]);
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(rd.headers().unwrap().len(), 2 + 384);
    let rec = rd.records().next().unwrap().unwrap();
    assert_eq!(&rec[0], "I like my phone");
    assert_eq!(&rec[1], "Smartphones");
    let row: Vec<f32> = rec.iter().skip(2).map(|x| x.parse().unwrap()).collect();
    assert!(max_abs_diff(&row, &first) < 1e-4);

    let j: serde_json::Value = serde_json::from_str(&ok(&["embed", input, "--format", "json"])).unwrap();
    assert_eq!(j["dim"], 384);
    assert!(max_abs_diff(&f32s(&j["embeddings"][0]), &first) < 1e-4);

    let proj = dir.path().join("projector");
    ok(&["embed", input, "--format", "tsv", "-o", proj.to_str().unwrap()]);
    let vectors = std::fs::read_to_string(proj.join("vectors.tsv")).unwrap();
    let meta = std::fs::read_to_string(proj.join("metadata.tsv")).unwrap();
    assert_eq!(vectors.lines().count(), 6);
    assert_eq!(vectors.lines().next().unwrap().split('\t').count(), 384);
    assert_eq!(meta.lines().count(), 7, "header + one line per vector");
    assert_eq!(meta.lines().nth(1).unwrap(), "I like my phone\tSmartphones");
}

#[test]
fn stdin_and_csv_inputs() {
    let out = simlens_command()
        .args(["similarity", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().unwrap().write_all(b"How old are you?\nwhat is your age?\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["group_names"][0], "Ungrouped");
    let want = reference_matrix()[4 * 6 + 5];
    assert!((j["matrix"][0][1].as_f64().unwrap() as f32 - want).abs() < 1e-4);

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.csv");
    std::fs::write(&p, "group,text\nAge,\"How old are you?\"\nAge,what is your age?\n").unwrap();
    let j: serde_json::Value =
        serde_json::from_str(&ok(&["similarity", p.to_str().unwrap(), "--format", "json"])).unwrap();
    assert_eq!(j["groups"], serde_json::json!(["Age", "Age"]));
}

#[test]
fn tokens_prints_the_three_input_sequences() {
    let out = ok(&["tokens", "the body is made of metallic and delivers high tension"]);
    let ex = &read_json(&data("minilm_reference.json"))["tokenization_example"];
    let ids: Vec<String> = i64s(&ex["ids"]).iter().map(|i| i.to_string()).collect();
    assert!(out.contains(&format!("ids:       {}", ids.join(" "))), "{out}");
    assert!(out.contains("tokens:    [CLS] the body"));
    assert!(out.contains(&format!("mask:      {}", vec!["1"; ids.len()].join(" "))));
    assert!(out.contains(&format!("segments:  {}", vec!["0"; ids.len()].join(" "))));

    let albert = albert_dir();
    let j: serde_json::Value = serde_json::from_str(&ok(&[
        "tokens",
        "What is the capital of France?",
        "--pair",
        "Paris is the capital of France.",
        "--model",
        albert.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    let pair = &read_json(&data("tiny_albert_reference.json"))["items"][5];
    assert_eq!(j["type_ids"], pair["token_type_ids"]);
}

#[test]
fn bad_input_gives_a_clear_error_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let empty = d.join("empty.txt");
    std::fs::write(&empty, "\n\n  \n").unwrap();
    assert!(fails(&["similarity", empty.to_str().unwrap()], &[]).contains("no sentences"));

    let latin1 = d.join("latin1.txt");
    std::fs::write(&latin1, b"fine\ncaf\xe9\n").unwrap();
    let e = fails(&["similarity", latin1.to_str().unwrap()], &[]);
    assert!(e.contains("latin1.txt:2:") && e.contains("not UTF-8"), "{e}");

    let no_text = d.join("no_text.csv");
    std::fs::write(&no_text, "sentence,group\na,b\n").unwrap();
    assert!(fails(&["similarity", no_text.to_str().unwrap()], &[]).contains("no `text` column"));

    let missing = d.join("missing.txt");
    assert!(fails(&["similarity", missing.to_str().unwrap()], &[]).contains("cannot read"));

    let seed = seed_file(d);
    let seed = seed.to_str().unwrap();
    let e = fails(&["similarity", seed, "--model", d.to_str().unwrap()], &[]);
    assert!(e.contains("has no model.onnx"), "{e}");
    let e = fails(&["similarity", seed, "--pooling", "pooled"], &[]);
    assert!(e.contains("pooling `pooled` is not available"), "{e}");
    let e = fails(&["similarity", seed, "--format", "npy"], &[]);
    assert!(e.contains("-o FILE"), "{e}");
    let e = fails(&["similarity", seed, "-o", "/nonexistent-simlens/x.csv"], &[]);
    assert!(e.contains("does not exist"), "{e}");

    // The ONNX Runtime library: missing file, and a file that is not a library.
    let e = fails(&["similarity", seed], &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")]);
    assert!(e.contains("ORT_DYLIB_PATH names a file that does not exist") && e.contains("fetch-onnxruntime"), "{e}");
    let e = fails(&["similarity", seed], &[("ORT_DYLIB_PATH", seed)]);
    assert!(e.contains("not a shared library"), "{e}");
    let e = fails(&["similarity", seed], &[("ORT_DYLIB_PATH", "/bin/true")]);
    assert!(e.contains("cannot use /bin/true as ONNX Runtime"), "{e}");
}

#[test]
fn long_sentences_are_truncated_with_a_note_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.txt");
    std::fs::write(&p, format!("short one\n{}\n", "word ".repeat(2000))).unwrap();
    let out = simlens(&["similarity", p.to_str().unwrap()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 sentence(s) longer than 256 tokens were truncated"), "{err}");
}

#[test]
fn stsb_spearman_matches_published_figure() {
    let Some(file) = stsb_file() else {
        eprintln!("SKIPPED: ../shared/testdata/stsb/sts-test.csv is not present (its licence forbids bundling it)");
        return;
    };
    let out = ok(&["stsb", file.to_str().unwrap()]);
    let line = out.lines().find(|l| l.starts_with("Spearman x100:")).expect("a Spearman line");
    let value: f64 = line.trim_start_matches("Spearman x100:").trim().parse().unwrap();
    assert!((value - 82.03).abs() <= 0.01, "{out}");
    assert!(out.contains("pairs: 1379"), "{out}");
}

#[test]
fn embedding_cache_reuses_vectors_survives_damage_and_can_be_bypassed() {
    let dir = tempfile::tempdir().unwrap();
    let input = seed_file(dir.path());
    let cache = dir.path().join("cache");
    let run = |name: &str, cache_dir: &Path, extra: &[&str]| -> (Vec<u8>, String) {
        let out = dir.path().join(name);
        let o = Command::new(env!("CARGO_BIN_EXE_simlens"))
            .env("SIMLENS_CACHE_DIR", cache_dir)
            .env("RUST_LOG", "simlens=info")
            .args(["embed", input.to_str().unwrap(), "-o", out.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{err}");
        (std::fs::read(&out).unwrap(), err)
    };
    let (first, log) = run("1.npy", &cache, &[]);
    assert!(log.contains("6 of 6 sentences embedded"), "{log}");
    let (second, log) = run("2.npy", &cache, &[]);
    assert!(log.contains("0 of 6 sentences embedded"), "{log}");
    assert_eq!(first, second, "cached vectors are the computed ones, bit for bit");
    let (bypass, log) = run("3.npy", &cache, &["--no-cache"]);
    assert!(log.contains("6 sentences embedded (no embedding cache)"), "{log}");
    assert_eq!(first, bypass);

    // Damage every stored vector: each becomes a miss and is embedded again.
    let mut segments = 0;
    for ctx in std::fs::read_dir(cache.join("v1")).unwrap() {
        for seg in std::fs::read_dir(ctx.unwrap().path()).unwrap() {
            let path = seg.unwrap().path();
            let mut bytes = std::fs::read(&path).unwrap();
            for b in bytes.iter_mut().skip(64).step_by(97) {
                *b ^= 0x5a;
            }
            std::fs::write(&path, bytes).unwrap();
            segments += 1;
        }
    }
    assert!(segments > 0);
    let (repaired, log) = run("4.npy", &cache, &[]);
    assert!(log.contains("6 of 6 sentences embedded"), "{log}");
    assert_eq!(first, repaired);

    // A cache folder that cannot be created: a note, and the same result.
    let (uncached, log) = run("5.npy", Path::new("/proc/simlens-cache"), &[]);
    assert!(log.contains("embedding cache") && log.contains("unavailable"), "{log}");
    assert_eq!(first, uncached);
}

#[test]
fn streamed_npy_and_csv_equal_the_gathered_json_across_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.txt");
    let lines: String = (0..50).map(|i| format!("streamed sentence {i} about topic {}\n", i % 7)).collect();
    std::fs::write(&input, lines).unwrap();
    let input = input.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = simlens_command().env("SIMLENS_EMBED_CHUNK", "7").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let json: serde_json::Value = serde_json::from_slice(&run(&["embed", input, "--format", "json"])).unwrap();
    let want: Vec<f32> = json["embeddings"].as_array().unwrap().iter().flat_map(f32s).collect();
    let npy = dir.path().join("e.npy");
    run(&["embed", input, "--format", "npy", "-o", npy.to_str().unwrap()]);
    let (rows, cols, data) = simlens::io::npy::read_f32(&std::fs::read(&npy).unwrap()).unwrap();
    assert_eq!((rows, cols), (50, 384));
    assert_eq!(data, want, "the streamed NPY holds exactly the gathered vectors");
    let csv = run(&["embed", input, "--format", "csv"]);
    let mut r = csv::Reader::from_reader(csv.as_slice());
    let got: Vec<f32> = r
        .records()
        .flat_map(|rec| rec.unwrap().iter().skip(2).map(|x| x.parse::<f32>().unwrap()).collect::<Vec<_>>())
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(max_abs_diff(&got, &want) < 1e-6);
    // numpy reads the streamed file, where it is installed.
    let py = format!("import numpy as np; a = np.load({:?}); print(a.shape, a.dtype)", npy.to_str().unwrap());
    match std::process::Command::new("python3").args(["-c", &py]).output() {
        Ok(o) if o.status.success() => assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "(50, 384) float32"),
        _ => eprintln!("skipped the numpy check: python3 with numpy is not available"),
    }
}
