//! simlens: explore sentence similarity offline.
//!
//! The crate is one engine shared by three front ends: the desktop app ([`app`]),
//! the command line ([`cli`]) and the tests. Text goes through
//! tokenize → tensors → ONNX Runtime → output by name → pooling → L2 normalisation,
//! and similarity is the dot product of the normalised vectors.
//!
//! - [`engine`] holds everything numeric and knows nothing of the GUI or CLI.
//! - [`io`] reads sentence sets and writes results, atomically.
//! - [`app`] is the egui explorer; [`cli`] the clap commands.
//! - [`text`] holds text helpers that every layer may use.

#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod engine;
pub mod error;
pub mod io;
pub mod render;
pub mod session;
pub mod text;

pub use error::{Error, Result};
