//! Colour maps and the heatmap PNG, shared by the app and file export (no egui here).

use std::io::Write;
use std::path::Path;

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::engine::SimMatrix;
use crate::io::atomic_write;

/// A colour map from [0, 1] to RGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Colormap {
    /// Perceptually uniform, readable in greyscale and by colour-blind readers.
    #[default]
    Viridis,
    /// Yellow–orange–red, as the TF-Hub colab's seaborn heatmap.
    YlOrRd,
    /// Blue–white–red, for differences (white at the middle of the range).
    Diverging,
}

impl Colormap {
    /// Every map, in menu order.
    pub const ALL: [Colormap; 2] = [Colormap::Viridis, Colormap::YlOrRd];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::YlOrRd => "YlOrRd (colab)",
            Colormap::Diverging => "blue–white–red",
        }
    }

    /// The colour at `t` (clamped to [0, 1]).
    pub fn rgb(self, t: f32) -> [u8; 3] {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        match self {
            Colormap::Viridis => viridis(t),
            Colormap::YlOrRd => ylorrd(t),
            Colormap::Diverging => diverging(t),
        }
    }

    /// 256 precomputed colours, for painting many cells.
    pub fn lut(self) -> Vec<[u8; 3]> {
        (0..256).map(|i| self.rgb(i as f32 / 255.0)).collect()
    }
}

fn viridis(t: f32) -> [u8; 3] {
    // Polynomial fit of matplotlib's viridis (max error well under one 8-bit step).
    const C: [[f32; 3]; 7] = [
        [0.277_727_33, 0.005_407_344_5, 0.334_099_8],
        [0.105_093_04, 1.404_613_5, 1.384_590_2],
        [-0.330_861_83, 0.214_847_56, 0.095_095_16],
        [-4.634_230_5, -5.799_101, -19.332_441],
        [6.228_27, 14.179_933, 56.690_55],
        [4.776_385, -13.745_145, -65.353_03],
        [-5.435_456, 4.645_852_6, 26.312_435],
    ];
    let mut out = [0u8; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let mut v = C[6][k];
        for c in C[..6].iter().rev() {
            v = c[k] + t * v;
        }
        *o = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    }
    out
}

fn diverging(t: f32) -> [u8; 3] {
    // RdBu reversed: blue below the middle, white at it, red above.
    const STOPS: [[u8; 3]; 5] =
        [[0x21, 0x66, 0xac], [0x92, 0xc5, 0xde], [0xf7, 0xf7, 0xf7], [0xf4, 0xa5, 0x82], [0xb2, 0x18, 0x2b]];
    interpolate(&STOPS, t)
}

fn ylorrd(t: f32) -> [u8; 3] {
    const STOPS: [[u8; 3]; 9] = [
        [0xff, 0xff, 0xcc],
        [0xff, 0xed, 0xa0],
        [0xfe, 0xd9, 0x76],
        [0xfe, 0xb2, 0x4c],
        [0xfd, 0x8d, 0x3c],
        [0xfc, 0x4e, 0x2a],
        [0xe3, 0x1a, 0x1c],
        [0xbd, 0x00, 0x26],
        [0x80, 0x00, 0x26],
    ];
    interpolate(&STOPS, t)
}

/// Linear interpolation between evenly spaced colour stops, `t` in [0, 1].
fn interpolate(stops: &[[u8; 3]], t: f32) -> [u8; 3] {
    let last = stops.len() - 1;
    let x = t * last as f32;
    let i = (x.floor() as usize).min(last - 1);
    let f = x - i as f32;
    let mut out = [0u8; 3];
    for k in 0..3 {
        out[k] = (f32::from(stops[i][k]) * (1.0 - f) + f32::from(stops[i + 1][k]) * f).round() as u8;
    }
    out
}

/// Maps a similarity to [0, 1] within `[lo, hi]`.
pub fn unit(v: f32, lo: f32, hi: f32) -> f32 {
    if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
}

