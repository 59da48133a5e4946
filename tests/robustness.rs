//! Bad input everywhere it can arrive, and crash safety of writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::*;

fn simlens(args: &[&str]) -> Output {
    simlens_command().args(args).output().expect("run simlens")
}

fn assert_clean_failure(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "a clean error exit: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn kill_9_during_atomic_writes_never_leaves_a_torn_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let mut last_k = None;
    for round in 0..25u64 {
        let mut child = simlens_command().args(["stress-write", file.to_str().unwrap()]).spawn().unwrap();
        // Kill at varying points in the write cycle.
        std::thread::sleep(Duration::from_millis(20 + (round * 37) % 90));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let Ok(bytes) = std::fs::read(&file) else {
            // No write has completed yet (a slow start); once one has, the file never goes away.
            assert!(last_k.is_none(), "round {round}: the file disappeared");
            continue;
        };
        let j: serde_json::Value = serde_json::from_slice(&bytes).expect("a complete JSON document");
        let payload = j["payload"].as_str().unwrap();
        assert_eq!(payload.len() as u64, j["len"].as_u64().unwrap());
        let k = j["k"].as_u64().unwrap();
        assert_eq!(payload.as_bytes()[0], b'a' + (k % 26) as u8, "payload belongs to its counter");
        last_k = Some(k);
    }
    assert!(last_k.is_some(), "some writes completed");
}

#[test]
fn sigint_and_sigterm_during_writes_leave_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    for (round, signal) in ["TERM", "INT", "TERM", "INT", "TERM", "INT"].iter().enumerate() {
        let mut child = simlens_command().args(["stress-write", file.to_str().unwrap()]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(150 + (round as u64 * 41) % 90));
        // The shell's own `kill`, so no procps package is needed.
        let sent = std::process::Command::new("sh").arg("-c").arg(format!("kill -{signal} {}", child.id())).status();
        assert!(sent.unwrap().success());
        let status = child.wait().unwrap();
        let expected = if *signal == "TERM" { 128 + 15 } else { 128 + 2 };
        assert_eq!(status.code(), Some(expected), "round {round}: SIG{signal} ends the process with 128 + its number");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "round {round}: SIG{signal} left {left:?}");
        let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).expect("a whole document");
        assert_eq!(j["payload"].as_str().unwrap().len() as u64, j["len"].as_u64().unwrap());
    }
}

