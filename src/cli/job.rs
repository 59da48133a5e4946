//! `simlens export-job`: the pipeline as a self-contained folder for Ray Data or Spark, and
//! `simlens verify`: a sample of what such a job wrote, re-embedded here.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::args::ModelArgs;
use super::common::{load, warn, write_out};
use crate::engine::{self, Embedder as _, LoadOptions, Pooling, Precision};
use crate::{Error, Result};

/// Arguments of `simlens export-job`.
#[derive(Debug, Args)]
pub struct ExportJobArgs {
    /// ray or spark.
    #[arg(long)]
    engine: JobEngine,
    #[command(flatten)]
    model: ModelArgs,
    /// The folder to create (must be new or empty).
    #[arg(short, long)]
    output: PathBuf,
}

/// Arguments of `simlens verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The table to check.
    #[arg(long)]
    vectors: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Rows to re-embed, evenly spaced (at least 1).
    #[arg(long, default_value_t = 1000, value_parser = sample_size)]
    sample: usize,
    /// Largest allowed difference of any vector component (a finite number, 0 or more).
    #[arg(long, default_value_t = 1e-5, value_parser = tolerance, allow_hyphen_values = true)]
    tolerance: f32,
}

/// A distributed engine to hand the pipeline to: ray (Ray Data's `map_batches`) or spark
/// (`predict_batch_udf`). (No doc comments on the variants: see `args`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JobEngine {
    Ray,
    Spark,
}

impl JobEngine {
    /// The name in `pipeline.json` and on the command line.
    fn as_str(self) -> &'static str {
        match self {
            JobEngine::Ray => "ray",
            JobEngine::Spark => "spark",
        }
    }
}

/// Refuses an output that cannot become the job's folder, saying what it is.
fn check_new_folder(out: &Path) -> Result<()> {
    let refuse = |message: String| Err(Error::Input { path: Some(out.to_path_buf()), line: None, message });
    let Ok(meta) = std::fs::symlink_metadata(out) else { return Ok(()) };
    if meta.file_type().is_symlink() && !out.exists() {
        let to = std::fs::read_link(out).map(|t| t.display().to_string()).unwrap_or_default();
        return refuse(format!("is a symbolic link to {to}, which does not exist; give a new folder for the job"));
    }
    if out.is_dir() {
        let empty = std::fs::read_dir(out).map_err(|e| Error::io("cannot read", out, e))?.next().is_none();
        return if empty { Ok(()) } else { refuse("exists and is not empty; give a new folder for the job".into()) };
    }
    refuse("is a file, not a folder; give a new folder for the job".into())
}

/// `--sample`: a whole number of rows, at least 1 (0 would check nothing and pass).
fn sample_size(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("a sample of 0 rows checks nothing; give --sample 1 or more (default 1000)".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number of rows; give --sample 1 or more (default 1000)")),
    }
}

/// `--tolerance`: finite and not negative, or every comparison would fail (or pass) for
/// the wrong reason.
fn tolerance(s: &str) -> std::result::Result<f32, String> {
    match s.parse::<f32>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        Ok(_) => Err(format!("--tolerance {s} must be a finite number, 0 or more (default 1e-5)")),
        Err(_) => Err(format!("`{s}` is not a number; give --tolerance as a finite number, 0 or more (default 1e-5)")),
    }
}

const JOB_PY: &str = include_str!("job/simlens_job.py");

/// What the job's Python side pins: the runtime simlens is tested with, by package name.
fn requirements() -> String {
    format!(
        "# simlens's pipeline: the runtime simlens is built against, the same tokenizers crate\n\
         onnxruntime=={}\ntokenizers\nnumpy\npyarrow\n",
        engine::runtime::ORT_VERSION
    )
}