/// Pixels of the matrix, one per cell, or block averages when `n` exceeds `max_side`
/// (textures have a size limit). `make` turns an RGB colour into the caller's pixel
/// type, so the app gets its texture's pixels in one parallel pass. Returns (side, pixels).
pub fn matrix_pixels<T: Copy + Send + Sync>(
    sim: &SimMatrix,
    lo: f32,
    hi: f32,
    cmap: Colormap,
    max_side: usize,
    make: impl Fn([u8; 3]) -> T,
) -> (usize, Vec<T>) {
    use rayon::prelude::*;
    let n = sim.n;
    let color = cell_color(lo, hi, cmap, make);
    if n <= max_side {
        let mut px = Vec::with_capacity(n * n);
        sim.data.par_iter().map(|&v| color(v)).collect_into_vec(&mut px);
        return (n, px);
    }
    let side = max_side.max(1);
    let px = (0..side * side)
        .into_par_iter()
        .map(|k| {
            let (r, c) = (k / side, k % side);
            let (r0, r1) = (r * n / side, ((r + 1) * n / side).max(r * n / side + 1));
            let (c0, c1) = (c * n / side, ((c + 1) * n / side).max(c * n / side + 1));
            let sum: f32 = (r0..r1).map(|i| sim.row(i)[c0..c1].iter().sum::<f32>()).sum();
            color(sum / ((r1 - r0) * (c1 - c0)) as f32)
        })
        .collect();
    (side, px)
}

/// The colour of a matrix cell, as the heatmap texture draws it: a 256-entry table
/// indexed by `(v − lo) / (hi − lo)`, clamped.
pub fn cell_color<T: Copy + Sync>(
    lo: f32,
    hi: f32,
    cmap: Colormap,
    make: impl Fn([u8; 3]) -> T,
) -> impl Fn(f32) -> T + Sync {
    let lut: Vec<T> = cmap.lut().into_iter().map(make).collect();
    let scale = if hi > lo { 255.0 / (hi - lo) } else { 0.0 };
    move |v: f32| lut[((v - lo) * scale).clamp(0.0, 255.0).round() as usize]
}

/// What to draw in a heatmap PNG.
pub struct HeatmapPicture<'a> {
    /// The matrix.
    pub sim: &'a SimMatrix,
    /// One label per row.
    pub labels: &'a [String],
    /// Row index where each group starts, with its name.
    pub group_starts: &'a [(usize, String)],
    /// Colour range.
    pub range: (f32, f32),
    /// Colour map.
    pub colormap: Colormap,
}

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[u8; 3]>,
}

/// A font at a size and colour, for [`Canvas::text`].
#[derive(Clone, Copy)]
struct Pen<'a> {
    font: &'a FontRef<'a>,
    size: f32,
    color: [u8; 3],
}

impl Canvas {
    fn fill(&mut self, x0: usize, y0: usize, w: usize, h: usize, c: [u8; 3]) {
        for y in y0..(y0 + h).min(self.h) {
            for x in x0..(x0 + w).min(self.w) {
                self.px[y * self.w + x] = c;
            }
        }
    }

    /// Draws `s` at (`x`, `y`) in `pen`'s font, size and colour, cut at `max_w` points.
    fn text(&mut self, pen: &Pen<'_>, x: f32, y: f32, s: &str, max_w: f32) {
        let Pen { font, size, color } = *pen;
        let scaled = font.as_scaled(PxScale::from(size));
        let mut caret = x;
        let base = y + scaled.ascent();
        for ch in s.chars() {
            let id = scaled.glyph_id(ch);
            let adv = scaled.h_advance(id);
            if caret + adv - x > max_w {
                break;
            }
            let glyph = id.with_scale_and_position(PxScale::from(size), ab_glyph::point(caret, base));
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, cov| {
                    let (px, py) = (b.min.x as i64 + i64::from(gx), b.min.y as i64 + i64::from(gy));
                    if px >= 0 && py >= 0 && (px as usize) < self.w && (py as usize) < self.h {
                        let p = &mut self.px[py as usize * self.w + px as usize];
                        for k in 0..3 {
                            p[k] = (f32::from(p[k]) * (1.0 - cov) + f32::from(color[k]) * cov) as u8;
                        }
                    }
                });
            }
            caret += adv;
        }
    }
}

