//! Parquet in and out (arrow-rs), the format pandas, DuckDB, Spark, Ray and Embedding Atlas take.
//!
//! Embeddings are written as columns `text` (utf8), `group` (utf8) and `embedding`
//! (fixed-size list of float32), in row groups as they are computed, with key-value metadata
//! saying what made them. Sentences and vectors are read back from files written here or by
//! pandas, DuckDB or pyarrow: `text` may be utf8 or large utf8, `embedding` a list, large list
//! or fixed-size list of float32, read batch by batch.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray as _;
use arrow_array::types::Float32Type;
use arrow_array::{Array, ArrayRef, FixedSizeListArray, Float32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::sentences::SentenceSet;
use crate::engine::Embeddings;
use crate::{Error, Result};

/// Rows a row group holds: memory while writing stays bounded by one group.
const ROW_GROUP: usize = 16_384;

/// Whether `path` names a Parquet file (by extension), or a folder of Parquet parts as
/// Spark, Ray and DuckDB write them.
pub fn is_parquet(path: &Path) -> bool {
    has_parquet_extension(path) || (path.is_dir() && parts(path).is_ok_and(|p| !p.is_empty()))
}

fn has_parquet_extension(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// The files of a Parquet table: the file itself, or a folder's `*.parquet` files at any
/// depth (partition folders included), by path; `_SUCCESS`, `.crc` and other hidden or
/// underscore files are not parts.
pub fn parts(path: &Path) -> Result<Vec<std::path::PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("cannot read", &dir, e))?;
        for entry in entries {
            let p = entry.map_err(|e| Error::io("cannot read", &dir, e))?.path();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with('_') || name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if has_parquet_extension(&p) {
                found.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Record batches of every part of a table, in order.
fn batches(path: &Path) -> Result<impl Iterator<Item = Result<(std::path::PathBuf, RecordBatch)>>> {
    let files = parts(path)?;
    if files.is_empty() {
        return Err(bad(path, "is a folder with no .parquet files".to_owned()));
    }
    Ok(files.into_iter().flat_map(|file| {
        let reader = open(&file).and_then(|b| b.build().map_err(|e| bad(&file, e.to_string())));
        let items: Box<dyn Iterator<Item = Result<(std::path::PathBuf, RecordBatch)>>> = match reader {
            Ok(r) => {
                let f = file.clone();
                Box::new(r.map(move |b| b.map(|b| (f.clone(), b)).map_err(|e| bad(&f, e.to_string()))))
            }
            Err(e) => Box::new(std::iter::once(Err(e))),
        };
        items
    }))
}

/// The schema; the metadata goes into the Arrow schema too, so `pyarrow`'s
/// `table.schema.metadata` and pandas' `df.attrs`-style readers see it, not only the footer.
fn schema(dim: usize, metadata: &[(String, String)]) -> Arc<Schema> {
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let fields = vec![
        Field::new("text", DataType::Utf8, false),
        Field::new("group", DataType::Utf8, false),
        Field::new("embedding", DataType::FixedSizeList(item, dim as i32), false),
    ];
    let metadata: std::collections::HashMap<String, String> = metadata.iter().cloned().collect();
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// Embeddings written to Parquet as they come, chunk by chunk.
pub struct ParquetStream<W: Write + Send> {
    writer: Option<ArrowWriter<W>>,
    out: Option<W>,
    metadata: Vec<(String, String)>,
    schema: Option<Arc<Schema>>,
}

fn to_io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl<W: Write + Send> ParquetStream<W> {
    /// A stream into `out` whose file metadata holds `metadata` (key, value) pairs.
    pub fn new(out: W, metadata: Vec<(String, String)>) -> Self {
        Self { writer: None, out: Some(out), metadata, schema: None }
    }

    /// Writes the next rows.
    pub fn write(&mut self, texts: &[&str], groups: &[&str], e: &Embeddings) -> std::io::Result<()> {
        if self.writer.is_none() {
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_max_row_group_row_count(Some(ROW_GROUP))
                .set_key_value_metadata(Some(
                    self.metadata.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect(),
                ))
                .build();
            let out = self.out.take().ok_or_else(|| std::io::Error::other("the Parquet stream was closed"))?;
            let schema = schema(e.dim, &self.metadata);
            self.writer = Some(ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(to_io)?);
            self.schema = Some(schema);
        }
        let Some(schema) = self.schema.clone() else { return Err(std::io::Error::other("no schema")) };
        if !matches!(schema.field(2).data_type(), DataType::FixedSizeList(_, d) if *d as usize == e.dim) {
            return Err(std::io::Error::other("vectors changed length in the middle of the output"));
        }
        let values = Arc::new(Float32Array::from(e.data.clone()));
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let list = FixedSizeListArray::try_new(item, e.dim as i32, values, None).map_err(to_io)?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(texts.iter())),
            Arc::new(StringArray::from_iter_values(groups.iter())),
            Arc::new(list),
        ];
        let batch = RecordBatch::try_new(schema, columns).map_err(to_io)?;
        self.writer.as_mut().map_or(Ok(()), |w| w.write(&batch).map_err(to_io))
    }

    /// Writes the footer. A stream with no rows still makes a valid, empty file.
    pub fn finish(mut self, dim: usize) -> std::io::Result<()> {
        if self.writer.is_none() {
            self.write(&[], &[], &Embeddings::empty(dim))?;
        }
        match self.writer.take() {
            Some(w) => w.close().map(drop).map_err(to_io),
            None => Ok(()),
        }
    }
}

fn open(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| Error::Input {
        path: Some(path.into()),
        line: None,
        message: format!("not a Parquet file: {e}"),
    })
}

fn bad(path: &Path, message: String) -> Error {
    Error::Input { path: Some(path.into()), line: None, message }
}

/// The strings of column `name` of `batch` (utf8 or large utf8); `None` when absent.
fn strings(path: &Path, batch: &RecordBatch, name: &str) -> Result<Option<Vec<String>>> {
    let Some(col) = batch.column_by_name(name) else { return Ok(None) };
    let text = |i: usize, v: Option<&str>| {
        v.map(str::to_owned)
            .ok_or_else(|| bad(path, format!("column `{name}` has an empty (null) value in row {}", i + 1)))
    };
    match col.data_type() {
        DataType::Utf8 => {
            col.as_string::<i32>().iter().enumerate().map(|(i, v)| text(i, v)).collect::<Result<_>>().map(Some)
        }
        DataType::LargeUtf8 => {
            col.as_string::<i64>().iter().enumerate().map(|(i, v)| text(i, v)).collect::<Result<_>>().map(Some)
        }
        DataType::Utf8View => {
            col.as_string_view().iter().enumerate().map(|(i, v)| text(i, v)).collect::<Result<_>>().map(Some)
        }
        other => Err(bad(path, format!("column `{name}` is {other}; it must be text (utf8)"))),
    }
}

/// Sentences from a Parquet file with a `text` column and an optional `group` column; groups
/// keep the order they first appear in.
pub fn read_sentences(path: &Path) -> Result<SentenceSet> {
    let mut rows: Vec<(Option<String>, String)> = Vec::new();
    for batch in batches(path)? {
        let (path, batch) = batch?;
        let path = path.as_path();
        let texts = strings(path, &batch, "text")?
            .ok_or_else(|| bad(path, "has no `text` column (the sentences)".to_owned()))?;
        let groups = strings(path, &batch, "group")?;
        rows.extend(texts.into_iter().enumerate().map(|(k, t)| (groups.as_ref().map(|g| g[k].clone()), t)));
    }
    Ok(SentenceSet::from_rows(rows).0)
}

/// The float32 rows of an `embedding` column: list, large list or fixed-size list.
fn rows_of(path: &Path, col: &dyn Array, first_row: usize, dim: &mut Option<usize>, out: &mut Vec<f32>) -> Result<()> {
    let mut push = |i: usize, values: Option<ArrayRef>| -> Result<()> {
        let row = first_row + i + 1;
        let values = values.ok_or_else(|| bad(path, format!("row {row} has no embedding (null)")))?;
        let values = values
            .as_primitive_opt::<Float32Type>()
            .ok_or_else(|| bad(path, format!("`embedding` holds {}; it must hold float32", values.data_type())))?;
        if values.null_count() > 0 || values.values().iter().any(|v| !v.is_finite()) {
            return Err(bad(path, format!("row {row}'s embedding has a value that is not a finite number")));
        }
        match *dim {
            Some(d) if d != values.len() => {
                return Err(bad(
                    path,
                    format!(
                        "row {row}'s embedding has {} values, row 1's has {d}: the vectors are ragged",
                        values.len()
                    ),
                ));
            }
            _ => *dim = Some(values.len()),
        }
        out.extend_from_slice(values.values());
        Ok(())
    };
    match col.data_type() {
        DataType::FixedSizeList(..) => col.as_fixed_size_list().iter().enumerate().try_for_each(|(i, v)| push(i, v)),
        DataType::List(_) => col.as_list::<i32>().iter().enumerate().try_for_each(|(i, v)| push(i, v)),
        DataType::LargeList(_) => col.as_list::<i64>().iter().enumerate().try_for_each(|(i, v)| push(i, v)),
        other => Err(bad(path, format!("column `embedding` is {other}; it must be a list of float32"))),
    }
}

/// What a Parquet vectors table holds: the vectors, its row count, and its sentences when
/// it has a `text` column. (`io::VectorsFile` checks and normalises it.)
pub struct VectorsTable {
    /// One row per sentence.
    pub embeddings: Embeddings,
    /// The sentences, when the file has them.
    pub sentences: Option<SentenceSet>,
    /// Rows read, whatever their vectors hold (a row of an empty list counts).
    pub rows: usize,
}

/// Vectors from the `embedding` column of a Parquet file, with its `text`/`group` when
/// present (then in the sentences' grouped order).
pub fn read_vectors(path: &Path) -> Result<VectorsTable> {
    let (mut data, mut dim, mut n) = (Vec::new(), None, 0);
    let mut texts: Option<Vec<(Option<String>, String)>> = None;
    for batch in batches(path)? {
        let (path, batch) = batch?;
        let path = path.as_path();
        let col = batch
            .column_by_name("embedding")
            .ok_or_else(|| bad(path, "has no `embedding` column (the vectors)".to_owned()))?;
        rows_of(path, col.as_ref(), n, &mut dim, &mut data)?;
        if let Some(t) = strings(path, &batch, "text")? {
            let g = strings(path, &batch, "group")?;
            let rows = texts.get_or_insert_with(Vec::new);
            rows.extend(t.into_iter().enumerate().map(|(k, t)| (g.as_ref().map(|g| g[k].clone()), t)));
        }
        n += batch.num_rows();
    }
    let d = dim.unwrap_or(0);
    let sentences = texts.map(|rows| {
        // Sentences are grouped as every other reader groups them; the vectors follow, so
        // row k of the result is sentence k of the set even when the file interleaves its groups.
        let (set, order) = SentenceSet::from_rows(rows);
        if order.iter().enumerate().any(|(k, &r)| k != r) {
            data = order.iter().flat_map(|&r| data[r * d..(r + 1) * d].iter().copied()).collect();
        }
        set
    });
    Ok(VectorsTable { embeddings: Embeddings { dim: d, data, truncated: Vec::new() }, sentences, rows: n })
}

/// The file's key-value metadata (a folder's: its first part's).
pub fn metadata(path: &Path) -> Result<Vec<(String, String)>> {
    let first =
        parts(path)?.into_iter().next().ok_or_else(|| bad(path, "is a folder with no .parquet files".to_owned()))?;
    let builder = open(&first)?;
    let kv = builder.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    Ok(kv.into_iter().map(|k| (k.key, k.value.unwrap_or_default())).collect())
}

/// A column of a table written with [`write_columns`].
pub enum Column<'a> {
    /// utf8.
    Text(&'a [&'a str]),
    /// float32.
    Float(&'a [f32]),
    /// uint64 (row numbers).
    Index(&'a [u64]),
    /// uint64 or null.
    MaybeIndex(&'a [Option<u64>]),
    /// float32 or null.
    MaybeFloat(&'a [Option<f32>]),
    /// A fixed-size list of float32: the vectors.
    Vectors(&'a Embeddings),
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::Index(v) => v.len(),
            Column::MaybeIndex(v) => v.len(),
            Column::MaybeFloat(v) => v.len(),
            Column::Vectors(e) => e.len(),
        }
    }

    fn nullable(&self) -> bool {
        matches!(self, Column::MaybeIndex(_) | Column::MaybeFloat(_))
    }

    fn data_type(&self) -> DataType {
        match self {
            Column::Text(_) => DataType::Utf8,
            Column::Float(_) | Column::MaybeFloat(_) => DataType::Float32,
            Column::Index(_) | Column::MaybeIndex(_) => DataType::UInt64,
            Column::Vectors(e) => {
                DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, false)), e.dim as i32)
            }
        }
    }

    fn slice(&self, rows: std::ops::Range<usize>) -> std::io::Result<ArrayRef> {
        Ok(match self {
            Column::Text(v) => Arc::new(StringArray::from(v[rows].to_vec())),
            Column::Float(v) => Arc::new(Float32Array::from(v[rows].to_vec())),
            Column::Index(v) => Arc::new(arrow_array::UInt64Array::from(v[rows].to_vec())),
            Column::MaybeIndex(v) => Arc::new(arrow_array::UInt64Array::from(v[rows].to_vec())),
            Column::MaybeFloat(v) => Arc::new(Float32Array::from(v[rows].to_vec())),
            Column::Vectors(e) => {
                let values = Arc::new(Float32Array::from(e.data[rows.start * e.dim..rows.end * e.dim].to_vec()));
                let item = Arc::new(Field::new("item", DataType::Float32, false));
                Arc::new(FixedSizeListArray::try_new(item, e.dim as i32, values, None).map_err(to_io)?)
            }
        })
    }
}

