//! A vectors file read once: NPY (N × d float32) or Parquet (an `embedding` column, with
//! the sentences when it has a `text` column). Its values are checked once here (finite,
//! not all zero) and L2-normalised in a way no finite scale breaks; every caller (the CLI's
//! `--vectors`, the app's File → Open vectors…) goes through [`VectorsFile`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::sentences::SentenceSet;
use crate::engine::Embeddings;
use crate::engine::pooling::normalize_any_scale;
use crate::text::truncate;
use crate::{Error, Result};

/// A vectors file, read and checked.
pub struct VectorsFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// One unit-length row per vector, in the file's row order (a Parquet file's rows
    /// grouped as its [`VectorsFile::sentences`] are).
    pub embeddings: Embeddings,
    /// The sentences, when the file has them; sentence `k` (in flattened order) is row `k`.
    pub sentences: Option<SentenceSet>,
}

impl VectorsFile {
    /// Reads `path` (Parquet by its extension or folder, else NPY), checks every value and
    /// normalises every row.
    pub fn read(path: &Path) -> Result<Self> {
        check_kind(path)?;
        let (mut embeddings, sentences, rows) = if super::parquet::is_parquet(path) {
            let v = super::parquet::read_vectors(path)?;
            (v.embeddings, v.sentences, v.rows)
        } else {
            let (rows, dim, data) = super::npy::read_f32_file(path)?;
            (Embeddings { dim, data, truncated: Vec::new() }, None, rows)
        };
        if rows == 0 {
            return Err(at(path, "has 0 vectors (no rows); give a file with the sentences' vectors"));
        }
        check_and_normalize(path, &mut embeddings)?;
        Ok(Self { path: path.to_path_buf(), embeddings, sentences })
    }

    /// The file's own sentences and their vectors, for commands without INPUT.
    pub fn into_own_sentences(self) -> Result<(SentenceSet, Embeddings)> {
        match self.sentences {
            Some(set) if !set.is_empty() => Ok((set, self.embeddings)),
            Some(_) => Err(self::at(&self.path, "has a `text` column with no sentences; give INPUT (the sentences)")),
            None => Err(self::at(&self.path, "has no `text` column, so the sentences must come from INPUT")),
        }
    }

    /// The vectors of `texts`, row `k` for `texts[k]`.
    ///
    /// When the file has its own sentences they must be the same ones: in the same order
    /// they are used as they are; in another order (a Spark or Ray job's parts come back in
    /// any order) the rows are aligned by text; otherwise the file is refused, with both
    /// counts and the first sentence that differs. A file without sentences (NPY) is
    /// taken row by row and must have exactly as many rows.
    pub fn into_vectors_for(self, texts: &[&str]) -> Result<Embeddings> {
        let n = self.embeddings.len();
        let Some(own) = &self.sentences else {
            if n != texts.len() {
                return Err(at(
                    &self.path,
                    &format!(
                        "has {n} vectors but the input has {} sentences; give the vectors of exactly these sentences, in order",
                        texts.len()
                    ),
                ));
            }
            return Ok(self.embeddings);
        };
        let (file_texts, _) = own.flatten();
        if file_texts.len() == texts.len() && file_texts.iter().zip(texts).all(|(a, b)| a.trim() == b.trim()) {
            return Ok(self.embeddings);
        }
        let aligned = align_by_text(&file_texts, texts);
        match aligned {
            Ok(rows) => {
                let d = self.embeddings.dim;
                let mut data = Vec::with_capacity(rows.len() * d);
                for r in rows {
                    data.extend_from_slice(self.embeddings.row(r));
                }
                Ok(Embeddings { dim: d, data, truncated: Vec::new() })
            }
            Err(first) => {
                let counts = if file_texts.len() == texts.len() {
                    format!("has the vectors of {n} sentences, as many as the input has, but not the same ones")
                } else {
                    format!("has {n} vectors but the input has {} sentences", texts.len())
                };
                Err(at(
                    &self.path,
                    &format!(
                        "{counts}: {first}. Give the vectors of exactly these sentences (in any order), or leave INPUT out to use the file's own `text`"
                    ),
                ))
            }
        }
    }
}

