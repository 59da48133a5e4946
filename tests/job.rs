//! `simlens export-job` and `simlens verify`: the job's `SimlensEmbedder`, run in plain
//! Python (onnxruntime, tokenizers, numpy, pyarrow, as `.ci/run` installs them), gives
//! simlens's vectors within 1e-5, and `verify` tells a matching table from a wrong one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn simlens(args: &[&str]) -> std::process::Output {
    simlens_command().args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = simlens(args);
    assert!(o.status.success(), "simlens {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Runs `code` with python3 when it has the job's packages; `None` (and a note) when not.
fn python(code: &str, cwd: &Path) -> Option<String> {
    let probe = Command::new("python3").args(["-c", "import onnxruntime, tokenizers, numpy, pyarrow"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIPPED: python3 with onnxruntime, tokenizers, numpy and pyarrow is not available (.ci/run installs them)"
        );
        return None;
    }
    let o = Command::new("python3").args(["-c", code]).current_dir(cwd).output().unwrap();
    assert!(o.status.success(), "python failed: {}", String::from_utf8_lossy(&o.stderr));
    Some(String::from_utf8(o.stdout).unwrap())
}

const TEXTS: [&str; 8] = [
    "I like my phone",
    "My phone is not good.",
    "Recently a lot of hurricanes have hit the US",
    "Global warming is real",
    "How old are you?",
    "what is your age?",
    "Ça va? Très bien, merci — et toi?",
    "A much longer sentence about the weather, which will be sunny in the morning and rainy in the evening, they say.",
];

fn sentences(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("in.txt");
    std::fs::write(&p, TEXTS.join("\n") + "\n").unwrap();
    p
}

fn read_npy(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    simlens::io::npy::read_f32(&bytes).unwrap().2
}

/// Exports a job with `extra` flags, embeds TEXTS with it in Python (to job.npy, and to a
/// Parquet table `embedded.parquet` with text and embedding), and with simlens (to simlens.npy).
fn job_and_simlens(dir: &Path, extra: &[&str]) -> Option<(Vec<f32>, Vec<f32>)> {
    let job = dir.join("job");
    let mut args = vec!["export-job", "--engine", "ray", "-o", job.to_str().unwrap()];
    args.extend_from_slice(extra);
    ok(&args);
    for f in
        ["model/model.onnx", "model/tokenizer.json", "pipeline.json", "requirements.txt", "simlens_job.py", "README.md"]
    {
        assert!(job.join(f).is_file(), "the job has {f}");
    }
    let pipeline = read_json(&job.join("pipeline.json"));
    assert_eq!(pipeline["normalize"], true);
    assert!(pipeline["model_hash"].as_str().unwrap().len() >= 32);
    let req = std::fs::read_to_string(job.join("requirements.txt")).unwrap();
    assert!(req.contains("onnxruntime==1.31.1") && req.contains("tokenizers") && req.contains("pyarrow"), "{req}");
    let input = sentences(dir);
    let code = format!(
        r#"
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
sys.path.insert(0, {job:?})
from simlens_job import SimlensEmbedder
e = SimlensEmbedder()  # no arguments: it finds its files beside the module
texts = [l for l in open({input:?}, encoding="utf-8").read().split("\n") if l.strip()]
batch = e({{"text": np.array(texts), "id": np.arange(len(texts))}})
assert batch["embedding"].dtype == np.float32 and batch["embedding"].shape[0] == len(texts)
assert list(batch["id"]) == list(range(len(texts))), "other columns are kept"
np.save("job.npy", batch["embedding"])
emb = pa.FixedSizeListArray.from_arrays(pa.array(batch["embedding"].reshape(-1)), batch["embedding"].shape[1])
pq.write_table(pa.table({{"text": texts, "embedding": emb}}), "embedded.parquet")
print(len(texts))
"#,
        job = job.display().to_string(),
        input = input.display().to_string()
    );
    python(&code, dir)?;
    let mut args = vec!["embed", input.to_str().unwrap(), "-o", "simlens.npy"];
    args.extend_from_slice(extra);
    let o = simlens_command().args(&args).current_dir(dir).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some((read_npy(&dir.join("job.npy")), read_npy(&dir.join("simlens.npy"))))
}

#[test]
fn the_job_embeds_as_simlens_does_and_verify_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let Some((job, here)) = job_and_simlens(dir.path(), &[]) else { return };
    let d = max_abs_diff(&job, &here);
    eprintln!("fp32 job vs simlens: max |Δ| {d:.2e}");
    assert!(d <= 1e-5, "the job's vectors differ from simlens's by {d}");
    let table = dir.path().join("embedded.parquet");
    let out = ok(&["verify", "--vectors", table.to_str().unwrap(), "--sample", "5"]);
    assert!(out.starts_with("ok: 5 of 8 rows"), "{out}");
    // The same table checked against another pooling fails, and says why.
    let o = simlens(&["verify", "--vectors", table.to_str().unwrap(), "--pooling", "cls"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("more than 1e-5") && err.contains("another model, pooling or precision"), "{err}");
}

#[test]
fn an_int8_job_ships_simlens_int8_graph_and_matches_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some((job, here)) = job_and_simlens(dir.path(), &["--precision", "int8"]) else { return };
    let d = max_abs_diff(&job, &here);
    eprintln!("int8 job vs simlens int8: max |Δ| {d:.2e}");
    assert!(d <= 1e-5, "{d}");
    let pipeline = read_json(&dir.path().join("job/pipeline.json"));
    assert_eq!(pipeline["precision"], "int8");
    let table = dir.path().join("embedded.parquet");
    ok(&["verify", "--vectors", table.to_str().unwrap(), "--precision", "int8"]);
}

