//! Result formats shared by the CLI and the app: similarity matrices and embeddings
//! as CSV, JSON, NPY and the Embedding Projector's TSV pair.

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::atomic::atomic_write;
use super::npy;
use crate::engine::{Embeddings, Pooling, Precision, SimMatrix};
use crate::{Error, Result};

/// Formats for a similarity matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixFormat {
    /// Header row of labels, one row per sentence, label first.
    Csv,
    /// An object with model, pooling, labels, groups and both matrices.
    Json,
    /// A float32 `N × N` NumPy array.
    Npy,
}

impl FromStr for MatrixFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            "npy" => Ok(Self::Npy),
            o => Err(format!("unknown format `{o}` (expected csv, json or npy)")),
        }
    }
}

/// Formats for embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingFormat {
    /// A float32 `N × dim` NumPy array.
    Npy,
    /// `text,group,0,1,…` per sentence.
    Csv,
    /// An object with model, pooling, labels, groups and the vectors.
    Json,
    /// The Embedding Projector pair: `vectors.tsv` and `metadata.tsv` in a folder.
    Tsv,
    /// Parquet: `text`, `group`, `embedding` (fixed-size list of float32), with metadata.
    Parquet,
}

impl FromStr for EmbeddingFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "npy" => Ok(Self::Npy),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            "tsv" => Ok(Self::Tsv),
            "parquet" => Ok(Self::Parquet),
            o => Err(format!("unknown format `{o}` (expected npy, csv, json, tsv or parquet)")),
        }
    }
}

/// A similarity result with everything needed to read it later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarityReport {
    /// The model folder's name.
    pub model: String,
    /// The pooling used; `null` for vectors read from a file.
    pub pooling: Option<Pooling>,
    /// What the numbers are.
    #[serde(default = "metric")]
    pub metric: String,
    /// The sentences, in matrix order.
    pub labels: Vec<String>,
    /// The group of each sentence.
    pub groups: Vec<String>,
    /// `N × N` cosine similarities.
    pub matrix: Vec<Vec<f32>>,
    /// The groups, in order.
    pub group_names: Vec<String>,
    /// Mean similarity between groups; `null` where a group has no pair (a one-sentence
    /// group's own cell: self-pairs are left out).
    pub group_matrix: Vec<Vec<Option<f32>>>,
}

fn metric() -> String {
    "cosine similarity (dot product of L2-normalised vectors)".to_owned()
}

impl SimilarityReport {
    /// Builds a report from the matrix and its labels.
    pub fn new(
        model: &str,
        pooling: Option<Pooling>,
        labels: &[&str],
        groups: &[usize],
        group_names: &[String],
        sim: &SimMatrix,
        group_matrix: &[Option<f32>],
    ) -> Self {
        let g = group_names.len();
        Self {
            model: model.to_owned(),
            pooling,
            metric: metric(),
            labels: labels.iter().map(|&s| s.to_owned()).collect(),
            groups: groups.iter().map(|&i| group_names[i].clone()).collect(),
            matrix: (0..sim.n).map(|i| sim.row(i).to_vec()).collect(),
            group_names: group_names.to_vec(),
            group_matrix: (0..g).map(|i| group_matrix[i * g..(i + 1) * g].to_vec()).collect(),
        }
    }

    /// Writes the report in `format`.
    pub fn write(&self, w: &mut dyn Write, format: MatrixFormat) -> std::io::Result<()> {
        match format {
            MatrixFormat::Json => {
                serde_json::to_writer_pretty(&mut *w, self)?;
                writeln!(w)
            }
            MatrixFormat::Csv => {
                let mut cw = csv::Writer::from_writer(w);
                cw.write_field("")?;
                cw.write_record(&self.labels)?;
                for (label, row) in self.labels.iter().zip(&self.matrix) {
                    cw.write_field(label)?;
                    cw.write_record(row.iter().map(|v| v.to_string()))?;
                }
                cw.flush()
            }
            MatrixFormat::Npy => {
                let n = self.labels.len();
                let flat: Vec<f32> = self.matrix.iter().flatten().copied().collect();
                npy::write_f32(w, n, n, &flat)
            }
        }
    }

    /// Writes the report to `path` atomically.
    pub fn save(&self, path: &Path, format: MatrixFormat) -> Result<()> {
        atomic_write(path, |w| self.write(w, format))
    }
}

/// Sentences with their vectors, for export.
pub struct EmbeddingExport<'a> {
    /// The model folder's name.
    pub model: &'a str,
    /// The model's content hash (its fingerprint), for the Parquet metadata.
    pub fingerprint: &'a str,
    /// The pooling used.
    pub pooling: Pooling,
    /// The graph that made the vectors.
    pub precision: &'a Precision,
    /// The sentences.
    pub labels: &'a [&'a str],
    /// The group name of each sentence.
    pub groups: Vec<&'a str>,
    /// The vectors, in the same order.
    pub embeddings: &'a Embeddings,
}

#[derive(Serialize)]
struct EmbeddingJson<'a> {
    model: &'a str,
    pooling: Pooling,
    precision: String,
    dim: usize,
    normalized: bool,
    labels: &'a [&'a str],
    groups: &'a [&'a str],
    embeddings: Vec<&'a [f32]>,
}