/// `n` with thousands separated by commas, as the app's texts write counts ("12,000").
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub use crate::text::truncate;

/// Renders the heatmap as a PNG: cells of at least one pixel, numbered row labels and
/// group names where they fit, group boundary lines and a colour bar.
pub fn heatmap_png(pic: &HeatmapPicture<'_>, w: &mut dyn Write) -> std::io::Result<()> {
    let n = pic.sim.n;
    let cell = 1200usize.checked_div(n).unwrap_or(1).clamp(1, 48);
    let labels = cell >= 12;
    let font_size = (cell as f32 * 0.6).clamp(10.0, 16.0);
    let label_w = if labels {
        320
    } else if pic.group_starts.len() > 1 {
        180
    } else {
        20
    };
    let top = 40;
    let side = cell * n;
    let bar_x = label_w + side + 30;
    let (width, height) = (bar_x + 90, top + side.max(200) + 30);
    let mut cv = Canvas { w: width, h: height, px: vec![[255, 255, 255]; width * height] };
    let font = FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).map_err(std::io::Error::other)?;
    let (lo, hi) = pic.range;
    let lut = pic.colormap.lut();
    for i in 0..n {
        for j in 0..n {
            let c = lut[(unit(pic.sim.get(i, j), lo, hi).clamp(0.0, 1.0) * 255.0).round() as usize];
            cv.fill(label_w + j * cell, top + i * cell, cell, cell, c);
        }
    }
    let dark = [30, 30, 30];
    if labels {
        for (i, l) in pic.labels.iter().enumerate() {
            let text = truncate(&format!("{}. {l}", i + 1), 48);
            let y = (top + i * cell) as f32 + (cell as f32 - font_size) / 2.0 - 1.0;
            cv.text(&Pen { font: &font, size: font_size, color: dark }, 4.0, y, &text, label_w as f32 - 8.0);
        }
        for j in 0..n {
            let x = (label_w + j * cell) as f32 + 2.0;
            cv.text(
                &Pen { font: &font, size: font_size.min(12.0), color: dark },
                x,
                (top - 16) as f32,
                &(j + 1).to_string(),
                cell as f32,
            );
        }
    }
    for (k, (start, name)) in pic.group_starts.iter().enumerate() {
        if *start > 0 {
            cv.fill(label_w, top + start * cell, side, 1, [255, 255, 255]);
            cv.fill(label_w + start * cell, top, 1, side, [255, 255, 255]);
        }
        if !labels {
            let end = pic.group_starts.get(k + 1).map(|g| g.0).unwrap_or(n);
            let y = top as f32 + ((start + end) * cell) as f32 / 2.0 - 7.0;
            cv.text(&Pen { font: &font, size: 13.0, color: dark }, 4.0, y, &truncate(name, 24), label_w as f32 - 8.0);
        }
    }
    // Colour bar with its range.
    let bar_h = side.max(200);
    for y in 0..bar_h {
        let t = 1.0 - y as f32 / (bar_h - 1).max(1) as f32;
        cv.fill(bar_x, top + y, 20, 1, pic.colormap.rgb(t));
    }
    let pen = Pen { font: &font, size: 13.0, color: dark };
    cv.text(&pen, (bar_x + 24) as f32, top as f32 - 6.0, &format!("{hi:.2}"), 60.0);
    cv.text(&pen, (bar_x + 24) as f32, (top + bar_h) as f32 - 10.0, &format!("{lo:.2}"), 60.0);
    cv.text(&pen, 4.0, 4.0, "cosine similarity", 300.0);

    let mut enc = png::Encoder::new(w, width as u32, height as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(std::io::Error::other)?;
    let flat: Vec<u8> = cv.px.iter().flatten().copied().collect();
    writer.write_image_data(&flat).map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}

/// Writes [`heatmap_png`] to `path` atomically.
pub fn save_heatmap_png(pic: &HeatmapPicture<'_>, path: &Path) -> Result<()> {
    atomic_write(path, |w| heatmap_png(pic, w))
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(super::count(0), "0");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::count(12_000), "12,000");
        assert_eq!(super::count(1_000_000), "1,000,000");
    }
}
