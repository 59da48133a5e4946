//! Sentence sets: groups of sentences, read from and written to plain text or CSV/TSV.
//!
//! Plain text: one sentence per line; a line `# Name` (hash, space, name) starts group
//! `Name`; blank lines are ignored; sentences before any header go to `Ungrouped`.
//! CSV/TSV: a header row with a `text` column and an optional `group` column.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Name of the group for sentences that have none.
pub const UNGROUPED: &str = "Ungrouped";

/// A named group of sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// Its sentences, in order.
    pub sentences: Vec<String>,
}

/// Sentences in named groups, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SentenceSet {
    /// The groups, in order.
    pub groups: Vec<Group>,
}

/// The format of a sentence-set file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetFormat {
    /// One sentence per line, `# Name` headers.
    Text,
    /// Comma-separated with a header row.
    Csv,
    /// Tab-separated with a header row.
    Tsv,
}

impl SetFormat {
    /// The format implied by a file's extension (plain text unless `.csv`/`.tsv`).
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => SetFormat::Csv,
            Some("tsv") | Some("tab") => SetFormat::Tsv,
            _ => SetFormat::Text,
        }
    }
}

impl SentenceSet {
    /// The seed example: phones, weather and age questions.
    pub fn seed_example() -> Self {
        let g = |name: &str, s: &[&str]| Group { name: name.into(), sentences: s.iter().map(|&x| x.into()).collect() };
        Self {
            groups: vec![
                g("Smartphones", &["I like my phone", "My phone is not good."]),
                g("Weather", &["Recently a lot of hurricanes have hit the US", "Global warming is real"]),
                g("Asking about age", &["How old are you?", "what is your age?"]),
            ],
        }
    }

    /// Number of sentences over all groups.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.sentences.len()).sum()
    }

    /// Whether there are no sentences.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every sentence in order with the index of its group.
    pub fn flatten(&self) -> (Vec<&str>, Vec<usize>) {
        let mut texts = Vec::with_capacity(self.len());
        let mut groups = Vec::with_capacity(self.len());
        for (gi, g) in self.groups.iter().enumerate() {
            for s in &g.sentences {
                texts.push(s.as_str());
                groups.push(gi);
            }
        }
        (texts, groups)
    }

    /// The group names in order.
    pub fn group_names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.name.clone()).collect()
    }

    /// Sentences from table rows of (group, text), grouped: the groups in the order they
    /// first appear, each group's sentences in row order, a missing or blank group as
    /// [`UNGROUPED`]. Also gives, for each sentence of the set in flattened order, the row
    /// it came from, so per-row values (vectors) can follow. Every table reader groups
    /// through this one function.
    pub fn from_rows<G: AsRef<str>>(rows: impl IntoIterator<Item = (Option<G>, String)>) -> (Self, Vec<usize>) {
        let mut set = SentenceSet::default();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (row, (group, text)) in rows.into_iter().enumerate() {
            let name = group.as_ref().map(|g| g.as_ref().trim()).filter(|g| !g.is_empty()).unwrap_or(UNGROUPED);
            let at = match index.get(name) {
                Some(&at) => at,
                None => {
                    index.insert(name.to_owned(), set.groups.len());
                    set.groups.push(Group { name: name.to_owned(), sentences: Vec::new() });
                    members.push(Vec::new());
                    set.groups.len() - 1
                }
            };
            set.groups[at].sentences.push(text);
            members[at].push(row);
        }
        (set, members.concat())
    }

    /// Parses file content in `format`. Errors name the line where they apply.
    pub fn parse(bytes: &[u8], format: SetFormat) -> Result<Self> {
        let text = decode_utf8(bytes)?;
        let set = match format {
            SetFormat::Text => parse_text(text),
            SetFormat::Csv => parse_delimited(text, b',')?,
            SetFormat::Tsv => parse_delimited(text, b'\t')?,
        };
        if set.is_empty() {
            return Err(Error::input(
                None,
                "no sentences found (the input is empty or has only blank lines and headers)",
            ));
        }
        Ok(set)
    }

    /// Writes the set in `format` (the inverse of [`SentenceSet::parse`]).
    pub fn write(&self, w: &mut dyn Write, format: SetFormat) -> std::io::Result<()> {
        match format {
            SetFormat::Text => {
                for (i, g) in self.groups.iter().enumerate() {
                    if i > 0 {
                        writeln!(w)?;
                    }
                    writeln!(w, "# {}", one_line(&g.name))?;
                    for s in &g.sentences {
                        let s = one_line(s);
                        let s = s.trim();
                        if needs_escape(s) {
                            writeln!(w, "\\{s}")?;
                        } else {
                            writeln!(w, "{s}")?;
                        }
                    }
                }
                Ok(())
            }
            SetFormat::Csv | SetFormat::Tsv => {
                let delim = if format == SetFormat::Csv { b',' } else { b'\t' };
                let mut builder = csv::WriterBuilder::new();
                builder.delimiter(delim);
                if format == SetFormat::Tsv {
                    builder.quote_style(csv::QuoteStyle::Never);
                }
                let mut cw = builder.from_writer(w);
                cw.write_record(["group", "text"])?;
                for g in &self.groups {
                    for s in &g.sentences {
                        if format == SetFormat::Tsv {
                            cw.write_record([one_line(&g.name).replace('\t', " "), one_line(s).replace('\t', " ")])?;
                        } else {
                            cw.write_record([g.name.as_str(), s.as_str()])?;
                        }
                    }
                }
                cw.flush()
            }
        }
    }
}

