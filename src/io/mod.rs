//! Files in and out: sentence sets, result formats, atomic writes. No GUI types.

pub mod atomic;
pub mod export;
mod input;
pub mod npy;
pub mod pairs;
pub mod parquet;
pub mod sentences;
pub mod tables;
pub mod vectors;

pub use atomic::atomic_write;
pub use sentences::{Group, SentenceSet};
pub use vectors::VectorsFile;
