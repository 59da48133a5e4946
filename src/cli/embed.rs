//! `simlens embed`, and embedding a sentence set chunk by chunk for the other commands.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;

use super::args::{EmbeddingFormatArg, ModelArgs, OutputArg};
use super::common::{Progress, load, parquet_out, read_set, warn, write_out};
use crate::engine::{self, Embedder as _, OnnxEmbedder, Pooling};
use crate::io::export::{EmbeddingExport, EmbeddingFormat};
use crate::io::tables::group_names_per_row;
use crate::{Error, Result};

/// Arguments of `simlens embed`.
#[derive(Debug, Args)]
#[command(mut_arg("output", |a| a.help("Output file (a folder for tsv). csv/json go to stdout without it")))]
pub struct EmbedArgs {
    /// Sentence file or `-` for stdin.
    input: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Output format: npy, csv, json, parquet, or tsv (Embedding Projector vectors.tsv + metadata.tsv in the folder given by -o).
    #[arg(long, default_value = "npy")]
    format: EmbeddingFormatArg,
    #[command(flatten)]
    output: OutputArg,
}

/// Sentences tokenized and embedded at a time: bounds the memory of huge inputs
/// while keeping batches well sorted by length.
const EMBED_CHUNK: usize = 16_384;

/// The vectors of `texts`, embedded a chunk at a time through the disk cache (unless
/// `--no-cache`).
pub(super) fn embed_set(
    embedder: &mut OnnxEmbedder,
    pooling: Pooling,
    texts: &[&str],
    args: &ModelArgs,
) -> Result<engine::Embeddings> {
    let mut emb = engine::Embeddings::empty(0);
    emb.data.reserve(texts.len() * embedder.info().dim);
    embed_chunks(embedder, pooling, texts, args, &mut |offset, part| {
        emb.dim = part.dim;
        emb.data.extend_from_slice(&part.data);
        emb.truncated.extend(part.truncated.iter().map(|i| i + offset));
        Ok(())
    })?;
    Ok(emb)
}

/// Sentences a chunk holds: `SIMLENS_EMBED_CHUNK` if set (tests use small chunks to cross
/// chunk boundaries), else [`EMBED_CHUNK`].
fn embed_chunk() -> usize {
    std::env::var("SIMLENS_EMBED_CHUNK").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(EMBED_CHUNK)
}

/// Embeds `texts` a chunk at a time through the store, handing each chunk's vectors
/// (and its offset) to `sink` before the next is computed: memory stays bounded by a chunk.
fn embed_chunks(
    embedder: &mut OnnxEmbedder,
    pooling: Pooling,
    texts: &[&str],
    args: &ModelArgs,
    sink: &mut dyn FnMut(usize, &engine::Embeddings) -> Result<()>,
) -> Result<()> {
    let root = if args.no_cache { None } else { engine::cache::default_root() };
    let mut store = engine::store::VectorStore::new(root);
    let mut progress = Progress::new("embedding");
    let (mut embedded, mut truncated, mut first_cut) = (0, 0, None);
    let size = embed_chunk();
    for (c, chunk) in texts.chunks(size).enumerate() {
        let offset = c * size;
        let part = store.embed(embedder, chunk, pooling, &mut |d, _| progress.update(offset + d, texts.len()))?;
        if let Some(note) = store.take_disk_note() {
            warn(&format!("note: {note}"));
        }
        progress.update(offset + chunk.len(), texts.len());
        embedded += part.embedded;
        truncated += part.embeddings.truncated.len();
        first_cut = first_cut.or(part.embeddings.truncated.first().map(|i| i + offset));
        sink(offset, &part.embeddings)?;
    }
    drop(progress);
    if store.has_disk() {
        log::info!("{embedded} of {} sentences embedded, the rest read from the cache", texts.len());
    } else {
        log::info!("{embedded} sentences embedded (no embedding cache)");
    }
    if let Some(first) = first_cut {
        warn(&format!(
            "note: {truncated} sentence(s) longer than {} tokens were truncated (first: #{})",
            embedder.info().max_length,
            first + 1
        ));
    }
    Ok(())
}

