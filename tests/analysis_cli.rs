//! `search`, `pairs` and `misfits` from the command line, checked against the
//! similarity matrix the `similarity` command prints for the same input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::simlens_command;

fn run(args: &[&str]) -> String {
    let out = simlens_command().args(args).output().unwrap();
    assert!(out.status.success(), "simlens {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn matrix(input: &str) -> (Vec<String>, Vec<String>, Vec<Vec<f32>>) {
    let j: serde_json::Value = serde_json::from_str(&run(&["similarity", input, "--format", "json"])).unwrap();
    let labels = j["labels"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    let groups = j["groups"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    let m = j["matrix"].as_array().unwrap().iter().map(common::f32s).collect();
    (labels, groups, m)
}

#[test]
fn search_ranks_like_the_matrix() {
    let seed = common::root().join("assets").join("seed.txt");
    let seed = seed.to_str().unwrap();
    let (labels, _, m) = matrix(seed);
    // Query with a sentence of the set: its row of the matrix is the expected ranking.
    let j: serde_json::Value =
        serde_json::from_str(&run(&["search", seed, "--query", "How old are you?", "-k", "3", "--json"])).unwrap();
    let results = j["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let row = &m[4];
    let mut want: Vec<usize> = (0..labels.len()).collect();
    want.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
    for (r, &w) in results.iter().zip(&want) {
        assert_eq!(r["index"].as_u64().unwrap() as usize, w);
        assert!((r["score"].as_f64().unwrap() as f32 - row[w]).abs() < 1e-5);
    }
    assert_eq!(results[0]["text"], "How old are you?");
    assert_eq!(results[1]["text"], "what is your age?");
    let text = run(&["search", seed, "--query", "storms and climate", "-k", "2"]);
    assert!(text.lines().count() == 2 && text.contains("[Weather]"), "{text}");
}

#[test]
fn pairs_match_the_thresholded_matrix() {
    let seed = common::root().join("assets").join("seed.txt");
    let seed = seed.to_str().unwrap();
    let (labels, groups, m) = matrix(seed);
    for (scope, threshold) in [("all", "0.2"), ("within", "0.2"), ("across", "0.1")] {
        let t: f32 = threshold.parse().unwrap();
        let out = run(&["pairs", seed, "--threshold", threshold, "--scope", scope]);
        let mut rd = csv::Reader::from_reader(out.as_bytes());
        let got: Vec<(usize, usize)> = rd
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[1].parse().unwrap(), r[2].parse().unwrap())
            })
            .collect();
        let mut want: Vec<(usize, usize, f32)> = Vec::new();
        for i in 0..labels.len() {
            for j in (i + 1)..labels.len() {
                let same = groups[i] == groups[j];
                let ok = match scope {
                    "within" => same,
                    "across" => !same,
                    _ => true,
                };
                if ok && m[i][j] >= t {
                    want.push((i, j, m[i][j]));
                }
            }
        }
        want.sort_by(|a, b| b.2.total_cmp(&a.2));
        assert!(!want.is_empty());
        assert_eq!(got, want.iter().map(|w| (w.0, w.1)).collect::<Vec<_>>(), "{scope}");
    }
}

#[test]
fn misfits_find_the_sentence_in_the_wrong_group() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mixed.txt");
    std::fs::write(
        &p,
        "# Weather\nHow old are you?\nGlobal warming is real\nRecently a lot of hurricanes have hit the US\n\n# Age\nwhat is your age?\nWhen were you born?\n",
    )
    .unwrap();
    let input = p.to_str().unwrap();
    let (_, groups, m) = matrix(input);
    let j: serde_json::Value = serde_json::from_str(&run(&["misfits", input, "--json"])).unwrap();
    let list = j.as_array().unwrap();
    assert_eq!(list.len(), 1, "{j}");
    assert_eq!(list[0]["text"], "How old are you?");
    assert_eq!(list[0]["closer_group"], "Age");
    // The centroid rule equals the mean of the matrix entries.
    let own = (m[0][1] + m[0][2]) / 2.0;
    let closer = (m[0][3] + m[0][4]) / 2.0;
    assert!((list[0]["own"].as_f64().unwrap() as f32 - own).abs() < 1e-5);
    assert!((list[0]["closer"].as_f64().unwrap() as f32 - closer).abs() < 1e-5);
    assert_eq!(groups[0], "Weather");
    let seed = common::root().join("assets").join("seed.txt");
    assert!(run(&["misfits", seed.to_str().unwrap()]).contains("No misfits"));
}

#[test]
fn compare_reports_rank_correlation_and_writes_the_difference() {
    let seed = common::root().join("assets").join("seed.txt");
    let seed = seed.to_str().unwrap();
    let sims = |pooling: &str| -> Vec<Vec<f32>> {
        let j: serde_json::Value =
            serde_json::from_str(&run(&["similarity", seed, "--format", "json", "--pooling", pooling])).unwrap();
        j["matrix"].as_array().unwrap().iter().map(common::f32s).collect()
    };
    let (a, b) = (sims("mean"), sims("cls"));
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("diff.json");
    let out = run(&["compare", seed, "--pooling", "mean", "--pooling-b", "cls", "-o", out_path.to_str().unwrap()]);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in 0..6 {
        for j in (i + 1)..6 {
            xs.push(f64::from(a[i][j]));
            ys.push(f64::from(b[i][j]));
        }
    }
    let want = simlens::engine::similarity::spearman(&xs, &ys);
    let line = out.lines().find(|l| l.starts_with("Spearman (off-diagonal):")).unwrap();
    let got: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((got - want).abs() < 1e-4, "{out}");
    assert!(out.contains("pairs: 15"));
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    let diff: Vec<Vec<f32>> = j["matrix"].as_array().unwrap().iter().map(common::f32s).collect();
    for i in 0..6 {
        for k in 0..6 {
            assert!((diff[i][k] - (b[i][k] - a[i][k])).abs() < 1e-5);
        }
    }
    assert!(j["metric"].as_str().unwrap().starts_with("difference of cosine similarities"));
}

