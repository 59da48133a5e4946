//! The numeric engine: no GUI and no CLI types live here.

pub mod analysis;
pub mod blocks;
pub mod cache;
pub mod duplicates;
pub mod embed;
pub mod eval;
pub mod explain;
#[cfg(any(test, feature = "test-support"))]
pub mod fake;
pub mod file_vectors;
pub mod grid;
pub mod hub;
pub mod int8;
pub mod knn;
pub mod model;
mod onnx_session;
pub mod order;

pub use onnx_session::external_data_files;
pub mod pooling;
pub mod project;
pub mod runtime;
pub mod similarity;
pub mod store;
pub mod tokenize;
pub mod umap;

pub use embed::{Embedder, Embeddings, LoadOptions, ModelInfo, OnnxEmbedder, TokenVectors};
pub use int8::{GraphCache, Precision};
pub use model::{BUNDLED_MODEL, ModelFolder, bundled_model_dir};
pub use pooling::Pooling;
pub use runtime::Runtime;
pub use similarity::{SimMatrix, group_matrix, separation, similarity_matrix, top_k};
pub use tokenize::TokenInfo;

/// Loads ONNX Runtime and the model folder `dir` in one step.
pub fn load_model(dir: impl AsRef<std::path::Path>, options: LoadOptions) -> crate::Result<OnnxEmbedder> {
    let runtime = runtime::load()?;
    OnnxEmbedder::load(&runtime, dir, options)
}

/// Deterministic random unit vectors (xorshift), for tests and benches.
#[cfg(any(test, feature = "test-support"))]
pub fn random_unit(n: usize, d: usize, seed: u64) -> Embeddings {
    let mut s = seed;
    let mut data: Vec<f32> = (0..n * d)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 2001) as f32 / 1000.0 - 1.0
        })
        .collect();
    for row in data.chunks_mut(d) {
        pooling::normalize(row);
    }
    Embeddings { dim: d, data, truncated: vec![] }
}
