//! The tables simlens writes as CSV, JSON or Parquet: the 2-D map and the paraphrase pairs.
//! Each is laid out here once, so the CLI and the app write the same columns. (The
//! embeddings' own table is [`crate::io::export::EmbeddingExport`], streamed by
//! [`crate::io::export::EmbeddingStream`] and [`crate::io::parquet::ParquetStream`].)

use std::io::Write;

use serde_json::{Map, Value, json};

use crate::engine::analysis::{Pair, PairScope};
use crate::engine::{Embeddings, Pooling};
use crate::io::parquet::{Column, write_columns};

/// Formats for a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// A header row, one row per record.
    Csv,
    /// An object with what made the table and its records.
    Json,
    /// Parquet with the metadata in the footer and schema.
    Parquet,
}

/// A table simlens writes in every [`TableFormat`]: one layout, written by the CLI and
/// the app alike.
pub trait Table {
    /// Parquet: the columns, with what made them in the footer.
    fn write_parquet(&self, w: &mut (dyn Write + Send)) -> std::io::Result<()>;
    /// CSV with a header row.
    fn write_csv(&self, w: &mut dyn Write) -> std::io::Result<()>;
    /// A JSON object with what made the table and its records.
    fn write_json(&self, w: &mut dyn Write) -> std::io::Result<()>;

    /// Writes the table in `format`.
    fn write(&self, w: &mut (dyn Write + Send), format: TableFormat) -> std::io::Result<()> {
        match format {
            TableFormat::Csv => self.write_csv(w),
            TableFormat::Json => self.write_json(w),
            TableFormat::Parquet => self.write_parquet(w),
        }
    }
}

/// The group name of each sentence, from per-sentence group indices and the group names.
pub fn group_names_per_row<'a>(groups: &[usize], names: &'a [impl AsRef<str>]) -> Vec<&'a str> {
    groups.iter().map(|&g| names[g].as_ref()).collect()
}

/// The 2-D map: one row per sentence with its text, group, vector and point.
pub struct MapTable<'a> {
    /// The sentences.
    pub texts: &'a [&'a str],
    /// Each sentence's group name.
    pub groups: Vec<&'a str>,
    /// The sentences' vectors; only Parquet writes them (CSV and JSON never read them).
    pub embeddings: &'a Embeddings,
    /// The points' first coordinates.
    pub x: Vec<f32>,
    /// The points' second coordinates.
    pub y: Vec<f32>,
    /// Parquet key-value metadata: what made the vectors and the layout.
    pub meta: Vec<(String, String)>,
    /// JSON: the fields beside `points` (method, source, parameters…).
    pub about: Map<String, Value>,
}

impl<'a> MapTable<'a> {
    /// A table of `points` (one per text), without metadata yet.
    pub fn new(texts: &'a [&'a str], groups: Vec<&'a str>, embeddings: &'a Embeddings, points: &[[f32; 2]]) -> Self {
        let (x, y) = points.iter().map(|p| (p[0], p[1])).unzip();
        Self { texts, groups, embeddings, x, y, meta: Vec::new(), about: Map::new() }
    }
}

impl Table for MapTable<'_> {
    /// `text, group, embedding, x, y` with [`MapTable::meta`]; Embedding Atlas opens it with
    /// `--x x --y y`.
    fn write_parquet(&self, w: &mut (dyn Write + Send)) -> std::io::Result<()> {
        let columns = [
            ("text", Column::Text(self.texts)),
            ("group", Column::Text(&self.groups)),
            ("embedding", Column::Vectors(self.embeddings)),
            ("x", Column::Float(&self.x)),
            ("y", Column::Float(&self.y)),
        ];
        write_columns(w, &columns, &self.meta)
    }

    /// `text,group,x,y`.
    fn write_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut cw = csv::Writer::from_writer(w);
        cw.write_record(["text", "group", "x", "y"])?;
        for k in 0..self.texts.len() {
            cw.write_record([self.texts[k], self.groups[k], &self.x[k].to_string(), &self.y[k].to_string()])?;
        }
        cw.flush()
    }

    /// [`MapTable::about`] with `points`: `{text, group, x, y}` each.
    fn write_json(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let points: Vec<_> = (0..self.texts.len())
            .map(|k| json!({ "text": self.texts[k], "group": self.groups[k], "x": self.x[k], "y": self.y[k] }))
            .collect();
        let mut v = self.about.clone();
        v.insert("points".to_owned(), Value::Array(points));
        serde_json::to_writer_pretty(&mut *w, &v)?;
        writeln!(w)
    }
}

