//! Files in and out: sentence sets, result formats, atomic writes. No GUI types.

pub mod atomic;
pub mod export;
pub mod npy;
pub mod pairs;
pub mod parquet;
pub mod sentences;
pub mod tables;

pub use atomic::atomic_write;
pub use sentences::{Group, SentenceSet};

/// A vectors file (NPY, N × d float32, or Parquet with an `embedding` column) of exactly
/// `rows` vectors, checked for finite values and L2-normalised.
pub fn read_vectors_file(path: &std::path::Path, rows: usize) -> crate::Result<crate::engine::Embeddings> {
    let at = |message: String| crate::Error::Input { path: Some(path.to_path_buf()), line: None, message };
    let (n, d, mut data) = if crate::io::parquet::is_parquet(path) {
        let e = crate::io::parquet::read_vectors(path)?.embeddings;
        (e.len(), e.dim, e.data)
    } else {
        crate::io::npy::read_f32_file(path)?
    };
    if n != rows {
        return Err(at(format!(
            "has {n} vectors but the input has {rows} sentences; give the vectors of exactly these sentences, in order"
        )));
    }
    if let Some(bad) = data.iter().position(|v| !v.is_finite()) {
        return Err(at(format!("vector {} has a value that is not a finite number", bad / d.max(1) + 1)));
    }
    for row in data.chunks_mut(d.max(1)) {
        crate::engine::pooling::normalize(row);
    }
    Ok(crate::engine::Embeddings { dim: d, data, truncated: Vec::new() })
}
