//! `-o` onto every kind of path, run through the real binary: files keep what they are,
//! devices and pipes are written into, errors say so once and exit non-zero. Device nodes
//! are made in a temp folder, never the real `/dev`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::io::{BufRead as _, Read as _};
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::*;

fn seed() -> PathBuf {
    root().join("assets").join("seed.txt")
}

fn similarity_to(out: &Path) -> Output {
    simlens_command().args(["similarity", seed().to_str().unwrap(), "-o", out.to_str().unwrap()]).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The CSV the command writes to standard output, to compare files with.
fn expected_csv() -> Vec<u8> {
    let o = simlens_command().args(["similarity", seed().to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    o.stdout
}

fn mknod(p: &Path, minor: &str) -> bool {
    std::process::Command::new("mknod")
        .arg(p)
        .args(["c", "1", minor])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn regular_files_symlinks_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    let want = expected_csv();
    // A new file.
    let fresh = dir.path().join("fresh.csv");
    assert!(similarity_to(&fresh).status.success());
    assert_eq!(std::fs::read(&fresh).unwrap(), want);
    // A private file stays private.
    let private = dir.path().join("private.csv");
    std::fs::write(&private, "old").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(similarity_to(&private).status.success());
    assert_eq!(std::fs::read(&private).unwrap(), want);
    assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    // A symlink stays a symlink; its target gets the output.
    let target = dir.path().join("target.csv");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.csv");
    symlink(&target, &link).unwrap();
    assert!(similarity_to(&link).status.success());
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), want);
    // A hard-linked file: this name gets the output, the other keeps the old content, and
    // the warning says so.
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "old").unwrap();
    std::fs::hard_link(&a, &b).unwrap();
    let o = similarity_to(&a);
    assert!(o.status.success());
    assert_eq!(std::fs::read(&a).unwrap(), want);
    assert_eq!(std::fs::read(&b).unwrap(), b"old");
    assert!(stderr(&o).contains("hard links"), "{}", stderr(&o));
}

#[test]
fn dash_and_proc_self_fd_write_to_standard_output() {
    let want = expected_csv();
    let o = simlens_command().args(["similarity", seed().to_str().unwrap(), "-o", "-"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, want);
    let o = simlens_command().args(["similarity", seed().to_str().unwrap(), "-o", "/proc/self/fd/1"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, want);
}

#[test]
fn a_fifo_gets_the_output_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.csv");
    if !std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            std::fs::File::open(fifo).unwrap().read_to_end(&mut got).unwrap();
            got
        })
    };
    let o = similarity_to(&fifo);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(reader.join().unwrap(), expected_csv());
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn device_nodes_are_written_into_and_a_full_device_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (null, full) = (dir.path().join("null"), dir.path().join("full"));
    if !(mknod(&null, "3") && mknod(&full, "7")) {
        eprintln!("skipped: making device nodes needs root (mknod)");
        return;
    }
    let o = similarity_to(&null);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&null).unwrap().file_type().is_char_device());
    let o = similarity_to(&full);
    assert_eq!(o.status.code(), Some(1), "a full device is an error");
    let err = stderr(&o);
    assert!(err.starts_with("error: cannot write") && err.contains("No space left"), "{err}");
    assert!(std::fs::symlink_metadata(&full).unwrap().file_type().is_char_device());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temp file beside the devices");
}

#[test]
fn a_folder_is_an_error_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = similarity_to(dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("is a folder"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("folder").count(), 1, "each cause once: {err}");
}

#[test]
fn a_closed_pipe_ends_the_process_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.txt");
    let lines: String = (0..3000).map(|i| format!("sentence number {i} about topic {}\n", i % 11)).collect();
    std::fs::write(&input, lines).unwrap();
    let mut child = simlens_command()
        .args(["embed", input.to_str().unwrap(), "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(!first.is_empty());
    drop(out); // as `head -1` does
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(!err.contains("error"), "quiet on a closed pipe: {err}");
    assert_eq!(status.code(), Some(141), "the status a shell gives a program ended by SIGPIPE");
}

#[test]
fn batch_size_zero_is_a_clear_error() {
    let o = simlens_command().args(["similarity", seed().to_str().unwrap(), "--batch-size", "0"]).output().unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("--batch-size") && err.contains("at least 1"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A copy of tiny-albert (128 positions) asking for `max_seq_length`, with or without its
/// config.json, run on a 400-word sentence; returns stderr.
fn run_long_albert(max_seq_length: usize, with_config: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("long-albert");
    std::fs::create_dir(&model).unwrap();
    let files: &[&str] =
        if with_config { &["config.json", "model.onnx", "tokenizer.json"] } else { &["model.onnx", "tokenizer.json"] };
    for f in files {
        std::fs::copy(albert_dir().join(f), model.join(f)).unwrap();
    }
    std::fs::write(model.join("sentence_bert_config.json"), format!(r#"{{"max_seq_length": {max_seq_length}}}"#))
        .unwrap();
    let input = dir.path().join("long.txt");
    let long: String = (0..400).map(|i| format!("word{i} ")).collect();
    std::fs::write(&input, format!("{long}\nshort one\n")).unwrap();
    let o = simlens_command()
        .args(["similarity", input.to_str().unwrap(), "--model", model.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    err
}

#[test]
fn a_max_length_past_the_position_table_is_capped_with_a_note() {
    let err = run_long_albert(5000, true);
    assert!(err.contains("5000") && err.contains("128"), "one note naming both numbers: {err}");
    assert_eq!(err.matches("5000").count(), 1, "{err}");
}

#[test]
fn without_a_config_the_graph_s_position_table_caps_the_length() {
    let err = run_long_albert(4000, false);
    assert!(err.contains("4000") && err.contains("128 positions"), "{err}");
}

#[test]
fn dev_stdout_redirected_into_a_file_appends_and_never_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("results.csv");
    std::fs::write(&file, "header line\n").unwrap();
    // `simlens … -o /dev/stdout >> results.csv`, and the same through /proc/self/fd/1.
    for target in ["/dev/stdout", "/proc/self/fd/1"] {
        let out = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
        let o = simlens_command()
            .args(["similarity", seed().to_str().unwrap(), "-o", target])
            .stdout(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let got = std::fs::read(&file).unwrap();
    let want = [b"header line\n".as_slice(), &expected_csv(), &expected_csv()].concat();
    assert_eq!(got, want, "the header stays and both outputs follow it");
}
