//! The command line: the clap command tree and the dispatch. Each command lives in its own
//! module (its arguments and its run); what several share is in `args` and `common`.

use clap::{Parser, Subcommand};

use crate::Result;

mod args;
mod common;
mod compare;
mod duplicates;
mod embed;
mod explain;
mod job;
mod map;
mod misfits;
mod models;
mod neighbours;
mod outliers;
mod pairs;
mod search;
mod setup;
mod similarity;
mod stress_write;
mod stsb;
mod tokens;
mod vectors;

pub use args::{
    EmbeddingFormatArg, MatrixFormatArg, ModelArgs, OutputArg, PoolingArg, ScopeArg, TableFormatArg, TableOutputArgs,
};
pub use compare::CompareArgs;
pub use duplicates::{DuplicatesArgs, KeepArg, LinkageArg};
pub use embed::EmbedArgs;
pub use explain::ExplainArgs;
pub use job::{ExportJobArgs, JobEngine, VerifyArgs};
pub use map::{MapArgs, MapMethodArg};
pub use misfits::MisfitsArgs;
pub use models::ModelsArgs;
pub use neighbours::GraphArgs;
pub use outliers::OutliersArgs;
pub use pairs::PairsArgs;
pub use search::SearchArgs;
pub use setup::SetupArgs;
pub use similarity::SimilarityArgs;
pub use stress_write::StressWriteArgs;
pub use stsb::StsbArgs;
pub use tokens::TokensArgs;
pub use vectors::{Source, SourceArgs};

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
    Similarity(SimilarityArgs),
    /// Write the normalised sentence embeddings of INPUT.
    Embed(EmbedArgs),
    /// Show the tokens, ids, attention mask and segment ids the model sees for TEXT.
    Tokens(TokensArgs),
    /// Rank the sentences of INPUT by similarity to a query.
    Search(SearchArgs),
    /// List paraphrase pairs: every pair at or above a similarity threshold, best first.
    Pairs(PairsArgs),
    /// Near-duplicate clusters: one row per sentence with its cluster, the cluster's size and
    /// representative, and its best similarity to another row; `--drop` writes the
    /// deduplicated table. Works from the neighbour graph, so it scales to millions of rows.
    Duplicates(DuplicatesArgs),
    /// Outlier scores: 1 − the mean similarity of each sentence to its nearest neighbours,
    /// with its rank; `--top K` lists the K most outlying.
    Outliers(OutliersArgs),
    /// A 2-D map of the sentences: one point each, near its similar sentences.
    Map(MapArgs),
    /// List sentences closer, on average, to another group than to their own.
    Misfits(MisfitsArgs),
    /// Compare two (model, pooling) configurations on the sentences of INPUT: the rank
    /// correlation of their similarities, and the difference matrix (B − A).
    Compare(CompareArgs),
    /// Explain a score: which tokens make two sentences (or, with --groups, two groups of
    /// INPUT) similar. Exact for mean pooling; an occlusion estimate for CLS and pooled.
    Explain(ExplainArgs),
    /// Install what an installed binary needs into the user data folder: ONNX Runtime (the
    /// onnxruntime wheel, fetched once with pip) and the bundled model.
    Setup(SetupArgs),
    /// Write a self-contained job folder that runs simlens's embedding pipeline on Ray Data
    /// or Spark (model files, pipeline.json, requirements.txt, simlens_job.py, README.md).
    ExportJob(ExportJobArgs),
    /// Re-embed a sample of a vectors table (a Parquet file or folder with `text` and
    /// `embedding`, e.g. a Ray or Spark job's output) and compare; exits non-zero past the tolerance.
    Verify(VerifyArgs),
    /// List the models simlens can load: the bundled one, recent folders of the app, and
    /// every model in the Hugging Face cache (offline; `--model ORG/NAME` loads one).
    Models(ModelsArgs),
    /// Writes FILE atomically in a loop until killed (for the crash-safety test).
    #[command(hide = true)]
    StressWrite(StressWriteArgs),
    /// Spearman ×100 of cosine similarity against gold scores (STS benchmark file or a text1,text2,score file).
    Stsb(StsbArgs),
}

/// Runs a subcommand.
pub fn run(command: Command) -> Result<()> {
    match &command {
        Command::Similarity(args) => similarity::run(args),
        Command::Embed(args) => embed::run(args),
        Command::Tokens(args) => tokens::run(args),
        Command::Search(args) => search::run(args),
        Command::Pairs(args) => pairs::run(args),
        Command::Map(args) => map::run(args),
        Command::Duplicates(args) => duplicates::run(args),
        Command::Outliers(args) => outliers::run(args),
        Command::Misfits(args) => misfits::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Setup(args) => setup::run(args),
        Command::ExportJob(args) => job::export_job(args),
        Command::Verify(args) => job::verify(args),
        Command::Models(args) => models::run(args),
        Command::StressWrite(args) => stress_write::run(args),
        Command::Stsb(args) => stsb::run(args),
    }
}
