//! The analyses over vectors, from a model or a vectors file: paraphrase pairs, the 2-D map
//! and misfits, in CSV, JSON or Parquet.

use super::*;

/// The sentences and their vectors (from the model or the vectors file), and what made them.
fn set_and_vectors(
    input: Option<&Path>,
    source: &Source<'_>,
) -> Result<(SentenceSet, engine::Embeddings, String, Option<Pooling>)> {
    source.set_and_vectors(input)
}

pub(super) fn pairs(
    input: Option<&Path>,
    threshold: f32,
    top: usize,
    scope: PairScope,
    source: &Source<'_>,
    format: &str,
    output: Option<&Path>,
) -> Result<()> {
    let (set, emb, model, pooling) = set_and_vectors(input, source)?;
    let (texts, groups) = set.flatten();
    let found = analysis::mine_pairs(&emb, &groups, threshold, scope, top);
    let name = |i: usize| set.groups[groups[i]].name.as_str();
    if format == "parquet" {
        let score: Vec<f32> = found.iter().map(|p| p.score).collect();
        let (i, j): (Vec<u64>, Vec<u64>) = found.iter().map(|p| (p.i as u64, p.j as u64)).unzip();
        let text = |f: fn(&analysis::Pair) -> usize| -> Vec<&str> { found.iter().map(|p| texts[f(p)]).collect() };
        let group = |f: fn(&analysis::Pair) -> usize| -> Vec<&str> { found.iter().map(|p| name(f(p))).collect() };
        let (ti, tj, gi, gj) = (text(|p| p.i), text(|p| p.j), group(|p| p.i), group(|p| p.j));
        use crate::io::parquet::Column;
        let columns = [
            ("score", Column::Float(&score)),
            ("i", Column::Index(&i)),
            ("j", Column::Index(&j)),
            ("text_i", Column::Text(&ti)),
            ("text_j", Column::Text(&tj)),
            ("group_i", Column::Text(&gi)),
            ("group_j", Column::Text(&gj)),
        ];
        let mut meta =
            vec![("simlens.source".to_owned(), model), ("simlens.threshold".to_owned(), threshold.to_string())];
        meta.extend(pooling.map(|p| ("simlens.pooling".to_owned(), p.to_string())));
        return parquet_out(output, &columns, &meta);
    }
    write_out(output, false, |w| {
        if format == "json" {
            let rows: Vec<_> = found
                .iter()
                .map(|p| {
                    serde_json::json!({ "score": p.score, "i": p.i, "j": p.j, "text_i": texts[p.i], "text_j": texts[p.j], "group_i": name(p.i), "group_j": name(p.j) })
                })
                .collect();
            serde_json::to_writer_pretty(
                &mut *w,
                &serde_json::json!({ "threshold": threshold, "scope": scope, "pairs": rows }),
            )?;
            return writeln!(w);
        }
        let mut cw = csv::Writer::from_writer(w);
        cw.write_record(["score", "i", "j", "text_i", "text_j", "group_i", "group_j"])?;
        for p in &found {
            cw.write_record([
                p.score.to_string(),
                p.i.to_string(),
                p.j.to_string(),
                texts[p.i].to_owned(),
                texts[p.j].to_owned(),
                name(p.i).to_owned(),
                name(p.j).to_owned(),
            ])?;
        }
        cw.flush()
    })
}

