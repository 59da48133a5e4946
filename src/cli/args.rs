//! Arguments several commands share (`#[command(flatten)]`), and the command line's names
//! for the engine's and io's choices.
//!
//! The engine and io enums stay free of clap: each has a `ValueEnum` twin here, converted
//! with `From`. The twins' variants carry no doc comments on purpose: clap would turn them
//! into a per-value list in `--help`, where today's help shows `[possible values: …]`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::engine::Pooling;
use crate::engine::Precision;
use crate::engine::analysis::PairScope;
use crate::io::export::{EmbeddingFormat, MatrixFormat};
use crate::io::tables::TableFormat;

/// Model selection shared by the commands that embed.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Model folder, or a Hugging Face id (`ORG/NAME[@REVISION]`) from the local hub cache
    /// (default: the bundled all-MiniLM-L6-v2).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Pooling: mean, cls or pooled (default: the model's own, else mean).
    #[arg(long)]
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

/// Where a command writes its result. Commands whose output behaves otherwise (a binary
/// format, a folder) say so with `#[command(mut_arg("output", …))]`.
#[derive(Debug, Args)]
pub struct OutputArg {
    /// Output file (stdout without it).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

impl OutputArg {
    /// The file given, `-` meaning stdout.
    pub fn path(&self) -> Option<&Path> {
        self.output.as_deref()
    }
}

/// A table's format and where it goes (`pairs`, `map`; `map` words the format's help its
/// own way).
#[derive(Debug, Args)]
pub struct TableOutputArgs {
    /// Output format: csv, json or parquet (the CSV's columns; needs -o).
    #[arg(long, default_value = "csv")]
    pub format: TableFormatArg,
    #[command(flatten)]
    pub output: OutputArg,
}

impl TableOutputArgs {
    /// The format, as io names it.
    pub fn format(&self) -> TableFormat {
        self.format.into()
    }
}

/// `--precision`: its grammar (`shipped:NAME`) is the engine's own.
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

/// `--pooling`: mean, cls or pooled ([`Pooling`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PoolingArg {
    Mean,
    Cls,
    Pooled,
}

impl From<PoolingArg> for Pooling {
    fn from(p: PoolingArg) -> Self {
        match p {
            PoolingArg::Mean => Pooling::Mean,
            PoolingArg::Cls => Pooling::Cls,
            PoolingArg::Pooled => Pooling::Pooled,
        }
    }
}

/// `similarity --format`: csv, json or npy ([`MatrixFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormatArg {
    Csv,
    Json,
    Npy,
}

impl From<MatrixFormatArg> for MatrixFormat {
    fn from(f: MatrixFormatArg) -> Self {
        match f {
            MatrixFormatArg::Csv => MatrixFormat::Csv,
            MatrixFormatArg::Json => MatrixFormat::Json,
            MatrixFormatArg::Npy => MatrixFormat::Npy,
        }
    }
}

/// `embed --format`: npy, csv, json, tsv or parquet ([`EmbeddingFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmbeddingFormatArg {
    Npy,
    Csv,
    Json,
    Tsv,
    Parquet,
}

impl From<EmbeddingFormatArg> for EmbeddingFormat {
    fn from(f: EmbeddingFormatArg) -> Self {
        match f {
            EmbeddingFormatArg::Npy => EmbeddingFormat::Npy,
            EmbeddingFormatArg::Csv => EmbeddingFormat::Csv,
            EmbeddingFormatArg::Json => EmbeddingFormat::Json,
            EmbeddingFormatArg::Tsv => EmbeddingFormat::Tsv,
            EmbeddingFormatArg::Parquet => EmbeddingFormat::Parquet,
        }
    }
}

/// `pairs --format` and `map --format`: csv, json or parquet ([`TableFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormatArg {
    Csv,
    Json,
    Parquet,
}

impl From<TableFormatArg> for TableFormat {
    fn from(f: TableFormatArg) -> Self {
        match f {
            TableFormatArg::Csv => TableFormat::Csv,
            TableFormatArg::Json => TableFormat::Json,
            TableFormatArg::Parquet => TableFormat::Parquet,
        }
    }
}

/// `pairs --scope`: all, within or across ([`PairScope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    All,
    Within,
    Across,
}

impl From<ScopeArg> for PairScope {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::All => PairScope::All,
            ScopeArg::Within => PairScope::Within,
            ScopeArg::Across => PairScope::Across,
        }
    }
}
