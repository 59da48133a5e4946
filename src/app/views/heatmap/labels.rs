//! Text on and around the heatmap: values in cells, row and column labels, group lines
//! and names, the colour bar and the hint line.

use egui::{Align2, Color32, FontId, Painter, Rect, Shape, Stroke, pos2, vec2};

use super::geometry::Geometry;
use super::geometry::Shown;
use crate::app::paint::{color_of, contrast, truncate};
use crate::render::Colormap;

/// Smallest cell that gets its value printed inside.
const VALUE_CELL: f32 = 30.0;

/// How many characters of a `size`-point font fit in `w` points.
fn chars_fit(w: f32, size: f32) -> usize {
    (w / (size * 0.52)).max(3.0) as usize
}

/// Text rotated to read upwards, with its start at `pos`.
fn vertical_text(painter: &Painter, pos: egui::Pos2, galley: std::sync::Arc<egui::Galley>, color: Color32) {
    painter.add(Shape::Text(egui::epaint::TextShape::new(pos, galley, color).with_angle(-std::f32::consts::FRAC_PI_2)));
}

/// Each cell's value, when cells are large enough.
pub fn values(painter: &Painter, g: &Geometry, shown: &Shown<'_>, cmap: Colormap, lo: f32, hi: f32) {
    if g.cell < VALUE_CELL {
        return;
    }
    let font = FontId::proportional((g.cell * 0.3).clamp(9.0, 15.0));
    for i in g.rows.clone() {
        for j in g.cols.clone() {
            let v = shown.sim.get(i, j);
            let center = pos2((g.x(j) + g.x(j + 1)) / 2.0, (g.y(i) + g.y(i + 1)) / 2.0);
            if g.plot().contains(center) {
                let fill = color_of(cmap, v, lo, hi);
                painter.text(center, Align2::CENTER_CENTER, format!("{v:.2}"), font.clone(), contrast(fill));
            }
        }
    }
}

/// (first row, group) of each run of one group, in display order; none when clustered.
pub fn group_starts(shown: &Shown<'_>) -> Vec<(usize, usize)> {
    let mut starts: Vec<(usize, usize)> = Vec::new();
    if shown.clustered {
        return starts;
    }
    for (i, &g) in shown.groups.iter().enumerate() {
        if starts.last().is_none_or(|&(_, last)| last != g) {
            starts.push((i, g));
        }
    }
    starts
}

/// White lines where one group ends and the next begins.
pub fn group_lines(painter: &Painter, g: &Geometry, starts: &[(usize, usize)]) {
    let line = Stroke::new(1.5, Color32::from_rgba_unmultiplied(255, 255, 255, 220));
    let plot = g.plot();
    for &(s, _) in starts.iter().skip(1) {
        let (x, y) = (g.x(s), g.y(s));
        if (plot.left()..=plot.right()).contains(&x) {
            painter.line_segment([pos2(x, plot.top()), pos2(x, plot.bottom())], line);
        }
        if (plot.top()..=plot.bottom()).contains(&y) {
            painter.line_segment([pos2(plot.left(), y), pos2(plot.right(), y)], line);
        }
    }
}

/// Row labels on the left and column labels on top, one per sentence.
pub fn sentence_labels(painter: &Painter, g: &Geometry, shown: &Shown<'_>, strip: f32, color: Color32) {
    let (plot, frame) = (g.plot(), g.frame);
    let size = (g.cell * 0.7).clamp(10.0, 14.0);
    let f = FontId::proportional(size);
    for i in g.rows.clone() {
        let y = (g.y(i) + g.y(i + 1)) / 2.0;
        if (plot.top()..=plot.bottom()).contains(&y) {
            let text = truncate(&shown.texts[i], chars_fit(frame.label_w - strip - 12.0, size));
            painter.text(pos2(plot.left() - 6.0, y), Align2::RIGHT_CENTER, text, f.clone(), color);
        }
    }
    for j in g.cols.clone() {
        let x = (g.x(j) + g.x(j + 1)) / 2.0;
        if (plot.left()..=plot.right()).contains(&x) {
            let text = truncate(&shown.texts[j], chars_fit(frame.top - strip - 12.0, size));
            let galley = painter.layout_no_wrap(text, f.clone(), color);
            let h = galley.size().y;
            vertical_text(painter, pos2(x - h / 2.0, plot.top() - 6.0), galley, color);
        }
    }
}

/// Where a group's run of rows and columns is on screen.
struct GroupSpan {
    group: usize,
    /// Top and bottom, clipped to the plot.
    rows: (f32, f32),
    /// Left and right, clipped to the plot.
    cols: (f32, f32),
}

/// Each group's row span and column span on screen, clipped to the plot.
fn spans(g: &Geometry, starts: &[(usize, usize)]) -> Vec<GroupSpan> {
    let plot = g.plot();
    starts
        .iter()
        .enumerate()
        .map(|(k, &(s, group))| {
            let e = starts.get(k + 1).map_or(g.n, |x| x.0);
            let rows = (g.y(s).max(plot.top()), g.y(e).min(plot.bottom()));
            let cols = (g.x(s).max(plot.left()), g.x(e).min(plot.right()));
            GroupSpan { group, rows, cols }
        })
        .collect()
}