/// Writes named columns of equal length as one Parquet table, row group by row group (each
/// group's arrays are built only when it is written), with `metadata` in the footer and schema.
pub fn write_columns(
    out: impl Write + Send,
    columns: &[(&str, Column<'_>)],
    metadata: &[(String, String)],
) -> std::io::Result<()> {
    let rows = columns.first().map_or(0, |(_, c)| c.len());
    if let Some((name, _)) = columns.iter().find(|(_, c)| c.len() != rows) {
        return Err(std::io::Error::other(format!("column `{name}` has another length than the first")));
    }
    let fields: Vec<Field> = columns.iter().map(|(n, c)| Field::new(*n, c.data_type(), c.nullable())).collect();
    let meta: std::collections::HashMap<String, String> = metadata.iter().cloned().collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, meta));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_key_value_metadata(Some(metadata.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect()))
        .build();
    let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(to_io)?;
    let mut start = 0;
    while start < rows || (rows == 0 && start == 0) {
        let end = (start + ROW_GROUP).min(rows);
        let arrays = columns.iter().map(|(_, c)| c.slice(start..end)).collect::<std::io::Result<Vec<_>>>()?;
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(to_io)?;
        writer.write(&batch).map_err(to_io)?;
        if rows == 0 {
            break;
        }
        start = end;
    }
    writer.close().map(drop).map_err(to_io)
}