/// Paraphrase pairs: score, the two rows, their texts and groups.
pub struct PairsTable<'a> {
    /// The sentences the pairs index.
    pub texts: &'a [&'a str],
    /// Each sentence's group name.
    pub groups: Vec<&'a str>,
    /// The pairs, best first.
    pub pairs: &'a [Pair],
    /// The smallest score mined.
    pub threshold: f32,
    /// Which pairs were mined.
    pub scope: PairScope,
    /// What made the vectors: a model's name or the vectors file.
    pub source: &'a str,
    /// The pooling, when a model made the vectors.
    pub pooling: Option<Pooling>,
}

impl PairsTable<'_> {
    /// The column names, in order, for every format.
    const COLUMNS: [&'static str; 7] = ["score", "i", "j", "text_i", "text_j", "group_i", "group_j"];
}

impl Table for PairsTable<'_> {
    /// The columns with the source, threshold and pooling as metadata.
    fn write_parquet(&self, w: &mut (dyn Write + Send)) -> std::io::Result<()> {
        let score: Vec<f32> = self.pairs.iter().map(|p| p.score).collect();
        let (i, j): (Vec<u64>, Vec<u64>) = self.pairs.iter().map(|p| (p.i as u64, p.j as u64)).unzip();
        let text = |f: fn(&Pair) -> usize| -> Vec<&str> { self.pairs.iter().map(|p| self.texts[f(p)]).collect() };
        let group = |f: fn(&Pair) -> usize| -> Vec<&str> { self.pairs.iter().map(|p| self.groups[f(p)]).collect() };
        let (ti, tj, gi, gj) = (text(|p| p.i), text(|p| p.j), group(|p| p.i), group(|p| p.j));
        let [c_score, c_i, c_j, c_ti, c_tj, c_gi, c_gj] = Self::COLUMNS;
        let columns = [
            (c_score, Column::Float(&score)),
            (c_i, Column::Index(&i)),
            (c_j, Column::Index(&j)),
            (c_ti, Column::Text(&ti)),
            (c_tj, Column::Text(&tj)),
            (c_gi, Column::Text(&gi)),
            (c_gj, Column::Text(&gj)),
        ];
        let mut meta = vec![
            ("simlens.source".to_owned(), self.source.to_owned()),
            ("simlens.threshold".to_owned(), self.threshold.to_string()),
        ];
        meta.extend(self.pooling.map(|p| ("simlens.pooling".to_owned(), p.to_string())));
        write_columns(w, &columns, &meta)
    }

    /// One row per pair under the column names.
    fn write_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut cw = csv::Writer::from_writer(w);
        cw.write_record(Self::COLUMNS)?;
        for p in self.pairs {
            cw.write_record([
                p.score.to_string(),
                p.i.to_string(),
                p.j.to_string(),
                self.texts[p.i].to_owned(),
                self.texts[p.j].to_owned(),
                self.groups[p.i].to_owned(),
                self.groups[p.j].to_owned(),
            ])?;
        }
        cw.flush()
    }

    /// `{threshold, scope, pairs}`, each pair an object of the columns.
    fn write_json(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let rows: Vec<_> = self
            .pairs
            .iter()
            .map(|p| {
                json!({ "score": p.score, "i": p.i, "j": p.j, "text_i": self.texts[p.i], "text_j": self.texts[p.j], "group_i": self.groups[p.i], "group_j": self.groups[p.j] })
            })
            .collect();
        serde_json::to_writer_pretty(
            &mut *w,
            &json!({ "threshold": self.threshold, "scope": self.scope, "pairs": rows }),
        )?;
        writeln!(w)
    }
}

/// One row per sentence (or a chosen subset of them, in order): its row number, text and
/// group, then the columns an analysis adds (`duplicates`, `outliers`). Absent values are
/// empty cells in CSV, `null` in JSON and Parquet.
pub struct RowsTable<'a> {
    /// The rows written, in order: numbers into `texts` and into every added column.
    pub rows: Vec<usize>,
    /// Every sentence.
    pub texts: &'a [&'a str],
    /// Each sentence's group name.
    pub groups: Vec<&'a str>,
    /// The added columns, each with a value for every sentence.
    pub added: Vec<(&'a str, Column<'a>)>,
    /// Parquet key-value metadata: what made the vectors and the analysis.
    pub meta: Vec<(String, String)>,
    /// JSON: the fields beside `rows`.
    pub about: Map<String, Value>,
}

