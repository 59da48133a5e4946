//! Scored sentence pairs: the STS benchmark file and a user's own labelled pairs.

use std::path::Path;

pub use crate::engine::eval::ScoredPair;
use crate::{Error, Result};

/// Reads pairs from `path`.
///
/// Two layouts are understood:
/// - the STS benchmark's: tab-separated, no header, score in field 5 and the
///   sentences in fields 6 and 7 (split on tabs only, no quoting, as its readme says);
/// - a labelled pairs file: CSV or TSV with a header naming `text1`, `text2` and `score`
///   (`sentence1`/`sentence2` also accepted).
pub fn read_pairs(path: &Path) -> Result<Vec<ScoredPair>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::Input { path: Some(path.into()), line: Some(line), message: "the file is not UTF-8 text".into() }
    })?;
    let first = text.lines().next().unwrap_or("").to_ascii_lowercase();
    let at = |line: usize, message: String| Error::Input { path: Some(path.into()), line: Some(line), message };
    let pairs = if first.contains("text1") || first.contains("sentence1") {
        parse_labelled(text, if first.contains('\t') { b'\t' } else { b',' }).map_err(|(l, m)| at(l, m))?
    } else {
        parse_sts(text).map_err(|(l, m)| at(l, m))?
    };
    if pairs.len() < 2 {
        return Err(Error::Input {
            path: Some(path.into()),
            line: None,
            message: "fewer than two scored pairs".into(),
        });
    }
    Ok(pairs)
}

fn parse_sts(text: &str) -> Result<Vec<ScoredPair>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 7 {
            return Err((
                i + 1,
                format!("expected at least 7 tab-separated fields (STS benchmark layout), found {}", f.len()),
            ));
        }
        let score = f[4].trim().parse::<f64>().map_err(|_| (i + 1, format!("score `{}` is not a number", f[4])))?;
        out.push(ScoredPair { a: f[5].to_owned(), b: f[6].to_owned(), score });
    }
    Ok(out)
}

fn parse_labelled(text: &str, delim: u8) -> Result<Vec<ScoredPair>, (usize, String)> {
    let mut r = csv::ReaderBuilder::new().delimiter(delim).quoting(delim == b',').from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| (1, e.to_string()))?.clone();
    let col = |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
    let (Some(a), Some(b), Some(s)) =
        (col(&["text1", "sentence1"]), col(&["text2", "sentence2"]), col(&["score", "label"]))
    else {
        return Err((1, "the header must name `text1`, `text2` and `score` columns".into()));
    };
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| (e.position().map(|p| p.line() as usize).unwrap_or(0), e.to_string()))?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let field = |i: usize| rec.get(i).unwrap_or("").to_owned();
        let score =
            field(s).trim().parse::<f64>().map_err(|_| (line, format!("score `{}` is not a number", field(s))))?;
        out.push(ScoredPair { a: field(a), b: field(b), score });
    }
    Ok(out)
}
