//! The library's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in the engine and in file I/O.
///
/// Each variant's message says what went wrong, where, and, where there is one,
/// what fixes it, so front ends can show it as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No ONNX Runtime library was found in any of the places searched.
    #[error(
        "ONNX Runtime library not found. Looked for {wanted} in:\n{}\nFix: run `simlens setup` (it fetches the onnxruntime==1.31.1 wheel with pip once, into your user data folder), or `scripts/fetch-onnxruntime` in a source checkout, or set ORT_DYLIB_PATH to a libonnxruntime 1.31 file.",
        searched.iter().map(|p| format!("  - {}", p.display())).collect::<Vec<_>>().join("\n")
    )]
    RuntimeMissing {
        /// The file name looked for.
        wanted: String,
        /// Every path that was tried, in order.
        searched: Vec<PathBuf>,
    },

    /// A library file was found but could not be used as ONNX Runtime.
    #[error(
        "cannot use {} as ONNX Runtime: {reason}\nFix: point ORT_DYLIB_PATH at libonnxruntime 1.31 (or unset it and run `scripts/fetch-onnxruntime`). Restart simlens after changing it.",
        path.display()
    )]
    RuntimeLoad {
        /// The library file tried.
        path: PathBuf,
        /// Why it could not be used.
        reason: String,
    },

    /// A model folder is missing a file, or a file in it is unusable.
    #[error("model folder {}: {problem}", path.display())]
    Model {
        /// The file or folder at fault.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// ONNX Runtime reported an error.
    #[error("ONNX Runtime error while {context}: {message}")]
    Ort {
        /// What simlens was doing.
        context: String,
        /// ONNX Runtime's own message.
        message: String,
    },

    /// The tokenizer failed on some text.
    #[error("tokenizer error: {0}")]
    Tokenize(String),

    /// The requested pooling needs an output the model does not have.
    #[error("pooling `{pooling}` is not available for model {model}: {why}")]
    PoolingUnavailable {
        /// The pooling asked for.
        pooling: String,
        /// The model's name.
        model: String,
        /// What is missing.
        why: String,
    },

    /// Input text or a data file could not be understood.
    #[error("{}{message}", location(path.as_ref(), *line))]
    Input {
        /// The file, if the input came from one.
        path: Option<PathBuf>,
        /// The 1-based line number, where it applies.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },

    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What simlens tried to do ("cannot read", "cannot write"…).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A request needed a model, and none is loaded (the app's worker, before or after
    /// a failed load). A state of the program, not a fault in the user's data.
    #[error("no model is loaded: open a model folder, or use the bundled model (Model menu)")]
    NoModel,

    /// simlens reached a state it should never reach. Not the user's data: a bug.
    #[error("internal error: {0}. This is a bug in simlens; please report it with the steps that led here.")]
    Internal(String),

    /// A background worker panicked; the job failed and the worker restarts.
    #[error("the embedding worker crashed: {0}. The model will be reloaded; try again.")]
    WorkerPanic(String),

    /// The work was cancelled because newer work superseded it.
    #[error("cancelled")]
    Cancelled,

    /// `simlens setup` could not fetch or install what it needs.
    #[error("setup failed: {0}")]
    Setup(String),
}

fn location(path: Option<&PathBuf>, line: Option<usize>) -> String {
    match (path, line) {
        (Some(p), Some(l)) => format!("{}:{l}: ", p.display()),
        (Some(p), None) => format!("{}: ", p.display()),
        (None, Some(l)) => format!("line {l}: "),
        (None, None) => String::new(),
    }
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }

    /// An [`Error::Model`] for `path`.
    pub fn model(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        Self::Model { path: path.into(), problem: problem.into() }
    }

    /// An [`Error::Input`] without a file.
    pub fn input(line: Option<usize>, message: impl Into<String>) -> Self {
        Self::Input { path: None, line, message: message.into() }
    }

    /// An [`Error::Internal`]: a broken invariant, never the user's input.
    pub fn internal(what: impl Into<String>) -> Self {
        Self::Internal(what.into())
    }

    /// An [`Error::Ort`] from any ONNX Runtime error.
    pub fn ort(context: impl Into<String>, err: impl std::fmt::Display) -> Self {
        Self::Ort { context: context.into(), message: err.to_string() }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