impl RowsTable<'_> {
    /// The value of an added column at sentence `i`, as JSON.
    fn cell(c: &Column<'_>, i: usize) -> Value {
        match c {
            Column::Text(v) => json!(v[i]),
            Column::Float(v) => json!(v[i]),
            Column::Index(v) => json!(v[i]),
            Column::MaybeIndex(v) => json!(v[i]),
            Column::MaybeFloat(v) => json!(v[i]),
            Column::Vectors(e) => json!(e.row(i)),
        }
    }

    /// The value as a CSV cell: absent is empty.
    fn text_cell(c: &Column<'_>, i: usize) -> String {
        match Self::cell(c, i) {
            Value::Null => String::new(),
            Value::String(s) => s,
            v => v.to_string(),
        }
    }
}

/// The rows of `v` at `rows`, for a column of a subset.
fn gather<T: Copy>(v: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&r| v[r]).collect()
}

impl Table for RowsTable<'_> {
    /// `row, text, group`, then the added columns, with [`RowsTable::meta`].
    fn write_parquet(&self, w: &mut (dyn Write + Send)) -> std::io::Result<()> {
        let row: Vec<u64> = self.rows.iter().map(|&r| r as u64).collect();
        let text = gather(self.texts, &self.rows);
        let group = gather(&self.groups, &self.rows);
        // Each added column gathered to the written rows (owned here, borrowed by Column).
        enum Owned<'s> {
            Text(Vec<&'s str>),
            Float(Vec<f32>),
            Index(Vec<u64>),
            MaybeIndex(Vec<Option<u64>>),
            MaybeFloat(Vec<Option<f32>>),
        }
        let owned: Vec<Owned<'_>> = self
            .added
            .iter()
            .map(|(name, c)| match c {
                Column::Text(v) => Ok(Owned::Text(gather(v, &self.rows))),
                Column::Float(v) => Ok(Owned::Float(gather(v, &self.rows))),
                Column::Index(v) => Ok(Owned::Index(gather(v, &self.rows))),
                Column::MaybeIndex(v) => Ok(Owned::MaybeIndex(gather(v, &self.rows))),
                Column::MaybeFloat(v) => Ok(Owned::MaybeFloat(gather(v, &self.rows))),
                Column::Vectors(_) => {
                    Err(std::io::Error::other(format!("column `{name}`: vectors are not a row value")))
                }
            })
            .collect::<std::io::Result<_>>()?;
        let mut columns =
            vec![("row", Column::Index(&row)), ("text", Column::Text(&text)), ("group", Column::Text(&group))];
        for ((name, _), o) in self.added.iter().zip(&owned) {
            columns.push((
                name,
                match o {
                    Owned::Text(v) => Column::Text(v),
                    Owned::Float(v) => Column::Float(v),
                    Owned::Index(v) => Column::Index(v),
                    Owned::MaybeIndex(v) => Column::MaybeIndex(v),
                    Owned::MaybeFloat(v) => Column::MaybeFloat(v),
                },
            ));
        }
        write_columns(w, &columns, &self.meta)
    }

    /// `row,text,group,…` with a header.
    fn write_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut cw = csv::Writer::from_writer(w);
        let mut header = vec!["row", "text", "group"];
        header.extend(self.added.iter().map(|(n, _)| *n));
        cw.write_record(&header)?;
        for &r in &self.rows {
            let mut record = vec![r.to_string(), self.texts[r].to_owned(), self.groups[r].to_owned()];
            record.extend(self.added.iter().map(|(_, c)| Self::text_cell(c, r)));
            cw.write_record(&record)?;
        }
        cw.flush()
    }

    /// [`RowsTable::about`] with `rows`, each an object of the columns.
    fn write_json(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|&r| {
                let mut o = Map::new();
                o.insert("row".to_owned(), json!(r));
                o.insert("text".to_owned(), json!(self.texts[r]));
                o.insert("group".to_owned(), json!(self.groups[r]));
                for (name, c) in &self.added {
                    o.insert((*name).to_owned(), Self::cell(c, r));
                }
                Value::Object(o)
            })
            .collect();
        let mut v = self.about.clone();
        v.insert("rows".to_owned(), Value::Array(rows));
        serde_json::to_writer_pretty(&mut *w, &v)?;
        writeln!(w)
    }
}