/// Text on one line: line breaks become spaces, so a sentence cannot split in two.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn decode_utf8(bytes: &[u8]) -> Result<&str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(Error::input(
            Some(line),
            "the file contains NUL bytes: it looks like a binary file, not text (or it is UTF-16; save it as UTF-8)",
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::input(
            Some(line),
            format!("the file is not UTF-8 text (invalid byte 0x{:02X}); save it as UTF-8", bytes[at]),
        )
    })
}

fn parse_text(text: &str) -> SentenceSet {
    let mut set = SentenceSet::default();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = header_name(line) {
            current = Some(match set.groups.iter().position(|g| g.name == name) {
                Some(i) => i,
                None => {
                    set.groups.push(Group { name: name.to_owned(), sentences: Vec::new() });
                    set.groups.len() - 1
                }
            });
            continue;
        }
        let gi = match current {
            Some(i) => i,
            None => {
                let i = match set.groups.iter().position(|g| g.name == UNGROUPED) {
                    Some(i) => i,
                    None => {
                        set.groups.push(Group { name: UNGROUPED.to_owned(), sentences: Vec::new() });
                        set.groups.len() - 1
                    }
                };
                current = Some(i);
                i
            }
        };
        // A backslash escapes a sentence that would otherwise read as a header
        // (`\# Not a group`); the writer adds it where needed.
        let text = match line.strip_prefix('\\') {
            Some(rest) if needs_escape(rest) => rest,
            _ => line,
        };
        set.groups[gi].sentences.push(text.to_owned());
    }
    set
}

/// Whether a sentence must be written with a leading backslash to read back as itself.
fn needs_escape(s: &str) -> bool {
    header_name(s).is_some() || s.strip_prefix('\\').is_some_and(needs_escape)
}

/// `# Name` → `Some("Name")`. A `#` glued to a word (`#1 priority`) is a sentence.
fn header_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('#')?;
    if rest.is_empty() || rest.starts_with(char::is_whitespace) {
        let name = rest.trim();
        Some(if name.is_empty() { UNGROUPED } else { name })
    } else {
        None
    }
}

fn parse_delimited(text: &str, delim: u8) -> Result<SentenceSet> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(true)
        .flexible(false)
        .quoting(delim == b',')
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(&e))?.clone();
    let find =
        |name: &str| headers.iter().position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name));
    let text_col = find("text").ok_or_else(|| {
        Error::input(
            Some(1),
            format!(
                "no `text` column in the header row (found: {}); name the sentence column `text` and, optionally, the group column `group`",
                headers.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let dup = headers.iter().filter(|h| h.trim().eq_ignore_ascii_case("text")).count();
    if dup > 1 {
        return Err(Error::input(Some(1), "the header row has more than one `text` column"));
    }
    let group_col = find("group");
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e))?;
        let text = record.get(text_col).unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let group = group_col.and_then(|c| record.get(c)).map(str::to_owned);
        rows.push((group, text.to_owned()));
    }
    Ok(SentenceSet::from_rows(rows).0)
}

fn csv_error(e: &csv::Error) -> Error {
    let line = e.position().map(|p| p.line() as usize);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("this row has {len} fields but the header has {expected_len}")
        }
        _ => e.to_string(),
    };
    Error::input(line, message)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_format_groups_and_ungrouped() {
        let s =
            SentenceSet::parse(b"first\n\n# A\none\r\n#1 priority\n# B\ntwo\n# A\nthree\n", SetFormat::Text).unwrap();
        assert_eq!(s.group_names(), vec!["Ungrouped", "A", "B"]);
        assert_eq!(s.groups[1].sentences, vec!["one", "#1 priority", "three"]);
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn csv_with_quotes_and_optional_group() {
        let s = SentenceSet::parse(b"\xEF\xBB\xBFid,Text,group\n1,\"a, b\",X\n2,c,\n", SetFormat::Csv).unwrap();
        assert_eq!(s.groups[0], Group { name: "X".into(), sentences: vec!["a, b".into()] });
        assert_eq!(s.groups[1].name, UNGROUPED);
    }

    #[test]
    fn errors_name_the_line() {
        let e = SentenceSet::parse(b"ok\nx\0y\n", SetFormat::Text).unwrap_err();
        assert!(e.to_string().starts_with("line 2:") && e.to_string().contains("binary"), "{e}");
        let e = SentenceSet::parse(b"ok\nbad \xff here\n", SetFormat::Text).unwrap_err();
        assert!(e.to_string().starts_with("line 2:"), "{e}");
        let e = SentenceSet::parse(b"sentence\nx\n", SetFormat::Csv).unwrap_err();
        assert!(e.to_string().contains("no `text` column"), "{e}");
        let e = SentenceSet::parse(b"text,group\na,b\nc,d,e\n", SetFormat::Csv).unwrap_err();
        assert!(e.to_string().starts_with("line 3:"), "{e}");
        assert!(SentenceSet::parse(b"\n# A\n\n", SetFormat::Text).is_err());
    }

    #[test]
    fn write_then_parse_round_trips() {
        let mut set = SentenceSet::seed_example();
        set.groups[0].sentences.extend(["# not a header".to_owned(), "#".to_owned(), "\\# odd".to_owned()]);
        for f in [SetFormat::Text, SetFormat::Csv, SetFormat::Tsv] {
            let mut buf = Vec::new();
            set.write(&mut buf, f).unwrap();
            assert_eq!(SentenceSet::parse(&buf, f).unwrap(), set, "{f:?}");
        }
    }
}