/// Rows in a table (all its parts), from the footers alone.
pub fn row_count(path: &Path) -> Result<usize> {
    let mut n = 0usize;
    for file in parts(path)? {
        n += open(&file)?.metadata().file_metadata().num_rows().max(0) as usize;
    }
    Ok(n)
}

/// The text and vector of the rows numbered `wanted` (in file order, ascending), read batch
/// by batch: only those rows are kept, so a table of any size is sampled in bounded memory.
pub fn read_rows(path: &Path, wanted: &[usize]) -> Result<(Vec<String>, Embeddings)> {
    let (mut texts, mut data, mut dim) = (Vec::with_capacity(wanted.len()), Vec::new(), None);
    let mut next = wanted.iter().copied().peekable();
    let mut first = 0usize;
    for batch in batches(path)? {
        if next.peek().is_none() {
            break;
        }
        let (file, batch) = batch?;
        let rows = batch.num_rows();
        let end = first + rows;
        let mut picked = Vec::new();
        while let Some(&r) = next.peek() {
            if r >= end {
                break;
            }
            picked.push(r - first);
            next.next();
        }
        if !picked.is_empty() {
            let idx = arrow_array::UInt32Array::from(picked.iter().map(|&r| r as u32).collect::<Vec<_>>());
            let take = |name: &str| -> Result<Option<ArrayRef>> {
                batch
                    .column_by_name(name)
                    .map(|c| arrow_select::take::take(c.as_ref(), &idx, None).map_err(|e| bad(&file, e.to_string())))
                    .transpose()
            };
            let text = take("text")?.ok_or_else(|| bad(&file, "has no `text` column (the sentences)".to_owned()))?;
            let emb =
                take("embedding")?.ok_or_else(|| bad(&file, "has no `embedding` column (the vectors)".to_owned()))?;
            let small = RecordBatch::try_from_iter([("text", text)]).map_err(|e| bad(&file, e.to_string()))?;
            texts.extend(strings(&file, &small, "text")?.unwrap_or_default());
            rows_of(&file, emb.as_ref(), first, &mut dim, &mut data)?;
        }
        first = end;
    }
    Ok((texts, Embeddings { dim: dim.unwrap_or(0), data, truncated: Vec::new() }))
}