/// Embeds the sentences and writes the vectors; NPY, CSV and Parquet a chunk at a time.
pub(super) fn run(embed_args: &EmbedArgs) -> Result<()> {
    let (args, format, output) =
        (&embed_args.model, EmbeddingFormat::from(embed_args.format), embed_args.output.path());
    let t = Instant::now();
    let set = read_set(&embed_args.input)?;
    let read = t.elapsed();
    let (mut embedder, pooling) = load(args)?;
    let loaded = t.elapsed();
    let (texts, groups) = set.flatten();
    let names = set.group_names();
    let group_names = group_names_per_row(&groups, &names);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    log::debug!("read {:.0} ms, runtime and model {:.0} ms", ms(read), ms(loaded - read));
    if format == EmbeddingFormat::Parquet {
        let out = parquet_out(output)?;
        let meta = crate::io::export::parquet_metadata(
            &embedder.info().name,
            &embedder.info().fingerprint,
            pooling,
            &embedder.info().precision,
        );
        return streamed(Some(out), true, |w| {
            let mut stream = crate::io::parquet::ParquetStream::new(w, meta);
            let mut dim = 0;
            embed_chunks(&mut embedder, pooling, &texts, args, &mut |offset, part| {
                let rows = offset..offset + part.len();
                dim = part.dim;
                stream
                    .write(&texts[rows.clone()], &group_names[rows], part)
                    .map_err(|e| Error::io("cannot write", out, e))
            })?;
            stream.finish(dim).map_err(|e| Error::io("cannot write", out, e))
        });
    }
    if let (EmbeddingFormat::Npy | EmbeddingFormat::Csv, Some(_)) | (EmbeddingFormat::Csv, None) = (format, output) {
        // Streamed: the header, then each chunk's rows as they are computed.
        let shown = output.unwrap_or(Path::new("<stdout>"));
        return streamed(output, false, |w| {
            let mut stream = crate::io::export::EmbeddingStream::new(format, texts.len());
            embed_chunks(&mut embedder, pooling, &texts, args, &mut |offset, part| {
                let rows = offset..offset + part.len();
                stream
                    .write(w, &texts[rows.clone()], &group_names[rows], part)
                    .map_err(|e| Error::io("cannot write", shown, e))
            })?;
            stream.finish(w).map_err(|e| Error::io("cannot write", shown, e))
        });
    }
    let emb = embed_set(&mut embedder, pooling, &texts, args)?;
    log::debug!("embedding {:.0} ms", ms(t.elapsed() - loaded));
    let export = EmbeddingExport {
        model: &embedder.info().name,
        fingerprint: &embedder.info().fingerprint,
        pooling,
        precision: &embedder.info().precision,
        labels: &texts,
        groups: group_names,
        embeddings: &emb,
    };
    match (format, output) {
        (EmbeddingFormat::Tsv, None) => {
            Err(Error::input(None, "tsv writes vectors.tsv and metadata.tsv: give a folder with -o DIR"))
        }
        (EmbeddingFormat::Tsv, Some(dir)) => export.save(dir, format),
        (_, output) => write_out(output, format == EmbeddingFormat::Npy, |w| export.write(w, format)),
    }
}

/// Writes `output` through `body`, which embeds while it writes. A failure stops the write
/// (a file keeps its old content) and is returned as itself, once: the writer's own error
/// would only say that the write stopped.
fn streamed(
    output: Option<&Path>,
    binary: bool,
    body: impl FnOnce(&mut (dyn std::io::Write + Send)) -> Result<()>,
) -> Result<()> {
    let mut failed = None;
    let written = write_out(output, binary, |w| {
        body(w).map_err(|e| {
            failed = Some(e);
            std::io::Error::other("embedding stopped")
        })
    });
    match failed {
        Some(e) => Err(e),
        None => written,
    }
}