impl EmbeddingExport<'_> {
    /// Writes the vectors in `format` to a writer; the TSV pair needs a folder, see [`Self::save`].
    pub fn write(&self, w: &mut (dyn Write + Send), format: EmbeddingFormat) -> std::io::Result<()> {
        let e = self.embeddings;
        match format {
            EmbeddingFormat::Parquet => {
                let mut p = super::parquet::ParquetStream::new(
                    w,
                    parquet_metadata(self.model, self.fingerprint, self.pooling, self.precision),
                );
                p.write(self.labels, &self.groups, e)?;
                p.finish(e.dim)
            }
            EmbeddingFormat::Npy => npy::write_f32(w, e.len(), e.dim, &e.data),
            EmbeddingFormat::Json => {
                let j = EmbeddingJson {
                    model: self.model,
                    precision: self.precision.as_string(),
                    pooling: self.pooling,
                    dim: e.dim,
                    normalized: true,
                    labels: self.labels,
                    groups: &self.groups,
                    embeddings: e.rows().collect(),
                };
                serde_json::to_writer(&mut *w, &j)?;
                writeln!(w)
            }
            EmbeddingFormat::Csv => {
                let mut cw = csv::Writer::from_writer(w);
                let mut header = vec!["text".to_owned(), "group".to_owned()];
                header.extend((0..e.dim).map(|i| i.to_string()));
                cw.write_record(&header)?;
                for ((label, group), row) in self.labels.iter().zip(&self.groups).zip(e.rows()) {
                    cw.write_field(label)?;
                    cw.write_field(group)?;
                    cw.write_record(row.iter().map(|v| v.to_string()))?;
                }
                cw.flush()
            }
            EmbeddingFormat::Tsv => self.write_vectors_tsv(w),
        }
    }

    /// `vectors.tsv`: one tab-separated vector per line.
    pub fn write_vectors_tsv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        for row in self.embeddings.rows() {
            let line: Vec<String> = row.iter().map(|v| v.to_string()).collect();
            writeln!(w, "{}", line.join("\t"))?;
        }
        Ok(())
    }

    /// `metadata.tsv`: a header row, then text and group per line (tabs and line
    /// breaks in the text become spaces, so the lines stay aligned with the vectors).
    pub fn write_metadata_tsv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        writeln!(w, "text\tgroup")?;
        for (label, group) in self.labels.iter().zip(&self.groups) {
            writeln!(w, "{}\t{}", clean(label), clean(group))?;
        }
        Ok(())
    }

    /// Writes to `path` atomically; for [`EmbeddingFormat::Tsv`], `path` is a folder
    /// (created if missing) that receives `vectors.tsv` and `metadata.tsv`.
    pub fn save(&self, path: &Path, format: EmbeddingFormat) -> Result<()> {
        if format == EmbeddingFormat::Tsv {
            std::fs::create_dir_all(path).map_err(|e| Error::io("cannot create folder", path, e))?;
            atomic_write(&path.join("vectors.tsv"), |w| self.write_vectors_tsv(w))?;
            atomic_write(&path.join("metadata.tsv"), |w| self.write_metadata_tsv(w))
        } else {
            atomic_write(path, |w| self.write(w, format))
        }
    }
}

/// Embeddings written as they are computed: the header with the first rows, then rows.
/// NPY and CSV only (their rows stand alone); the result equals [`EmbeddingExport::write`].
pub struct EmbeddingStream {
    format: EmbeddingFormat,
    rows: usize,
    written: usize,
    dim: Option<usize>,
}

impl EmbeddingStream {
    /// A stream of `rows` vectors in `format` (NPY or CSV).
    pub fn new(format: EmbeddingFormat, rows: usize) -> Self {
        Self { format, rows, written: 0, dim: None }
    }

    fn header(&mut self, w: &mut dyn Write, dim: usize) -> std::io::Result<()> {
        if self.dim.is_some() {
            return Ok(());
        }
        self.dim = Some(dim);
        match self.format {
            EmbeddingFormat::Npy => npy::write_header(w, self.rows, dim),
            _ => {
                let mut cw = csv::Writer::from_writer(w);
                let mut header = vec!["text".to_owned(), "group".to_owned()];
                header.extend((0..dim).map(|i| i.to_string()));
                cw.write_record(&header)?;
                cw.flush()
            }
        }
    }

    /// Writes the next rows: `labels[k]`, `groups[k]` and `e.row(k)`.
    pub fn write(
        &mut self,
        w: &mut dyn Write,
        labels: &[&str],
        groups: &[&str],
        e: &Embeddings,
    ) -> std::io::Result<()> {
        self.header(w, e.dim)?;
        if self.dim != Some(e.dim) {
            return Err(std::io::Error::other("vectors changed length in the middle of the output"));
        }
        self.written += e.len();
        match self.format {
            EmbeddingFormat::Npy => npy::write_values(w, &e.data),
            _ => {
                let mut cw = csv::Writer::from_writer(w);
                for ((label, group), row) in labels.iter().zip(groups).zip(e.rows()) {
                    cw.write_field(label)?;
                    cw.write_field(group)?;
                    cw.write_record(row.iter().map(|v| v.to_string()))?;
                }
                cw.flush()
            }
        }
    }

    /// Ends the stream; checks every promised row was written.
    pub fn finish(mut self, w: &mut dyn Write) -> std::io::Result<()> {
        self.header(w, 0)?;
        if self.written != self.rows {
            return Err(std::io::Error::other(format!("{} of {} rows were written", self.written, self.rows)));
        }
        w.flush()
    }
}

/// What the Parquet file says made it: model (name and content hash), pooling, precision,
/// normalisation and the simlens version.
pub fn parquet_metadata(
    model: &str,
    fingerprint: &str,
    pooling: Pooling,
    precision: &Precision,
) -> Vec<(String, String)> {
    [
        ("simlens.model", model.to_owned()),
        ("simlens.model_hash", fingerprint.to_owned()),
        ("simlens.pooling", pooling.as_str().to_owned()),
        ("simlens.precision", precision.as_string()),
        ("simlens.normalized", "true".to_owned()),
        ("simlens.version", env!("CARGO_PKG_VERSION").to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