#[test]
fn odd_text_embeds_to_finite_unit_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("odd.txt");
    let lines = [
        "control \u{1} chars \u{1b}[31m and a bell \u{7}",
        "مرحبا بالعالم، كيف حالك؟",
        "שלום עולם",
        "e\u{301}te\u{301} cafe\u{301} with combining accents",
        "👩‍👩‍👧‍👦 family 👍🏽 thumbs 🇫🇷 flag",
        "zero\u{200b}width\u{200d}joiners",
        "\u{202e}right-to-left override",
        "x",
    ];
    std::fs::write(&p, lines.join("\n")).unwrap();
    let npy = dir.path().join("e.npy");
    let out = simlens(&["embed", p.to_str().unwrap(), "-o", npy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (rows, cols, v) = simlens::io::npy::read_f32(&std::fs::read(&npy).unwrap()).unwrap();
    assert_eq!((rows, cols), (lines.len(), 384));
    for row in v.chunks(cols) {
        assert!(row.iter().all(|x| x.is_finite()));
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
}

#[test]
fn a_one_megabyte_sentence_is_truncated_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.txt");
    let huge = "lorem ipsum dolor sit amet ".repeat(40_000); // ~1.1 MB on one line
    std::fs::write(&p, format!("short\n{huge}\n")).unwrap();
    let out = simlens(&["similarity", p.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["matrix"].as_array().unwrap().len(), 2);
}

#[test]
fn a_hundred_thousand_lines_embed_and_the_matrix_limit_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.txt");
    let text: String = (0..100_000).map(|i| format!("sentence number {i} about topic {}\n", i % 97)).collect();
    std::fs::write(&p, text).unwrap();
    // The random-weight tiny model keeps this fast; the path is the same as for any model.
    let npy = dir.path().join("e.npy");
    let albert = albert_dir();
    let out =
        simlens(&["embed", p.to_str().unwrap(), "--model", albert.to_str().unwrap(), "-o", npy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (rows, cols, _) = simlens::io::npy::read_f32(&std::fs::read(&npy).unwrap()).unwrap();
    assert_eq!((rows, cols), (100_000, 32));
    let err = assert_clean_failure(&simlens(&["similarity", p.to_str().unwrap()]));
    assert!(err.contains("100000 sentences would make a 40.0 GB similarity matrix"), "{err}");
}

#[test]
fn bad_files_are_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 6] = [
        ("binary.txt", b"hello\n\x00\x01\x02binary", "binary.txt:2: the file contains NUL bytes"),
        ("utf16.txt", b"\xff\xfeh\x00i\x00", "NUL bytes"),
        ("dup.csv", b"text,text\na,b\n", "more than one `text` column"),
        ("ragged.csv", b"text,group\n\"a, quoted\",g\nb,g,extra\n", "ragged.csv:3: this row has 3 fields"),
        ("empty.csv", b"", "no `text` column"),
        ("headers_only.csv", b"text,group\n", "no sentences found"),
    ];
    for (name, bytes, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let err = assert_clean_failure(&simlens(&["similarity", p.to_str().unwrap()]));
        assert!(err.contains(want), "{name}: {err}");
    }
    // BOM, CRLF and blank lines are fine.
    let p = dir.path().join("crlf.txt");
    std::fs::write(&p, b"\xef\xbb\xbf# A\r\none\r\n\r\ntwo\r\n").unwrap();
    let out = simlens(&["similarity", p.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["labels"], serde_json::json!(["one", "two"]));
    assert_eq!(j["group_names"], serde_json::json!(["A"]));
}

#[test]
fn unwritable_destinations_are_errors_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let seed = root().join("assets").join("seed.txt");
    // /proc refuses new files even for root.
    let err = assert_clean_failure(&simlens(&["similarity", seed.to_str().unwrap(), "-o", "/proc/simlens-test.csv"]));
    assert!(err.contains("cannot write /proc/simlens-test.csv"), "{err}");
    let err = assert_clean_failure(&simlens(&[
        "similarity",
        seed.to_str().unwrap(),
        "-o",
        dir.path().join("no/such/dir/m.csv").to_str().unwrap(),
    ]));
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_full_disk_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    simlens::io::atomic_write(&p, |w| w.write_all(b"old")).unwrap();
    let err = simlens::io::atomic_write(&p, |w| {
        w.write_all(b"partial new content")?;
        Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
    })
    .unwrap_err();
    assert!(err.to_string().contains("cannot write"), "{err}");
    assert_eq!(std::fs::read(&p).unwrap(), b"old");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");
}

/// Replaces every occurrence of `from` with `to` (same length) in the graph file, which
/// renames an input or output consistently without breaking the protobuf.
fn patched_albert(dir: &Path, pairs: &[(&str, &str)]) -> std::path::PathBuf {
    let out = dir.join(pairs.iter().map(|p| p.1).collect::<Vec<_>>().join("_"));
    std::fs::create_dir_all(&out).unwrap();
    for f in ["tokenizer.json", "config.json"] {
        std::fs::copy(albert_dir().join(f), out.join(f)).unwrap();
    }
    let mut bytes = std::fs::read(albert_dir().join("model.onnx")).unwrap();
    for (from, to) in pairs {
        assert_eq!(from.len(), to.len());
        let (from, to) = (from.as_bytes(), to.as_bytes());
        let mut i = 0;
        let mut hits = 0;
        while i + from.len() <= bytes.len() {
            if &bytes[i..i + from.len()] == from {
                bytes[i..i + from.len()].copy_from_slice(to);
                hits += 1;
            }
            i += 1;
        }
        assert!(hits > 0);
    }
    std::fs::write(out.join("model.onnx"), bytes).unwrap();
    out
}

#[test]
fn graphs_with_other_input_or_output_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let load =
        |p: &Path| simlens::engine::load_model(p, simlens::engine::LoadOptions::default()).err().map(|e| e.to_string());
    let e = load(&patched_albert(dir.path(), &[("input_ids", "input_idz")])).expect("refused");
    assert!(e.contains("graph input `input_idz` is not one simlens can feed"), "{e}");
    let e = load(&patched_albert(
        dir.path(),
        &[("last_hidden_state", "last_hidden_statz"), ("pooler_output", "pooler_outpuz")],
    ))
    .expect("refused");
    assert!(e.contains("none of the outputs simlens reads") && e.contains("pooler_outpuz"), "{e}");
    // Only the pooled output renamed: the model loads, and `pooled` is refused by name.
    let p = patched_albert(dir.path(), &[("pooler_output", "pooler_outpuz")]);
    let mut m = simlens::engine::load_model(&p, simlens::engine::LoadOptions::default()).unwrap();
    use simlens::engine::Embedder as _;
    let err = m.embed(&["hello"], simlens::engine::Pooling::Pooled, &mut |_, _| true).unwrap_err();
    assert!(err.to_string().contains("no pooled output"), "{err}");
}
