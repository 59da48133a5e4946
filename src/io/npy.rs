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
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to 64 bytes.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    w.write_all(&(header.len() as u16).to_le_bytes())?;
    w.write_all(header.as_bytes())
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
    let bad = |m: &str| Error::input(None, format!("not a float32 .npy array: {m}"));
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
    if !header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False") {
        return Err(bad("only C-order <f4 is read"));
    }
    let shape = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).ok_or_else(|| bad("no shape"))?;
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad("bad shape")))
        .collect::<Result<_>>()?;
    let (rows, cols) = match dims[..] {
        [r, c] => (r, c),
        [r] => (r, 1),
        _ => return Err(bad("not 2-D")),
    };
    let body = &bytes[start + hlen..];
    if body.len() != rows * cols * 4 {
        return Err(bad("data length does not match the shape"));
    }
    let data = body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok((rows, cols, data))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_alignment() {
        let mut buf = Vec::new();
        write_f32(&mut buf, 2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, -0.5]).unwrap();
        let hlen = u16::from_le_bytes([buf[8], buf[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        assert_eq!(read_f32(&buf).unwrap(), (2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, -0.5]));
    }
}