/// A Parquet table to `-o FILE` (or `-o -`), atomically.
fn parquet_out(
    output: Option<&Path>,
    columns: &[(&str, crate::io::parquet::Column<'_>)],
    meta: &[(String, String)],
) -> Result<()> {
    let Some(out) = output else {
        return Err(Error::input(
            None,
            "parquet is binary: give an output file with -o FILE.parquet (or -o - for stdout)",
        ));
    };
    crate::io::atomic_write(out, |w| crate::io::parquet::write_columns(w, columns, meta))
}

/// How `simlens map` lays the vectors out.
#[derive(Debug, Clone, Copy)]
pub(super) enum MapMethod {
    /// The two principal components.
    Pca,
    /// UMAP with these parameters.
    Umap(engine::umap::UmapParams),
}

pub(super) fn map(
    input: Option<&Path>,
    method: MapMethod,
    source: &Source<'_>,
    format: &str,
    output: Option<&Path>,
) -> Result<()> {
    if format == "parquet" && output.is_none() {
        return parquet_out(None, &[], &[]);
    }
    let (set, mut emb, model, pooling) = set_and_vectors(input, source)?;
    let (texts, groups) = set.flatten();
    let mut meta = vec![("simlens.source".to_owned(), model.clone())];
    let (method_name, points, explained) = match method {
        MapMethod::Pca => {
            let p = engine::project::pca_2d(&emb);
            meta.push(("simlens.explained_variance".to_owned(), format!("{} {}", p.explained[0], p.explained[1])));
            ("pca", p.points, Some(p.explained))
        }
        MapMethod::Umap(params) => {
            // The stages as a progress bar (on a terminal, past a second).
            let mut bar = Progress::new("umap");
            // The stages take unequal times: the elapsed time, not a rate or an ETA.
            if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {wide_bar} {elapsed}") {
                bar.bar.set_style(style);
            }
            // The vectors go to the neighbour search unless the Parquet output needs them.
            let vectors = if format == "parquet" {
                emb.clone()
            } else {
                let dim = emb.dim;
                std::mem::replace(&mut emb, engine::Embeddings::empty(dim))
            };
            let points = engine::umap::umap_2d_owned(vectors, &params, &mut |p| {
                bar.bar.set_message(format!("umap: {}", p.label()));
                // Per mille of the run, each stage an equal part.
                bar.update((p.fraction() * 1000.0) as usize, 1000)
            })?;
            meta.extend([
                ("simlens.umap.neighbors".to_owned(), params.neighbors.to_string()),
                ("simlens.umap.min_dist".to_owned(), params.min_dist.to_string()),
                ("simlens.umap.seed".to_owned(), params.seed.to_string()),
                ("simlens.umap.metric".to_owned(), "cosine".to_owned()),
            ]);
            ("umap", points, None)
        }
    };
    meta.push(("simlens.map".to_owned(), method_name.to_owned()));
    meta.push(("simlens.version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()));
    let names: Vec<&str> = groups.iter().map(|&g| set.groups[g].name.as_str()).collect();
    let (x, y): (Vec<f32>, Vec<f32>) = points.iter().map(|p| (p[0], p[1])).unzip();
    meta.extend(pooling.map(|p| ("simlens.pooling".to_owned(), p.to_string())));
    match format {
        "parquet" => {
            use crate::io::parquet::Column;
            let columns = [
                ("text", Column::Text(&texts)),
                ("group", Column::Text(&names)),
                ("embedding", Column::Vectors(&emb)),
                ("x", Column::Float(&x)),
                ("y", Column::Float(&y)),
            ];
            parquet_out(output, &columns, &meta)
        }
        "json" => write_out(output, false, |w| {
            let points: Vec<_> = (0..texts.len())
                .map(|k| serde_json::json!({ "text": texts[k], "group": names[k], "x": x[k], "y": y[k] }))
                .collect();
            let mut v =
                serde_json::json!({ "method": method_name, "source": model, "pooling": pooling, "points": points });
            match method {
                MapMethod::Pca => v["explained_variance"] = serde_json::json!(explained),
                MapMethod::Umap(p) => {
                    v["umap"] = serde_json::json!({ "neighbors": p.neighbors, "min_dist": p.min_dist, "seed": p.seed, "metric": "cosine" })
                }
            }
            serde_json::to_writer_pretty(&mut *w, &v)?;
            writeln!(w)
        }),
        _ => write_out(output, false, |w| {
            let mut cw = csv::Writer::from_writer(w);
            cw.write_record(["text", "group", "x", "y"])?;
            for k in 0..texts.len() {
                cw.write_record([texts[k], names[k], &x[k].to_string(), &y[k].to_string()])?;
            }
            cw.flush()
        }),
    }
}

pub(super) fn misfits(input: Option<&Path>, source: &Source<'_>, json: bool) -> Result<()> {
    let (set, emb, _, _) = set_and_vectors(input, source)?;
    let (texts, groups) = set.flatten();
    let found = analysis::misfits(&emb, &groups, set.groups.len());
    write_out(None, false, |w| {
        if json {
            let rows: Vec<_> = found
                .iter()
                .map(|m| {
                    serde_json::json!({ "index": m.index, "text": texts[m.index], "group": set.groups[groups[m.index]].name, "own": m.own, "closer_group": set.groups[m.closer_group].name, "closer": m.closer })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *w, &rows)?;
            return writeln!(w);
        }
        if found.is_empty() {
            return writeln!(w, "No misfits: every sentence is closest, on average, to its own group.");
        }
        for m in &found {
            writeln!(
                w,
                "[{}] {}\n    mean similarity to its group {:.3} < to {} {:.3}",
                set.groups[groups[m.index]].name, texts[m.index], m.own, set.groups[m.closer_group].name, m.closer
            )?;
        }
        Ok(())
    })
}
