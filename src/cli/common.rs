//! What the commands share: loading the model, the progress bar, notes on stderr, and
//! writing a result to `-o FILE` or stdout.

use std::io::{IsTerminal as _, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::ModelArgs;
use crate::engine::{self, Embedder as _, LoadOptions, OnnxEmbedder, Pooling};
use crate::io::SentenceSet;
use crate::io::tables::TableFormat;
use crate::{Error, Result};

/// The model `args` name (the bundled one without `--model`) and the pooling to use: the
/// flag's, else the model's own. The model's notes go to stderr.
pub(super) fn load(args: &ModelArgs) -> Result<(OnnxEmbedder, Pooling)> {
    let dir = args.model.clone().unwrap_or_else(engine::bundled_model_dir);
    let options =
        LoadOptions { batch_size: args.batch_size, precision: args.precision.clone(), ..LoadOptions::default() };
    let embedder = engine::load_model(&dir, options)?;
    for note in &embedder.info().notes {
        warn(&format!("note: {note}"));
    }
    let pooling = args.pooling.map(Pooling::from).unwrap_or(embedder.info().default_pooling);
    Ok((embedder, pooling))
}

/// A progress bar on stderr that appears only for runs longer than about a second
/// and never when stderr is not a terminal.
pub(super) struct Progress {
    pub(super) bar: ProgressBar,
    start: Instant,
    shown: bool,
}

impl Progress {
    /// A hidden bar labelled `what`.
    pub(super) fn new(what: &str) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({per_sec}, eta {eta})") {
            bar.set_style(style);
        }
        bar.set_message(what.to_owned());
        Self { bar, start: Instant::now(), shown: false }
    }

    /// Moves to `done` of `total`; always `true` (go on), to serve as a progress callback.
    pub(super) fn update(&mut self, done: usize, total: usize) -> bool {
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

/// The sentence file at `input` (`-` for stdin).
pub(super) fn read_set(input: &Path) -> Result<SentenceSet> {
    SentenceSet::read_path(input)
}

/// A note on stderr; stdout carries only results.
pub(super) fn warn(msg: &str) {
    let mut err = std::io::stderr().lock();
    writeln!(err, "{msg}").ok();
}

/// Writes a result to `output` atomically, or to stdout without it (refused for `binary`
/// formats, which would garble a terminal).
pub(super) fn write_out(
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

/// The file a Parquet result goes to: Parquet never goes to stdout unasked (`-o -` asks).
pub(super) fn parquet_out(output: Option<&Path>) -> Result<&Path> {
    output.ok_or_else(|| {
        Error::input(None, "parquet is binary: give an output file with -o FILE.parquet (or -o - for stdout)")
    })
}

/// Writes a table in `format` to `output` (or stdout; Parquet only with `-o`).
pub(super) fn write_table(
    output: Option<&Path>,
    format: TableFormat,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<()> {
    if format == TableFormat::Parquet {
        parquet_out(output)?;
    }
    write_out(output, false, write)
}

/// Refuses inputs whose N × N matrix would not fit in memory, before any work.
pub(super) fn check_matrix_size(n: usize) -> Result<()> {
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
