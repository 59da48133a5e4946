//! The NumPy `.npy` format (version 1.0) for 2-D float32 arrays.

use std::io::Write;

use crate::{Error, Result};

/// Writes a C-order float32 array of `shape` (rows, cols) as `.npy`.
pub fn write_f32(w: &mut dyn Write, rows: usize, cols: usize, data: &[f32]) -> std::io::Result<()> {
    assert_eq!(data.len(), rows * cols, "data does not match the shape");
    write_header(w, rows, cols)?;
    write_values(w, data)
}

/// The header of a C-order float32 array of `shape` (rows, cols); its values follow.
pub fn write_header(w: &mut dyn Write, rows: usize, cols: usize) -> std::io::Result<()> {
    w.write_all(&v1_header(&format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}")))
}

/// The bytes of a version-1 header holding the dict literal `dict`, padded as numpy pads
/// it (magic, version, length, dict, spaces, newline: a multiple of 64 bytes). Public so
/// that tests can write headers that claim anything.
pub fn v1_header(dict: &str) -> Vec<u8> {
    let mut header = dict.to_owned();
    // Magic (6) + version (2) + length (2) + header + newline, padded to 64 bytes.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out
}

/// Float32 values, little-endian, as an array's data.
pub fn write_values(w: &mut dyn Write, data: &[f32]) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(data.len() * 4);
    for v in data {
        buf.extend_from_slice(&v.to_le_bytes());
    }
    w.write_all(&buf)
}

/// Reads a 2-D little-endian float32 `.npy` file: (rows, cols, data).
pub fn read_f32(bytes: &[u8]) -> Result<(usize, usize, Vec<f32>)> {
    let (rows, cols, start) = parse_header(bytes)?;
    let body = &bytes[start..];
    if Some(body.len()) != data_bytes(rows, cols) {
        return Err(not_f32("data length does not match the shape"));
    }
    let data = body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok((rows, cols, data))
}

/// Reads a 2-D float32 `.npy` file from disk a megabyte at a time, so the peak is the
/// matrix itself and not the file's bytes as well (3 GB instead of 4.5 for a million
/// 384-d vectors).
pub fn read_f32_file(path: &std::path::Path) -> Result<(usize, usize, Vec<f32>)> {
    use std::io::Read;
    let at = |e: Error| match e {
        Error::Input { message, .. } => Error::Input { path: Some(path.to_path_buf()), line: None, message },
        other => other,
    };
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    let len = f.metadata().map_err(|e| Error::io("cannot read", path, e))?.len() as usize;
    // The header is at most 64 KiB for any shape this reads.
    let mut head = vec![0u8; len.min(65_536)];
    f.read_exact(&mut head).map_err(|e| Error::io("cannot read", path, e))?;
    let (rows, cols, start) = parse_header(&head).map_err(at)?;
    if Some(len.saturating_sub(start)) != data_bytes(rows, cols) {
        return Err(at(not_f32("data length does not match the shape")));
    }
    // The shape times 4 is the data's length on disk (checked above), so this fits.
    let mut data = Vec::with_capacity(rows * cols);
    let mut pending: Vec<u8> = head[start..].to_vec();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let whole = pending.len() / 4 * 4;
        data.extend(pending[..whole].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        pending.drain(..whole);
        let got = f.read(&mut buf).map_err(|e| Error::io("cannot read", path, e))?;
        if got == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..got]);
    }
    if data.len() != rows * cols {
        return Err(at(not_f32("the file changed while it was read")));
    }
    Ok((rows, cols, data))
}

/// The bytes `rows × cols` float32 values take, or `None` when that overflows: a header
/// can claim any shape, and its product must not wrap round to the bytes present.
fn data_bytes(rows: usize, cols: usize) -> Option<usize> {
    rows.checked_mul(cols)?.checked_mul(4)
}

fn not_f32(m: &str) -> Error {
    Error::input(None, format!("not a float32 .npy array: {m}"))
}

/// The shape and where the data starts.
fn parse_header(bytes: &[u8]) -> Result<(usize, usize, usize)> {
    let bad = not_f32;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("missing magic"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        _ => return Err(bad("unknown version")),
    };
    let header = bytes.get(start..start + hlen).ok_or_else(|| bad("truncated header"))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("header is not text"))?;
    // The header is a Python dict literal; writers differ in spacing (numpy puts a space
    // after each colon, others none), and no key or value here holds a space.
    let header: String = header.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace('"', "'");
    if !header.contains("'descr':'<f4'") || !header.contains("'fortran_order':False") {
        return Err(bad("only C-order <f4 is read"));
    }
    let shape = header.split("'shape':(").nth(1).and_then(|s| s.split(')').next()).ok_or_else(|| bad("no shape"))?;
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad("bad shape")))
        .collect::<Result<_>>()?;
    let (rows, cols) = match dims[..] {
        [r, c] => (r, c),
        _ => {
            return Err(bad(&format!(
                "the shape has {} dimension(s); vectors are a 2-D array (rows × values per vector)",
                dims.len()
            )));
        }
    };
    if data_bytes(rows, cols).is_none() {
        return Err(bad("bad shape: its size overflows"));
    }
    Ok((rows, cols, start + hlen))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_file_reader_matches_the_byte_reader() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        // More than one read buffer, and an odd row length.
        let data: Vec<f32> = (0..300_001 * 3).map(|i| i as f32 * 0.25).collect();
        let mut buf = Vec::new();
        write_f32(&mut buf, 300_001, 3, &data).unwrap();
        std::fs::write(&p, &buf).unwrap();
        assert_eq!(read_f32_file(&p).unwrap(), read_f32(&buf).unwrap());
        std::fs::write(&p, &buf[..buf.len() - 2]).unwrap();
        let e = read_f32_file(&p).unwrap_err().to_string();
        assert!(e.contains("data length does not match the shape") && e.contains("m.npy"), "{e}");
    }

    #[test]
    fn round_trip_and_alignment() {
        let mut buf = Vec::new();
        write_f32(&mut buf, 2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, -0.5]).unwrap();
        let hlen = u16::from_le_bytes([buf[8], buf[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        assert_eq!(read_f32(&buf).unwrap(), (2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, -0.5]));
    }

    /// A version-1 file with `header` and `body`.
    fn npy(header: &str, body: &[u8]) -> Vec<u8> {
        let mut out = v1_header(header);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn sizes_from_the_header_are_checked_not_wrapped() {
        let body = vec![0u8; 16 * 4];
        for shape in ["(16, 1152921504606847072)", "(16, 4611686018427387904)", "(1152921504606846976, 4)"] {
            let file = npy(&format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}"), &body);
            let e = read_f32(&file).unwrap_err().to_string();
            assert!(e.contains("bad shape"), "{shape}: {e}");
        }
        let e = read_f32(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (16,), }", &body)).unwrap_err();
        assert!(e.to_string().contains("1 dimension(s)"), "{e}");
        let e = read_f32(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 4), }", &body)).unwrap_err();
        assert!(e.to_string().contains("3 dimension(s)"), "{e}");
    }

    #[test]
    fn headers_without_spaces_are_read() {
        let body: Vec<u8> = (0..12).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let file = npy("{'descr':'<f4','fortran_order':False,'shape':(3,4)}", &body);
        let (r, c, data) = read_f32(&file).unwrap();
        assert_eq!((r, c, data[11]), (3, 4, 11.0));
        let file = npy("{'descr':'<f8','fortran_order':False,'shape':(3,2)}", &body);
        assert!(read_f32(&file).unwrap_err().to_string().contains("only C-order <f4"));
    }
}