/// Writes the job folder for the model, pooling and precision of `args`.
pub(super) fn export_job(job: &ExportJobArgs) -> Result<()> {
    let (engine_kind, args, out) = (job.engine, &job.model, job.output.as_path());
    check_new_folder(out)?;
    let (mut embedder, pooling) = load(args)?;
    let info = embedder.info().clone();
    let folder = engine::ModelFolder::open(args.model.clone().unwrap_or_else(engine::bundled_model_dir))?;
    let dim = embedder.embed(&["simlens"], pooling, &mut |_, _| true)?.dim;
    let model_dir = out.join("model");
    std::fs::create_dir_all(&model_dir).map_err(|e| Error::io("cannot create", &model_dir, e))?;
    let graph = model_dir.join("model.onnx");
    match &info.precision {
        Precision::Fp32 => copy_graph(&folder.onnx, &graph)?,
        Precision::Shipped(stem) => {
            let file = info.shipped.iter().find(|g| &g.stem == stem).map(|g| g.path.clone());
            copy_graph(&file.unwrap_or_else(|| folder.onnx.clone()), &graph)?;
        }
        Precision::Int8 => {
            // The graph the session runs: from the cache, or made again the same way.
            let runtime = engine::runtime::load()?;
            let tokenizer = || engine::tokenize::TextTokenizer::from_file(&folder.tokenizer, info.max_length);
            let fp32 = engine::int8::fp32_fingerprint(&info.fingerprint)
                .ok_or_else(|| Error::internal("an int8 model without an int8 fingerprint"))?;
            let bytes = engine::int8::int8_graph(
                &runtime,
                &folder,
                &tokenizer,
                fp32,
                1,
                engine::GraphCache::Default.dir().as_deref(),
            )?;
            crate::io::atomic_write(&graph, |w| w.write_all(&bytes))?;
        }
    }
    copy_file(&folder.tokenizer, &model_dir.join("tokenizer.json"))?;
    let find = |names: &[&str]| names.iter().find(|n| info.outputs.iter().any(|o| o == *n)).map(|n| (*n).to_owned());
    let pipeline = serde_json::json!({
        "simlens_version": env!("CARGO_PKG_VERSION"),
        "engine": engine_kind.as_str(),
        "model": info.name,
        "model_hash": info.fingerprint,
        "precision": info.precision.as_string(),
        "pooling": pooling.as_str(),
        "normalize": true,
        "max_length": info.max_length,
        "truncation": { "direction": "right", "strategy": "longest_first", "stride": 0 },
        "padding": { "side": "right", "id": 0, "to": "the longest row of each batch" },
        "batch_size": args.batch_size,
        "max_batch_tokens": LoadOptions::default().max_batch_tokens.max(args.batch_size),
        "graph": "model/model.onnx",
        "tokenizer": "model/tokenizer.json",
        "inputs": info.inputs,
        "sequence_output": find(&engine::embed::SEQUENCE_OUTPUTS),
        "pooled_output": find(&engine::embed::POOLED_OUTPUTS),
        "dim": dim,
        "onnxruntime": engine::runtime::ORT_VERSION,
    });
    let text = serde_json::to_string_pretty(&pipeline).map_err(|e| Error::internal(e.to_string()))?;
    crate::io::atomic_write(&out.join("pipeline.json"), |w| writeln!(w, "{text}"))?;
    crate::io::atomic_write(&out.join("requirements.txt"), |w| w.write_all(requirements().as_bytes()))?;
    crate::io::atomic_write(&out.join("simlens_job.py"), |w| w.write_all(JOB_PY.as_bytes()))?;
    let readme = job_readme(engine_kind, &info, pooling, out);
    crate::io::atomic_write(&out.join("README.md"), |w| w.write_all(readme.as_bytes()))?;
    warn(&format!(
        "wrote a {} job for {} ({pooling}, {}) to {}; see its README.md",
        pipeline["engine"].as_str().unwrap_or_default(),
        info.name,
        info.precision,
        out.display()
    ));
    Ok(())
}

/// Copies a graph with the external weight files beside it (`model.onnx_data`, …).
fn copy_graph(from: &Path, to: &Path) -> Result<()> {
    copy_file(from, to)?;
    let extra = engine::external_data_files(from).map_err(|e| Error::io("cannot read the folder of", from, e))?;
    for p in extra {
        copy_file(&p, &to.with_file_name(p.file_name().unwrap_or_default()))?;
    }
    Ok(())
}

/// Copies one file, atomically.
pub(super) fn copy_file(from: &Path, to: &Path) -> Result<()> {
    let mut src = std::fs::File::open(from).map_err(|e| Error::io("cannot read", from, e))?;
    crate::io::atomic_write(to, |w| std::io::copy(&mut src, w).map(drop))
}