/// With sentence labels: group names in a strip at the far left and top, with a bracket.
pub fn group_strips(
    painter: &Painter,
    g: &Geometry,
    names: &[String],
    starts: &[(usize, usize)],
    strip: f32,
    color: Color32,
) {
    let area = g.frame.area;
    let gf = FontId::proportional(12.0);
    for GroupSpan { group, rows: (y0, y1), cols: (x0, x1) } in spans(g, starts) {
        if y1 - y0 >= 24.0 {
            let text = truncate(&names[group], chars_fit(y1 - y0 - 4.0, 12.0));
            let galley = painter.layout_no_wrap(text, gf.clone(), color);
            let (w, h) = (galley.size().x, galley.size().y);
            vertical_text(painter, pos2(area.left() + (strip - h) / 2.0, (y0 + y1) / 2.0 + w / 2.0), galley, color);
            painter.line_segment(
                [pos2(area.left() + strip, y0 + 2.0), pos2(area.left() + strip, y1 - 2.0)],
                Stroke::new(1.0, color),
            );
        }
        if x1 - x0 >= 30.0 {
            let text = truncate(&names[group], chars_fit(x1 - x0 - 4.0, 12.0));
            painter.text(pos2((x0 + x1) / 2.0, area.top() + 1.0), Align2::CENTER_TOP, text, gf.clone(), color);
            painter.line_segment(
                [pos2(x0 + 2.0, area.top() + strip), pos2(x1 - 2.0, area.top() + strip)],
                Stroke::new(1.0, color),
            );
        }
    }
}

/// Without sentence labels: group names beside and above their spans.
pub fn group_names(painter: &Painter, g: &Geometry, names: &[String], starts: &[(usize, usize)], color: Color32) {
    let plot = g.plot();
    let f = FontId::proportional(12.0);
    for GroupSpan { group, rows: (y0, y1), cols: (x0, x1) } in spans(g, starts) {
        if y1 - y0 >= 12.0 {
            let text = truncate(&names[group], chars_fit(g.frame.label_w - 12.0, 12.0));
            painter.text(pos2(plot.left() - 6.0, (y0 + y1) / 2.0), Align2::RIGHT_CENTER, text, f.clone(), color);
        }
        if x1 - x0 >= 40.0 {
            let text = truncate(&names[group], chars_fit(x1 - x0, 12.0));
            painter.text(pos2((x0 + x1) / 2.0, plot.top() - 4.0), Align2::CENTER_BOTTOM, text, f.clone(), color);
        }
    }
}

/// The colour bar with its range, and the hint line under the plot.
pub fn colour_bar(ui: &egui::Ui, painter: &Painter, g: &Geometry, cmap: Colormap, lo: f32, hi: f32, zoom: f32) {
    let plot = g.plot();
    colour_bar_beside(ui, painter, plot, cmap, lo, hi);
    let small = FontId::proportional(11.0);
    let n = g.n;
    let hint = if zoom > 1.0 {
        format!("zoom {zoom:.1}× · scroll to zoom · drag to pan · double-click to reset")
    } else {
        format!("{n} × {n} · cosine similarity · scroll to zoom · click a cell for details")
    };
    let at = pos2(plot.left(), plot.bottom() + 3.0);
    painter.text(at, Align2::LEFT_TOP, hint, small, ui.visuals().weak_text_color());
}

/// A colour bar for `lo..hi` to the right of `plot`, with its ends and middle labelled.
pub fn colour_bar_beside(ui: &egui::Ui, painter: &Painter, plot: Rect, cmap: Colormap, lo: f32, hi: f32) {
    let side = plot.height();
    let text_color = ui.visuals().text_color();
    let bar = Rect::from_min_size(pos2(plot.right() + 14.0, plot.top()), vec2(16.0, side));
    let steps = 64;
    for s in 0..steps {
        let y0 = bar.bottom() - s as f32 / steps as f32 * side;
        let y1 = bar.bottom() - (s + 1) as f32 / steps as f32 * side;
        let c = cmap.rgb((s as f32 + 0.5) / steps as f32);
        painter.rect_filled(Rect::from_x_y_ranges(bar.x_range(), y1..=y0), 0.0, Color32::from_rgb(c[0], c[1], c[2]));
    }
    painter.rect_stroke(bar, 0.0, Stroke::new(1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Outside);
    let small = FontId::proportional(11.0);
    for (t, v) in [(0.0, lo), (0.5, (lo + hi) / 2.0), (1.0, hi)] {
        let y = bar.bottom() - t * side;
        painter.text(pos2(bar.right() + 4.0, y), Align2::LEFT_CENTER, format!("{v:.2}"), small.clone(), text_color);
    }
}
