//! Reading a sentence set from any file simlens takes: plain text, CSV/TSV, or Parquet.
//!
//! Apart from `sentences.rs` because it dispatches to the Parquet reader, which builds
//! sentence sets itself: in one file the two would import each other.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::sentences::{SentenceSet, SetFormat};
use crate::{Error, Result};

impl SentenceSet {
    /// Reads a file, choosing the format from its extension; `-` reads standard input as text.
    pub fn read_path(path: &Path) -> Result<Self> {
        if path.is_dir() && !super::parquet::is_parquet(path) {
            return Err(Error::Input {
                path: Some(path.into()),
                line: None,
                message: "is a folder with no .parquet files; give a sentence file (.txt, .csv, .tsv, .parquet) or a folder of .parquet parts".into(),
            });
        }
        if super::parquet::is_parquet(path) {
            let set = super::parquet::read_sentences(path)?;
            if set.is_empty() {
                return Err(Error::Input {
                    path: Some(path.into()),
                    line: None,
                    message: "the `text` column has no sentences".into(),
                });
            }
            return Ok(set);
        }
        let (bytes, format, shown) = if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| Error::io("cannot read", "<stdin>", e))?;
            (buf, SetFormat::Text, PathBuf::from("<stdin>"))
        } else {
            let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
            (bytes, SetFormat::from_path(path), path.to_path_buf())
        };
        Self::parse(&bytes, format).map_err(|e| match e {
            Error::Input { path: None, line, message } => Error::Input { path: Some(shown), line, message },
            other => other,
        })
    }
}
