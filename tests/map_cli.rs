//! `simlens map --method umap`: determinism per seed, groups kept apart, the output's
//! columns and metadata, and clear errors for bad parameters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::simlens_command;

/// `groups` tight clusters of `per` unit vectors each (interleaved), with their sentences.
fn clustered(dir: &Path, groups: usize, per: usize) -> (String, String) {
    let d = 24;
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 20_001) as f32 / 10_000.0 - 1.0
    };
    let centres: Vec<Vec<f32>> = (0..groups).map(|_| (0..d).map(|_| next()).collect()).collect();
    let mut text = String::new();
    let mut data = Vec::new();
    for (g, c) in centres.iter().enumerate() {
        text.push_str(&format!("# topic {g}\n"));
        for i in 0..per {
            text.push_str(&format!("sentence {i} of topic {g}\n"));
            let v: Vec<f32> = c.iter().map(|x| x + 0.2 * next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            data.extend(v.iter().map(|x| x / norm));
        }
    }
    let (t, v) = (dir.join("topics.txt"), dir.join("topics.npy"));
    std::fs::write(&t, text).unwrap();
    let mut bytes = Vec::new();
    simlens::io::npy::write_f32(&mut bytes, groups * per, d, &data).unwrap();
    std::fs::write(&v, bytes).unwrap();
    (t.to_str().unwrap().to_owned(), v.to_str().unwrap().to_owned())
}

fn map(args: &[&str]) -> Vec<u8> {
    let out = simlens_command().arg("map").args(args).output().unwrap();
    assert!(out.status.success(), "simlens map {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn umap_is_deterministic_per_seed_and_keeps_groups_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (text, vectors) = clustered(dir.path(), 4, 150);
    let base = [text.as_str(), "--vectors", vectors.as_str(), "--method", "umap"];
    let a = map(&[&base[..], &["--seed", "7"]].concat());
    let b = map(&[&base[..], &["--seed", "7"]].concat());
    assert_eq!(a, b, "one seed, one layout, byte for byte");
    let c = map(&[&base[..], &["--seed", "8"]].concat());
    assert_ne!(a, c, "another seed, another layout");
    let csv = String::from_utf8(a).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("text,group,x,y"));
    let rows: Vec<(String, [f32; 2])> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_owned(), [f[2].parse().unwrap(), f[3].parse().unwrap()])
        })
        .collect();
    assert_eq!(rows.len(), 600);
    // Same-group share of the 10 nearest 2-D neighbours, by brute force.
    let mut same = 0usize;
    for (i, (g, p)) in rows.iter().enumerate() {
        let mut d: Vec<(f32, usize)> = rows
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(j, (_, q))| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2), j))
            .collect();
        d.sort_by(|x, y| x.partial_cmp(y).unwrap());
        same += d[..10].iter().filter(|&&(_, j)| rows[j].0 == *g).count();
    }
    let share = same as f64 / 6000.0;
    assert!(share > 0.95, "same-group share {share}");
    // JSON says what made it.
    let j: serde_json::Value =
        serde_json::from_slice(&map(
            &[&base[..], &["--format", "json", "--neighbors", "20", "--min-dist", "0.3"]].concat()
        ))
        .unwrap();
    assert_eq!(j["method"], "umap");
    assert_eq!(j["umap"]["neighbors"], 20);
    assert!((j["umap"]["min_dist"].as_f64().unwrap() - 0.3).abs() < 1e-6);
    assert_eq!(j["points"].as_array().unwrap().len(), 600);
}

#[test]
fn bad_umap_parameters_get_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (text, vectors) = clustered(dir.path(), 2, 5);
    let fail = |extra: &[&str]| {
        let out = simlens_command()
            .args(["map", text.as_str(), "--vectors", vectors.as_str(), "--method", "umap"])
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{extra:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = fail(&[]);
    assert!(e.contains("needs more than 15 sentences; there are 10"), "{e}");
    let e = fail(&["--neighbors", "1"]);
    assert!(e.contains("--neighbors 1 is out of range"), "{e}");
    let e = fail(&["--min-dist", "2"]);
    assert!(e.contains("--min-dist 2 is out of range"), "{e}");
    let out = simlens_command().args(["map", text.as_str(), "--method", "tsne"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn the_same_vectors_give_the_same_umap_by_either_path() {
    let dir = tempfile::tempdir().unwrap();
    let topics = common::root().join("assets").join("topics.txt");
    let topics = topics.to_str().unwrap();
    let table = dir.path().join("topics.parquet");
    let out = simlens_command()
        .args(["embed", topics, "--format", "parquet", "-o", table.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let umap = ["--method", "umap", "--neighbors", "5", "--seed", "3"];
    let from_model = map(&[&[topics][..], &umap].concat());
    let from_table = map(&[&["--vectors", table.to_str().unwrap()][..], &umap].concat());
    assert_eq!(
        String::from_utf8_lossy(&from_model),
        String::from_utf8_lossy(&from_table),
        "the model's vectors and the same vectors read back from embed's table give one layout"
    );
}