#[test]
fn explain_json_adds_up_to_the_matrix_cell() {
    let seed = common::root().join("assets").join("seed.txt");
    let (labels, _, m) = matrix(seed.to_str().unwrap());
    let j: serde_json::Value = serde_json::from_str(&run(&["explain", &labels[0], &labels[1], "--json"])).unwrap();
    for key in ["model", "pooling", "score", "method", "tokens_a", "tokens_b", "token_scores_a", "token_scores_b"] {
        assert!(j.get(key).is_some(), "{key} missing: {j}");
    }
    assert_eq!(j["method"], "exact");
    assert_eq!(j["tokens_a"][0], "[CLS]");
    let score = j["score"].as_f64().unwrap() as f32;
    assert!((score - m[0][1]).abs() < 1e-5, "{score} vs the matrix's {}", m[0][1]);
    let c: Vec<Vec<f32>> = j["contributions"].as_array().unwrap().iter().map(common::f32s).collect();
    assert_eq!(c.len(), j["tokens_a"].as_array().unwrap().len());
    assert!(c.iter().all(|r| r.len() == j["tokens_b"].as_array().unwrap().len()));
    let total: f32 = c.iter().flatten().sum();
    assert!((total - score).abs() < 1e-4, "{total} vs {score}");
}

#[test]
fn explain_groups_adds_up_to_the_group_cell_and_names_bad_groups() {
    let seed = common::root().join("assets").join("seed.txt");
    let seed = seed.to_str().unwrap();
    let j: serde_json::Value =
        serde_json::from_str(&run(&["explain", seed, "--groups", "Smartphones", "Weather", "--top", "1000", "--json"]))
            .unwrap();
    let report: serde_json::Value = serde_json::from_str(&run(&["similarity", seed, "--format", "json"])).unwrap();
    let cell = report["group_matrix"][0][1].as_f64().unwrap() as f32;
    let score = j["score"].as_f64().unwrap() as f32;
    assert!((score - cell).abs() < 1e-5, "{score} vs {cell}");
    let sum: f32 = j["tokens"].as_array().unwrap().iter().map(|t| t["value"].as_f64().unwrap() as f32).sum();
    assert!((sum - score).abs() < 1e-5);
    let out = simlens_command().args(["explain", seed, "--groups", "Smartphones", "Nope"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no group named “Nope”"));
}

#[test]
fn vectors_from_a_file_give_the_text_path_s_results() {
    let dir = tempfile::tempdir().unwrap();
    let seed = common::root().join("assets").join("seed.txt");
    let seed = seed.to_str().unwrap();
    let npy = dir.path().join("v.npy");
    run(&["embed", seed, "-o", npy.to_str().unwrap()]);
    let npy = npy.to_str().unwrap();
    let text: serde_json::Value = serde_json::from_str(&run(&["similarity", seed, "--format", "json"])).unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&run(&["similarity", seed, "--format", "json", "--vectors", npy])).unwrap();
    let flat =
        |j: &serde_json::Value| j["matrix"].as_array().unwrap().iter().flat_map(common::f32s).collect::<Vec<_>>();
    assert!(common::max_abs_diff(&flat(&text), &flat(&file)) < 1e-6);
    assert!(file["model"].as_str().unwrap().starts_with("vectors from"), "{}", file["model"]);
    assert!(file["pooling"].is_null(), "no model, no pooling: {}", file["pooling"]);
    // The same pairs and misfits; scores within 1e-6 (the file's rows are normalised again).
    let same = |a: &str, b: &str| {
        a.lines().count() == b.lines().count()
            && a.lines().zip(b.lines()).all(|(x, y)| {
                x.split(',').zip(y.split(',')).all(|(p, q)| match (p.parse::<f32>(), q.parse::<f32>()) {
                    (Ok(p), Ok(q)) => (p - q).abs() < 1e-6,
                    _ => p == q,
                })
            })
    };
    for cmd in [&["pairs", seed, "--threshold", "0.2"][..], &["misfits", seed][..]] {
        let with: Vec<&str> = cmd.iter().copied().chain(["--vectors", npy]).collect();
        let (a, b) = (run(cmd), run(&with));
        assert!(same(&a, &b), "{cmd:?}:\n{a}\n{b}");
    }
    // A file of other sentences: the error names both counts.
    let other = dir.path().join("three.txt");
    std::fs::write(&other, "a\nb\nc\n").unwrap();
    let out = simlens_command().args(["similarity", other.to_str().unwrap(), "--vectors", npy]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has 6 vectors but the input has 3 sentences"), "{err}");
}