fn job_readme(engine_kind: JobEngine, info: &engine::ModelInfo, pooling: Pooling, out: &Path) -> String {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "job".into());
    let model_flag = |info: &engine::ModelInfo| {
        if info.dir == engine::bundled_model_dir() { String::new() } else { format!(" --model {}", info.dir.display()) }
    };
    let precision =
        if info.precision == Precision::Fp32 { String::new() } else { format!(" --precision {}", info.precision) };
    let verify = format!("simlens verify --vectors embedded/{} --pooling {pooling}{precision}", model_flag(info));
    format!(
        r#"# simlens embedding job: {model} ({pooling}, {prec})

Made by `simlens export-job --engine {engine}` (simlens {version}); the commands for the
other engine work from the same folder too. This folder holds everything a cluster
needs: the model's graph and tokenizer (`model/`), `pipeline.json` (pooling, normalisation,
maximum length, truncation, the model's content hash), `requirements.txt` and
`simlens_job.py`, whose `SimlensEmbedder` runs the same pipeline as `simlens embed`. Its
vectors equal simlens's within 1e-5.

Input: Parquet with a `text` column (and any others, kept), or a text file with one
sentence per line. Output: a Parquet folder with an `embedding` column (float32 vectors)
beside the input's columns, which simlens opens directly (`--vectors embedded/`).

## Ray

On every node (or in the cluster's runtime environment):

    pip install -r requirements.txt "ray[data]"

Then from this folder, against a running cluster (`RAY_ADDRESS=auto`, or none for a local one):

    RAY_ADDRESS=auto SIMLENS_JOB_WORKERS=8 python simlens_job.py ray s3://bucket/sentences.parquet s3://bucket/embedded/

Or in your own Ray program, shipping this folder with the job:

    import ray, sys; sys.path.insert(0, "{name}")
    from simlens_job import SimlensEmbedder
    ray.init(runtime_env={{"working_dir": "{name}", "pip": ["-r", "{name}/requirements.txt"]}})
    ds = ray.data.read_parquet("sentences.parquet")
    ds.map_batches(SimlensEmbedder, concurrency=8, batch_size=256).write_parquet("embedded/")

## Spark

    pip install -r requirements.txt pyspark
    spark-submit --py-files simlens_job.py --files pipeline.json simlens_job.py spark sentences.parquet embedded/

(Every executor needs this folder at the same path, or `--archives {name}.zip#{name}` with
`SimlensEmbedder(folder="{name}")`; `spark_udf()` gives the `predict_batch_udf` for your own
DataFrame code: `df.withColumn("embedding", spark_udf()("text"))`.)

## Check the result

    {verify} --sample 1000

re-embeds 1,000 rows here and reports the largest difference and the smallest cosine; it
exits non-zero past 1e-5. Then explore it: `simlens pairs --vectors embedded/`,
`simlens misfits --vectors embedded/`.
"#,
        model = info.name,
        prec = info.precision,
        version = env!("CARGO_PKG_VERSION"),
        engine = engine_kind.as_str(),
    )
}

/// Re-embeds `sample` rows of a vectors table (evenly spaced) and compares.
pub(super) fn verify(v: &VerifyArgs) -> Result<()> {
    let (vectors, args, sample, tolerance) = (v.vectors.as_path(), &v.model, v.sample, v.tolerance);
    // Only the sampled rows are read (batch by batch), so tables of any size fit.
    let total = crate::io::parquet::row_count(vectors)?;
    if total == 0 {
        return Err(Error::Input { path: Some(vectors.to_path_buf()), line: None, message: "has no rows".into() });
    }
    let n = sample.clamp(1, total);
    let rows: Vec<usize> = (0..n).map(|k| k * total / n).collect();
    let (texts, e) = crate::io::parquet::read_rows(vectors, &rows)?;
    if e.len() != rows.len() || texts.len() != rows.len() {
        return Err(Error::Input {
            path: Some(vectors.to_path_buf()),
            line: None,
            message: format!("its footers promise {total} rows but fewer could be read; the table is damaged"),
        });
    }
    let picked: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (mut embedder, pooling) = load(args)?;
    let here = embedder.embed(&picked, pooling, &mut |_, _| true)?;
    if here.dim != e.dim {
        return Err(Error::Input {
            path: Some(vectors.to_path_buf()),
            line: None,
            message: format!(
                "its vectors have {} values, {} with {pooling} gives {}: another model made them",
                e.dim,
                embedder.info().name,
                here.dim
            ),
        });
    }
    let (mut worst, mut worst_row, mut min_cos) = (0.0f32, 0usize, 1.0f32);
    for (k, &r) in rows.iter().enumerate() {
        let (a, b) = (here.row(k), e.row(k));
        let d = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        if d > worst {
            (worst, worst_row) = (d, r);
        }
        let (dot, na, nb) =
            a.iter().zip(b).fold((0.0f32, 0.0f32, 0.0f32), |(s, p, q), (x, y)| (s + x * y, p + x * x, q + y * y));
        min_cos = min_cos.min(dot / (na.sqrt() * nb.sqrt()).max(1e-12));
    }
    let info = embedder.info();
    let verdict = if worst <= tolerance { "ok" } else { "FAILED" };
    write_out(None, false, |w| {
        writeln!(
            w,
            "{verdict}: {n} of {total} rows re-embedded with {} ({pooling}, {}): max |Δ| {worst:.2e} (row {}), smallest cosine {min_cos:.7}; tolerance {tolerance:.0e}",
            info.name,
            info.precision,
            worst_row + 1
        )
    })?;
    if worst > tolerance {
        return Err(Error::Input {
            path: Some(vectors.to_path_buf()),
            line: None,
            message: format!(
                "row {} differs by {worst:.2e}, more than {tolerance:.0e}: the vectors were made by another model, pooling or precision than --model/--pooling/--precision say",
                worst_row + 1
            ),
        });
    }
    Ok(())
}