#[test]
fn a_folder_of_parquet_parts_reads_as_one_table() {
    // As Spark and Ray write a table: parts in a folder, with a _SUCCESS marker.
    let dir = tempfile::tempdir().unwrap();
    let input = sentences(dir.path());
    let all = dir.path().join("all.parquet");
    ok(&["embed", input.to_str().unwrap(), "--format", "parquet", "-o", all.to_str().unwrap()]);
    let code = format!(
        r#"
import pyarrow.parquet as pq, os
t = pq.read_table({all:?})
os.makedirs("out/sub", exist_ok=True)
pq.write_table(t.slice(0, 3), "out/part-00000.parquet")
pq.write_table(t.slice(3), "out/sub/part-00001.parquet")
open("out/_SUCCESS", "w").close()
open("out/.part-00000.parquet.crc", "w").write("x")
"#,
        all = all.display().to_string()
    );
    let probe = Command::new("python3").args(["-c", "import pyarrow"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: python3 with pyarrow is not available");
        return;
    }
    let o = Command::new("python3").args(["-c", &code]).current_dir(dir.path()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let whole = ok(&["similarity", "--vectors", all.to_str().unwrap()]);
    let parts = ok(&["similarity", "--vectors", dir.path().join("out").to_str().unwrap()]);
    assert_eq!(whole, parts);
    let out = ok(&["verify", "--vectors", dir.path().join("out").to_str().unwrap()]);
    assert!(out.starts_with("ok: 8 of 8 rows"), "{out}");
}

#[test]
fn interleaved_groups_keep_each_vector_with_its_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "text,group\nI like my phone,A\nIt will rain,B\nMy phone is not good.,A\nSnow tomorrow,B\n")
        .unwrap();
    let table = dir.path().join("v.parquet");
    ok(&["embed", csv.to_str().unwrap(), "--format", "parquet", "-o", table.to_str().unwrap()]);
    // Interleave the rows of the table (A, B, A, B is what the file already has once read
    // back grouped; write it ungrouped with pyarrow to make sure).
    let code = format!(
        r#"
import pyarrow.parquet as pq, pyarrow.compute as pc
t = pq.read_table({p:?})
idx = [0, 2, 1, 3]
pq.write_table(t.take(idx), {p:?})
print(t.take(idx).column("group").to_pylist())
"#,
        p = table.display().to_string()
    );
    let probe = Command::new("python3").args(["-c", "import pyarrow"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: python3 with pyarrow is not available");
        return;
    }
    let o = Command::new("python3").args(["-c", &code]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "['A', 'B', 'A', 'B']");
    let from_vectors = ok(&["similarity", "--vectors", table.to_str().unwrap()]);
    let from_text = ok(&["similarity", csv.to_str().unwrap()]);
    let parse = |s: &str| -> Vec<f32> {
        s.lines()
            .skip(1)
            .flat_map(|l| l.split(',').skip(1).map(|v| v.parse::<f32>().unwrap()).collect::<Vec<_>>())
            .collect()
    };
    assert_eq!(from_vectors.lines().next(), from_text.lines().next(), "the same sentences in the same order");
    assert!(max_abs_diff(&parse(&from_vectors), &parse(&from_text)) < 1e-6, "{from_vectors}\n{from_text}");
}