/// For each of `wanted`, the row of `have` with the same (trimmed) text, each row used
/// once; or a description of the first sentence that has no row left, or of a row that no
/// sentence uses.
fn align_by_text(have: &[&str], wanted: &[&str]) -> std::result::Result<Vec<usize>, String> {
    let mut rows: HashMap<&str, Vec<usize>> = HashMap::new();
    for (r, t) in have.iter().enumerate().rev() {
        rows.entry(t.trim()).or_default().push(r);
    }
    let mut out = Vec::with_capacity(wanted.len());
    for (k, t) in wanted.iter().enumerate() {
        // Repeated sentences take their rows in order.
        match rows.get_mut(t.trim()).and_then(Vec::pop) {
            Some(r) => out.push(r),
            None => {
                return Err(format!(
                    "INPUT's sentence {} (“{}”) is not in the file, or not that often",
                    k + 1,
                    truncate(t, 60)
                ));
            }
        }
    }
    let mut left: Vec<usize> = rows.into_values().flatten().collect();
    left.sort_unstable();
    if let Some(&r) = left.first() {
        return Err(format!("the file's row {} (“{}”) is not in INPUT", r + 1, truncate(have[r], 60)));
    }
    Ok(out)
}

/// Refuses what cannot be a vectors file before opening it: a folder without Parquet parts,
/// and a FIFO, socket or device (opening a FIFO would wait for a writer forever).
fn check_kind(path: &Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt as _;
    let meta = std::fs::metadata(path).map_err(|e| Error::io("cannot read", path, e))?;
    let kind = meta.file_type();
    if kind.is_dir() && !super::parquet::is_parquet(path) {
        return Err(at(
            path,
            "is a folder with no .parquet files; give a .npy file, a .parquet file, or a folder of .parquet parts",
        ));
    }
    let special = if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_block_device() || kind.is_char_device() {
        Some("a device")
    } else {
        None
    };
    match special {
        Some(what) => Err(at(path, &format!("is {what}, not a file; vectors are read from a .npy or .parquet file"))),
        None => Ok(()),
    }
}

fn at(path: &Path, message: &str) -> Error {
    Error::Input { path: Some(path.to_path_buf()), line: None, message: message.to_owned() }
}

/// Refuses a non-finite value or an all-zero row, naming its row, and normalises the rest.
fn check_and_normalize(path: &Path, e: &mut Embeddings) -> Result<()> {
    if e.dim == 0 && !e.data.is_empty() {
        return Err(Error::internal("vectors with data but no dimension"));
    }
    if e.dim == 0 {
        return Err(at(path, "has vectors of 0 values; each vector needs at least one value"));
    }
    if e.data.is_empty() {
        return Err(at(path, "has 0 vectors"));
    }
    if let Some(bad) = e.data.iter().position(|v| !v.is_finite()) {
        return Err(at(path, &format!("vector {} has a value that is not a finite number", bad / e.dim + 1)));
    }
    for (r, row) in e.data.chunks_mut(e.dim).enumerate() {
        if !normalize_any_scale(row) {
            return Err(at(
                path,
                &format!("vector {} is all zeros, so it has no direction to compare; remove that row", r + 1),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn aligns_a_shuffled_order_and_refuses_other_sentences() {
        assert_eq!(align_by_text(&["a", "b", "c"], &["c", "a", "b"]), Ok(vec![2, 0, 1]));
        assert_eq!(align_by_text(&["a", "a", "b"], &["a", "b", "a"]), Ok(vec![0, 2, 1]));
        let e = align_by_text(&["a", "b"], &["a", "z"]).unwrap_err();
        assert!(e.contains("sentence 2") && e.contains("“z”"), "{e}");
        let e = align_by_text(&["a", "b", "x"], &["a", "b"]).unwrap_err();
        assert!(e.contains("row 3") && e.contains("“x”"), "{e}");
    }

    #[test]
    fn normalises_any_finite_scale_and_refuses_zero_rows() {
        for scale in [1e-30f32, 1e-20, 1.0, 1e20, 3e37] {
            let mut e = Embeddings { dim: 2, data: vec![3.0 * scale, 4.0 * scale], truncated: vec![] };
            check_and_normalize(Path::new("v.npy"), &mut e).unwrap();
            assert!((e.data[0] - 0.6).abs() < 1e-6 && (e.data[1] - 0.8).abs() < 1e-6, "{scale}: {:?}", e.data);
        }
        let mut z = Embeddings { dim: 2, data: vec![1.0, 0.0, 0.0, 0.0], truncated: vec![] };
        let err = check_and_normalize(Path::new("v.npy"), &mut z).unwrap_err().to_string();
        assert!(err.contains("vector 2 is all zeros"), "{err}");
    }
}
