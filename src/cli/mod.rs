//! The command line: clap commands over the engine and `io`.

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::analysis::{self, PairScope};
use crate::engine::{self, Embedder as _, LoadOptions, OnnxEmbedder, Pooling, Precision};
use crate::io::SentenceSet;
use crate::io::export::{EmbeddingExport, EmbeddingFormat, MatrixFormat, SimilarityReport};
use crate::{Error, Result};

/// Explore sentence similarity offline with transformer encoders.
///
/// With no command, opens the desktop explorer.
#[derive(Debug, Parser)]
#[command(name = "simlens", version, about, long_about = None)]
pub struct Cli {
    /// What to do; none opens the app.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the cosine similarity matrix of the sentences in INPUT.
    Similarity {
        /// Sentence file (.txt with `# Group` headers, .csv/.tsv/.parquet with a `text` column) or
        /// `-` for stdin; may be left out with `--vectors FILE.parquet` that has a `text` column.
        input: Option<PathBuf>,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        vectors: VectorsArg,
        /// Output format: csv, json or npy.
        #[arg(long, default_value = "csv", value_parser = clap::value_parser!(MatrixFormatArg))]
        format: MatrixFormatArg,
        /// Output file (csv/json go to stdout without it; npy needs it).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write the normalised sentence embeddings of INPUT.
    Embed {
        /// Sentence file or `-` for stdin.
        input: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
        /// Output format: npy, csv, json, parquet, or tsv (Embedding Projector vectors.tsv + metadata.tsv in the folder given by -o).
        #[arg(long, default_value = "npy", value_parser = clap::value_parser!(EmbeddingFormatArg))]
        format: EmbeddingFormatArg,
        /// Output file (a folder for tsv). csv/json go to stdout without it.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Show the tokens, ids, attention mask and segment ids the model sees for TEXT.
    Tokens {
        /// The sentence.
        text: String,
        /// A second sentence, to see a pair's segment ids.
        #[arg(long)]
        pair: Option<String>,
        /// Model folder, or a Hugging Face id (`ORG/NAME[@REVISION]`) from the local hub cache
        /// (default: the bundled all-MiniLM-L6-v2).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Print JSON instead of aligned text.
        #[arg(long)]
        json: bool,
    },
    /// Rank the sentences of INPUT by similarity to a query.
    Search {
        /// Sentence file or `-` for stdin.
        input: PathBuf,
        /// The query sentence.
        #[arg(long)]
        query: String,
        /// How many results.
        #[arg(short, default_value_t = 5)]
        k: usize,
        #[command(flatten)]
        model: ModelArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List paraphrase pairs: every pair at or above a similarity threshold, best first.
    Pairs {
        /// Sentence file or `-` for stdin; may be left out with `--vectors FILE.parquet` that has
        /// a `text` column.
        input: Option<PathBuf>,
        /// Smallest similarity listed.
        #[arg(long, default_value_t = 0.75)]
        threshold: f32,
        /// At most this many pairs (the most similar).
        #[arg(long, default_value_t = 1000)]
        top: usize,
        /// all, within (same group) or across (different groups).
        #[arg(long, default_value = "all", value_parser = clap::value_parser!(ScopeArg))]
        scope: ScopeArg,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        vectors: VectorsArg,
        /// Output format: csv, json or parquet (the CSV's columns; needs -o).
        #[arg(long, default_value = "csv", value_parser = ["csv", "json", "parquet"])]
        format: String,
        /// Output file (stdout without it).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// A 2-D map of the sentences: one point each, near its similar sentences.
    Map {
        /// Sentence file or `-` for stdin; may be left out with `--vectors FILE.parquet` that has
        /// a `text` column.
        input: Option<PathBuf>,
        /// The projection: pca (principal components) or umap (McInnes et al., cosine).
        #[arg(long, default_value = "pca", value_parser = ["pca", "umap"])]
        method: String,
        /// UMAP: the seed; one seed gives one layout, byte for byte.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// UMAP: neighbourhood size, counting the point itself (umap-learn's n_neighbors).
        #[arg(long, default_value_t = 15)]
        neighbors: usize,
        /// UMAP: how tightly points may pack, 0 to 1 (umap-learn's min_dist).
        #[arg(long, default_value_t = 0.1)]
        min_dist: f32,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        vectors: VectorsArg,
        /// Output format: csv (text,group,x,y), json, or parquet (text, group, embedding, x, y; needs -o).
        #[arg(long, default_value = "csv", value_parser = ["csv", "json", "parquet"])]
        format: String,
        /// Output file (stdout without it).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// List sentences closer, on average, to another group than to their own.
    Misfits {
        /// Sentence file or `-` for stdin; may be left out with `--vectors FILE.parquet` that has
        /// a `text` column.
        input: Option<PathBuf>,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        vectors: VectorsArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare two (model, pooling) configurations on the sentences of INPUT: the rank
    /// correlation of their similarities, and the difference matrix (B − A).
    Compare {
        /// Sentence file or `-` for stdin.
        input: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
        /// Model folder of configuration B (default: the same as A).
        #[arg(long)]
        model_b: Option<PathBuf>,
        /// Pooling of configuration B (default: B's own).
        #[arg(long, value_parser = clap::value_parser!(PoolingArg))]
        pooling_b: Option<PoolingArg>,
        /// Write the difference matrix B − A here (.csv, .json or .npy).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Explain a score: which tokens make two sentences (or, with --groups, two groups of
    /// INPUT) similar. Exact for mean pooling; an occlusion estimate for CLS and pooled.
    Explain {
        /// Two sentences; or, with --groups, one sentence file.
        #[arg(required = true, num_args = 1..=2)]
        texts: Vec<String>,
        /// Explain the mean similarity of these two groups of INPUT (the same name twice:
        /// what holds one group together).
        #[arg(long, num_args = 2, value_names = ["NAME_A", "NAME_B"])]
        groups: Option<Vec<String>>,
        /// How many tokens (token pairs) to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        #[command(flatten)]
        model: ModelArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Install what an installed binary needs into the user data folder: ONNX Runtime (the
    /// onnxruntime wheel, fetched once with pip) and the bundled model.
    Setup {
        /// The Python whose pip fetches the wheel.
        #[arg(long, default_value = "python3")]
        python: String,
    },
    /// Write a self-contained job folder that runs simlens's embedding pipeline on Ray Data
    /// or Spark (model files, pipeline.json, requirements.txt, simlens_job.py, README.md).
    ExportJob {
        /// ray or spark.
        #[arg(long, value_parser = clap::value_parser!(JobEngineArg))]
        engine: JobEngineArg,
        #[command(flatten)]
        model: ModelArgs,
        /// The folder to create (must be new or empty).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Re-embed a sample of a vectors table (a Parquet file or folder with `text` and
    /// `embedding`, e.g. a Ray or Spark job's output) and compare; exits non-zero past the tolerance.
    Verify {
        /// The table to check.
        #[arg(long)]
        vectors: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
        /// Rows to re-embed, evenly spaced.
        #[arg(long, default_value_t = 1000)]
        sample: usize,
        /// Largest allowed difference of any vector component.
        #[arg(long, default_value_t = 1e-5)]
        tolerance: f32,
    },
    /// List the models simlens can load: the bundled one, recent folders of the app, and
    /// every model in the Hugging Face cache (offline; `--model ORG/NAME` loads one).
    Models {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Writes FILE atomically in a loop until killed (for the crash-safety test).
    #[command(hide = true)]
    StressWrite {
        /// The file to rewrite.
        file: PathBuf,
    },
    /// Spearman ×100 of cosine similarity against gold scores (STS benchmark file or a text1,text2,score file).
    Stsb {
        /// The scored pairs file.
        file: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
}

/// Model selection shared by the commands that embed.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Model folder, or a Hugging Face id (`ORG/NAME[@REVISION]`) from the local hub cache
    /// (default: the bundled all-MiniLM-L6-v2).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Pooling: mean, cls or pooled (default: the model's own, else mean).
    #[arg(long, value_parser = clap::value_parser!(PoolingArg))]
    pub pooling: Option<PoolingArg>,
    /// Sentences per inference batch (at least 1).
    #[arg(long, default_value_t = 32, value_parser = batch_size)]
    pub batch_size: usize,
    /// fp32 (exact), int8 (simlens's quantized graph: 1.6–1.8× as fast, cosine ≥ 0.99 to
    /// fp32, the same vector in any batch), or shipped:NAME for a quantized file the model
    /// folder ships in onnx/ (see `simlens models`).
    #[arg(long, default_value = "fp32", value_parser = precision)]
    pub precision: Precision,
    /// Neither read nor write the on-disk embedding cache (see `SIMLENS_CACHE_DIR`).
    #[arg(long)]
    pub no_cache: bool,
}

fn precision(s: &str) -> std::result::Result<Precision, String> {
    s.parse()
}

/// A batch size: a whole number of at least 1.
fn batch_size(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("a batch needs at least 1 sentence; give --batch-size 1 or more (default 32)".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number; give --batch-size 1 or more (default 32)")),
    }
}

macro_rules! clap_value {
    ($name:ident, $inner:ty, [$($s:literal),*]) => {
        /// Command-line wrapper.
        #[derive(Debug, Clone, Copy)]
        pub struct $name(pub $inner);
        impl clap::builder::ValueParserFactory for $name {
            type Parser = clap::builder::MapValueParser<clap::builder::PossibleValuesParser, fn(String) -> $name>;
            fn value_parser() -> Self::Parser {
                clap::builder::PossibleValuesParser::new([$($s),*])
                    .map(|s: String| $name(s.parse::<$inner>().unwrap_or_else(|_| unreachable!("clap checked the value"))))
            }
        }
    };
}
clap_value!(PoolingArg, Pooling, ["mean", "cls", "pooled"]);
clap_value!(MatrixFormatArg, MatrixFormat, ["csv", "json", "npy"]);
clap_value!(EmbeddingFormatArg, EmbeddingFormat, ["npy", "csv", "json", "tsv", "parquet"]);
clap_value!(ScopeArg, PairScope, ["all", "within", "across"]);

mod analyses;
mod embed;
mod explain;
mod job;
mod models;
mod setup;
mod vectors;

use analyses::{MapMethod, map, misfits, pairs};
use embed::{embed, embed_set};
use job::JobEngineArg;
use models::models;
pub use vectors::{Source, VectorsArg};

/// Runs a subcommand.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Similarity { input, model, vectors, format, output } => {
            similarity(input.as_deref(), &model, vectors.vectors.as_deref(), format.0, output.as_deref())
        }
        Command::Embed { input, model, format, output } => embed(&input, &model, format.0, output.as_deref()),
        Command::Tokens { text, pair, model, json } => tokens(&text, pair.as_deref(), model, json),
        Command::Stsb { file, model } => stsb(&file, &model),
        Command::StressWrite { file } => stress_write(&file),
        Command::Search { input, query, k, model, json } => search(&input, &query, k, &model, json),
        Command::Pairs { input, threshold, top, scope, model, vectors, format, output } => {
            pairs(input.as_deref(), threshold, top, scope.0, &Source::of(&model, &vectors), &format, output.as_deref())
        }
        Command::Map { input, method, seed, neighbors, min_dist, model, vectors, format, output } => {
            let method = match method.as_str() {
                "umap" => MapMethod::Umap(engine::umap::UmapParams { neighbors, min_dist, seed }),
                _ => MapMethod::Pca,
            };
            map(input.as_deref(), method, &Source::of(&model, &vectors), &format, output.as_deref())
        }
        Command::Misfits { input, model, vectors, json } => {
            misfits(input.as_deref(), &Source::of(&model, &vectors), json)
        }
        Command::Models { json } => models(json),
        Command::Setup { python } => setup::setup(&python),
        Command::ExportJob { engine, model, output } => job::export_job(engine.0, &model, &output),
        Command::Verify { vectors, model, sample, tolerance } => job::verify(&vectors, &model, sample, tolerance),
        Command::Explain { texts, groups, top, model, json } => {
            explain::run(&texts, groups.as_deref(), top, &model, json)
        }
        Command::Compare { input, model, model_b, pooling_b, output } => {
            compare(&input, &model, model_b, pooling_b.map(|p| p.0), output.as_deref())
        }
    }
}

fn load(args: &ModelArgs) -> Result<(OnnxEmbedder, Pooling)> {
    let dir = args.model.clone().unwrap_or_else(engine::bundled_model_dir);
    let options =
        LoadOptions { batch_size: args.batch_size, precision: args.precision.clone(), ..LoadOptions::default() };
    let embedder = engine::load_model(&dir, options)?;
    for note in &embedder.info().notes {
        warn(&format!("note: {note}"));
    }
    let pooling = args.pooling.map(|p| p.0).unwrap_or(embedder.info().default_pooling);
    Ok((embedder, pooling))
}

/// A progress bar on stderr that appears only for runs longer than about a second
/// and never when stderr is not a terminal.
struct Progress {
    pub(super) bar: ProgressBar,
    start: Instant,
    shown: bool,
}

impl Progress {
    fn new(what: &str) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({per_sec}, eta {eta})") {
            bar.set_style(style);
        }
        bar.set_message(what.to_owned());
        Self { bar, start: Instant::now(), shown: false }
    }

    fn update(&mut self, done: usize, total: usize) -> bool {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
        if !self.shown && self.start.elapsed() > Duration::from_secs(1) && std::io::stderr().is_terminal() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        true
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn read_set(input: &Path) -> Result<SentenceSet> {
    SentenceSet::read_path(input)
}

fn warn(msg: &str) {
    let mut err = std::io::stderr().lock();
    writeln!(err, "{msg}").ok();
}

fn write_out(
    output: Option<&Path>,
    binary: bool,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<()> {
    match output {
        Some(path) => crate::io::atomic_write(path, write),
        None if binary => Err(Error::input(None, "this format is binary: give an output file with -o FILE")),
        None => crate::io::atomic::to_stdout(write).map_err(|e| Error::io("cannot write", "<stdout>", e)),
    }
}

fn similarity(
    input: Option<&Path>,
    args: &ModelArgs,
    vectors: Option<&Path>,
    format: MatrixFormat,
    output: Option<&Path>,
) -> Result<()> {
    let opened = Source { model: args, vectors }.open(input)?;
    check_matrix_size(opened.set.len())?;
    let (set, emb, model, pooling) = opened.into_vectors(args)?;
    let (texts, groups) = set.flatten();
    let sim = engine::similarity_matrix(&emb);
    let names = set.group_names();
    let gm = engine::group_matrix(&emb, &groups, names.len());
    let report = SimilarityReport::new(&model, pooling, &texts, &groups, &names, &sim, &gm);
    write_out(output, format == MatrixFormat::Npy, |w| report.write(w, format))
}

fn tokens(text: &str, pair: Option<&str>, model: Option<PathBuf>, json: bool) -> Result<()> {
    let dir = model.unwrap_or_else(engine::bundled_model_dir);
    // Tokens need only the tokenizer, not ONNX Runtime.
    let folder = engine::ModelFolder::open(&dir)?;
    let tok = engine::tokenize::TextTokenizer::from_file(&folder.tokenizer, folder.max_length)?;
    let info = match pair {
        Some(b) => tok.encode_pair(text, b)?,
        None => tok.encode(text)?,
    };
    write_out(None, false, |w| {
        if json {
            serde_json::to_writer_pretty(&mut *w, &info)?;
            return writeln!(w);
        }
        let join = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
        writeln!(w, "model:     {}", folder.name)?;
        writeln!(w, "tokens:    {}", info.tokens.join(" "))?;
        writeln!(w, "ids:       {}", join(&info.ids))?;
        writeln!(w, "mask:      {}", join(&info.attention_mask))?;
        writeln!(w, "segments:  {}", join(&info.type_ids))?;
        if info.truncated {
            writeln!(w, "(truncated to {} tokens)", tok.max_length())?;
        }
        Ok(())
    })
}

fn stsb(file: &Path, args: &ModelArgs) -> Result<()> {
    let pairs = crate::io::pairs::read_pairs(file)?;
    let (mut embedder, pooling) = load(args)?;
    let mut progress = Progress::new("embedding");
    let score = engine::eval::score_pairs(&mut embedder, pooling, &pairs, &mut |d, t| progress.update(d, t))?;
    drop(progress);
    write_out(None, false, |w| {
        writeln!(w, "model: {}  pooling: {}  precision: {}", embedder.info().name, pooling, embedder.info().precision)?;
        writeln!(w, "pairs: {}  distinct sentences: {}", score.pairs, score.sentences)?;
        writeln!(w, "Spearman x100: {:.2}", score.spearman)?;
        writeln!(w, "Pearson x100:  {:.2}", score.pearson)
    })
}

/// Rewrites `file` forever with self-checking content: a counter, a payload derived
/// from it, and the payload's length, so a torn write would be detected.
fn stress_write(file: &Path) -> Result<()> {
    for k in 0u64.. {
        let payload: String = (0..20_000).map(|i| char::from(b'a' + ((k + i) % 26) as u8)).collect();
        let json = serde_json::json!({ "k": k, "len": payload.len(), "payload": payload });
        crate::io::atomic_write(file, |w| serde_json::to_writer(w, &json).map_err(std::io::Error::other))?;
    }
    Ok(())
}

/// Sentences, their group names, and their vectors.
fn embed_input(input: &Path, args: &ModelArgs) -> Result<(SentenceSet, OnnxEmbedder, Pooling, engine::Embeddings)> {
    let set = read_set(input)?;
    let (mut embedder, pooling) = load(args)?;
    let emb = {
        let (texts, _) = set.flatten();
        embed_set(&mut embedder, pooling, &texts, args)?
    };
    Ok((set, embedder, pooling, emb))
}

fn search(input: &Path, query: &str, k: usize, args: &ModelArgs, json: bool) -> Result<()> {
    if query.trim().is_empty() {
        return Err(Error::input(None, "the query is empty"));
    }
    let (set, mut embedder, pooling, emb) = embed_input(input, args)?;
    let q = embedder.embed(&[query], pooling, &mut |_, _| true)?;
    let hits = analysis::search(&emb, q.row(0), k);
    let (texts, groups) = set.flatten();
    write_out(None, false, |w| {
        if json {
            let rows: Vec<_> = hits
                .iter()
                .map(|&(i, s)| serde_json::json!({ "index": i, "score": s, "text": texts[i], "group": set.groups[groups[i]].name }))
                .collect();
            serde_json::to_writer_pretty(&mut *w, &serde_json::json!({ "query": query, "results": rows }))?;
            return writeln!(w);
        }
        for (rank, &(i, s)) in hits.iter().enumerate() {
            writeln!(w, "{:>3}. {s:.3}  [{}] {}", rank + 1, set.groups[groups[i]].name, texts[i])?;
        }
        Ok(())
    })
}

fn compare(
    input: &Path,
    args: &ModelArgs,
    model_b: Option<PathBuf>,
    pooling_b: Option<Pooling>,
    output: Option<&Path>,
) -> Result<()> {
    let set = read_set(input)?;
    check_matrix_size(set.len())?;
    let (texts, groups) = set.flatten();
    let (mut a, pooling_a) = load(args)?;
    let emb_a = embed_set(&mut a, pooling_a, &texts, args)?;
    let args_b = ModelArgs {
        model: model_b.or_else(|| args.model.clone()),
        pooling: pooling_b.map(PoolingArg),
        batch_size: args.batch_size,
        precision: args.precision.clone(),
        no_cache: args.no_cache,
    };
    // One model loaded twice shares ONNX Runtime; B's default pooling is its own.
    let (mut b, pooling_b) = load(&args_b)?;
    let emb_b = embed_set(&mut b, pooling_b, &texts, &args_b)?;
    let (sim_a, sim_b) = (engine::similarity_matrix(&emb_a), engine::similarity_matrix(&emb_b));
    let cmp = analysis::compare(&sim_a, &sim_b)
        .ok_or_else(|| Error::input(None, "comparing needs at least 3 sentences (3 pairs)"))?;
    if let Some(path) = output {
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => MatrixFormat::Json,
            Some("npy") => MatrixFormat::Npy,
            _ => MatrixFormat::Csv,
        };
        let names = set.group_names();
        let gm = vec![None; names.len() * names.len()];
        let mut report = SimilarityReport::new(
            &format!("{} − {}", b.info().name, a.info().name),
            Some(pooling_b),
            &texts,
            &groups,
            &names,
            &cmp.diff,
            &gm,
        );
        report.metric = format!(
            "difference of cosine similarities: B ({} {pooling_b}) − A ({} {pooling_a})",
            b.info().name,
            a.info().name
        );
        report.save(path, format)?;
    }
    let (d, i, j) = cmp.max_abs_diff;
    write_out(None, false, |w| {
        writeln!(w, "A: {} {pooling_a}", a.info().name)?;
        writeln!(w, "B: {} {pooling_b}", b.info().name)?;
        writeln!(w, "pairs: {}", texts.len() * (texts.len() - 1) / 2)?;
        writeln!(w, "Spearman (off-diagonal): {:.4}", cmp.spearman)?;
        writeln!(w, "mean |B - A|: {:.4}", cmp.mean_abs_diff)?;
        writeln!(w, "largest |B - A|: {d:.4} for \"{}\" / \"{}\"", texts[i], texts[j])
    })
}

/// Refuses inputs whose N × N matrix would not fit in memory, before any work.
fn check_matrix_size(n: usize) -> Result<()> {
    let limit = engine::similarity::MAX_MATRIX_SENTENCES;
    if n > limit {
        return Err(Error::input(
            None,
            format!(
                "{n} sentences would make a {:.1} GB similarity matrix; the limit is {limit}. Use `simlens embed` and compare the vectors in pieces.",
                (n as f64).powi(2) * 4.0 / 1e9
            ),
        ));
    }
    Ok(())
}
