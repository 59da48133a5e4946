//! The sentence × sentence heatmap: one cached texture, zoom and pan, labels where
//! they fit, group boundaries, tooltips and selection.

use egui::{
    Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, TextureHandle, TextureOptions, Vec2, pos2, vec2,
};

use std::sync::Arc;
use std::sync::mpsc::Receiver;

use super::Command;
use super::groups::{contrast, truncate};
use super::worker::Computed;
use crate::render::{Colormap, matrix_pixels, unit};
use crate::session::{ColorRange, ViewSettings};

/// Smallest cell, in points, that gets a text label.
const LABEL_CELL: f32 = 11.0;
/// Smallest cell that gets its value printed inside.
const VALUE_CELL: f32 = 30.0;

/// How the rows are arranged and what is marked.
pub struct Layout<'a> {
    /// Display position → sentence index.
    pub order: &'a [usize],
    /// Whether `order` is a clustering (group boundaries are then not contiguous).
    pub clustered: bool,
    /// Sentences to mark (search hits).
    pub highlight: &'a [usize],
}

/// The matrix, texts and groups rearranged in display order (only when not identity).
struct Permuted {
    job: u64,
    sim: crate::engine::SimMatrix,
    texts: Vec<String>,
    groups: Vec<usize>,
}

/// Runtime state of the heatmap: the cached texture and the zoom.
pub struct HeatmapView {
    texture: Option<TextureHandle>,
    key: Option<TextureKey>,
    permuted: Option<Permuted>,
    /// Zoom factor (1 = whole matrix).
    zoom: f32,
    /// Centre of the view in texture coordinates (0..1).
    center: Vec2,
    /// Rows (= columns) changed by patches since the texture was drawn, and the job
    /// that brings them up to date.
    pending: Option<(u64, Vec<usize>)>,
    /// The full-resolution texture being built off the UI thread.
    refining: Option<Refining>,
}

/// A full-resolution texture on its way from a background thread.
struct Refining {
    /// What it was built for.
    key: TextureKey,
    rx: Receiver<egui::ColorImage>,
    /// Rows patched since it started, to draw again once it lands.
    rows: Vec<usize>,
}

/// What the texture shows: job, colour range, colormap, permuted or not.
type TextureKey = (u64, u32, u32, Colormap, bool);

/// Past this many rows, the full-resolution texture is built in the background and a
/// preview of at most this many pixels a side is shown meanwhile.
const PREVIEW_SIDE: usize = 2048;

impl Default for HeatmapView {
    fn default() -> Self {
        Self {
            texture: None,
            key: None,
            permuted: None,
            zoom: 1.0,
            center: vec2(0.5, 0.5),
            pending: None,
            refining: None,
        }
    }
}

impl HeatmapView {
    /// Forces the texture to be rebuilt on the next frame.
    pub fn invalidate(&mut self) {
        self.key = None;
        self.pending = None;
    }

    /// Whether the texture is at its final resolution (no background build pending).
    pub fn is_final(&self) -> bool {
        self.refining.is_none()
    }

    /// The result became `job` by changing sentences `changed`: only their rows and
    /// columns of the texture are redrawn.
    pub fn patched(&mut self, job: u64, changed: &[usize]) {
        if self.key.is_none() {
            return;
        }
        let rows = self.pending.take().map(|(_, r)| r).unwrap_or_default();
        self.pending = Some((job, rows.into_iter().chain(changed.iter().copied()).collect()));
    }
}

/// The colour range for a result.
pub fn range_of(r: &Computed, range: ColorRange) -> (f32, f32) {
    match range {
        ColorRange::Unit => (0.0, 1.0),
        ColorRange::Signed => (-1.0, 1.0),
        ColorRange::Auto => r.off_diagonal_range().filter(|(lo, hi)| hi > lo).unwrap_or((0.0, 1.0)),
    }
}

fn color_of(cmap: Colormap, v: f32, lo: f32, hi: f32) -> Color32 {
    let c = cmap.rgb(unit(v, lo, hi));
    Color32::from_rgb(c[0], c[1], c[2])
}

/// Draws the heatmap of `r`.
pub fn heatmap_ui(
    ui: &mut egui::Ui,
    view: &mut HeatmapView,
    r: &Arc<Computed>,
    settings: &ViewSettings,
    layout: &Layout<'_>,
    selection: Option<(usize, usize)>,
    commands: &mut Vec<Command>,
) {
    let n = r.sim.n;
    if n == 0 {
        if r.texts.is_empty() {
            ui.label("Add sentences to see their similarity.");
        } else {
            ui.label(format!(
                "{} sentences are more than the heatmap shows ({}). The group view, neighbours and embedding export still work.",
                r.texts.len(),
                super::worker::MAX_APP_MATRIX
            ));
        }
        return;
    }
    let (lo, hi) = range_of(r, settings.range);
    let permute = layout.order.len() == n && layout.order.iter().enumerate().any(|(k, &i)| k != i);
    if !permute {
        view.permuted = None;
    } else if view.permuted.as_ref().is_none_or(|p| p.job != r.job || p.texts.len() != n) {
        let o = layout.order;
        let mut data = Vec::with_capacity(n * n);
        for &i in o {
            let row = r.sim.row(i);
            data.extend(o.iter().map(|&j| row[j]));
        }
        view.permuted = Some(Permuted {
            job: r.job,
            sim: crate::engine::SimMatrix { n, data },
            texts: o.iter().map(|&i| r.texts[i].clone()).collect(),
            groups: o.iter().map(|&i| r.groups[i]).collect(),
        });
        view.key = None;
    }
    let (sim, texts, groups) = match &view.permuted {
        Some(p) => (&p.sim, &p.texts, &p.groups),
        None => (&r.sim, &r.texts, &r.groups),
    };
    let identity: Vec<usize>;
    let order = if permute {
        layout.order
    } else {
        identity = (0..n).collect();
        &identity
    };
    let mut inverse = vec![0usize; n];
    for (k, &i) in order.iter().enumerate() {
        inverse[i] = k;
    }
    let key = (r.job, lo.to_bits(), hi.to_bits(), settings.colormap, permute);
    let max_side = ui.ctx().input(|i| i.max_texture_side).max(256);
    // Same colours and order, whatever the job: a patch can be drawn into the texture.
    let same_look = |k: TextureKey| (k.1, k.2, k.3, k.4) == (key.1, key.2, key.3, key.4);
    let paint_rows = |texture: &mut TextureHandle, rows: &[usize]| {
        // One row and one column of pixels per changed sentence.
        let color = crate::render::cell_color(lo, hi, settings.colormap, |c| Color32::from_rgb(c[0], c[1], c[2]));
        for &i in rows {
            let pixels: Vec<Color32> = sim.row(i).iter().map(|&v| color(v)).collect();
            texture.set_partial([0, i], egui::ColorImage::new([n, 1], pixels.clone()), TextureOptions::NEAREST);
            texture.set_partial([i, 0], egui::ColorImage::new([1, n], pixels), TextureOptions::NEAREST);
        }
    };
    if let Some((job, rows)) = view.pending.take()
        && job == r.job
        && !permute
        && view.key.is_some_and(same_look)
    {
        if let Some(refining) = view.refining.as_mut().filter(|f| same_look(f.key)) {
            // The preview stays until the full texture lands; these rows are redrawn then.
            refining.rows.extend(rows);
            view.key = Some(key);
        } else if let Some(texture) = view.texture.as_mut().filter(|t| t.size() == [n, n]) {
            paint_rows(texture, &rows);
            view.key = Some(key);
        }
    }
    if let Some(refining) = &view.refining {
        if !same_look(refining.key) || view.key != Some(key) {
            view.refining = None;
        } else if let Ok(image) = refining.rx.try_recv() {
            if let Some(t) = &mut view.texture {
                // Built from the result as it was; rows patched since are drawn again.
                t.set(image, TextureOptions::NEAREST);
                paint_rows(t, &refining.rows);
            }
            view.refining = None;
        }
    }
    if view.key != Some(key) || view.texture.is_none() {
        let rgb = |c: [u8; 3]| Color32::from_rgb(c[0], c[1], c[2]);
        // A large matrix shows a preview at once; its full resolution follows.
        let refine = !permute && n > PREVIEW_SIDE && max_side > PREVIEW_SIDE;
        let side_now = if refine { PREVIEW_SIDE } else { max_side };
        let (side, pixels) = matrix_pixels(sim, lo, hi, settings.colormap, side_now, rgb);
        let image = egui::ColorImage::new([side, side], pixels);
        match &mut view.texture {
            Some(t) => t.set(image, TextureOptions::NEAREST),
            None => view.texture = Some(ui.ctx().load_texture("simlens-heatmap", image, TextureOptions::NEAREST)),
        }
        view.key = Some(key);
        view.refining = None;
        if refine {
            let (tx, rx) = std::sync::mpsc::channel();
            let (r, ctx, cmap) = (Arc::clone(r), ui.ctx().clone(), settings.colormap);
            let spawned = std::thread::Builder::new().name("simlens-heatmap".into()).spawn(move || {
                let (side, pixels) = matrix_pixels(&r.sim, lo, hi, cmap, max_side, rgb);
                if tx.send(egui::ColorImage::new([side, side], pixels)).is_ok() {
                    ctx.request_repaint();
                }
            });
            if spawned.is_ok() {
                view.refining = Some(Refining { key, rx, rows: Vec::new() });
            }
        }
    }
    let Some(texture) = view.texture.as_ref() else {
        return;
    };

    // ---- layout -----------------------------------------------------------------
    let area = ui.available_rect_before_wrap();
    let bar_w = 76.0;
    let hint_h = 18.0;
    let visible_n = n as f32 / view.zoom;
    let label_w_full = (area.width() * 0.3).clamp(120.0, 280.0);
    let top_full = (area.height() * 0.28).clamp(60.0, 170.0);
    let side_with_labels = (area.width() - label_w_full - bar_w).min(area.height() - top_full - hint_h);
    let labels = side_with_labels / visible_n >= LABEL_CELL;
    let multi_group = r.group_names.len() > 1 && !layout.clustered;
    let (label_w, top) = if labels {
        (label_w_full, top_full)
    } else {
        (if multi_group { 140.0 } else { 8.0 }, if multi_group { 22.0 } else { 8.0 })
    };
    let side = (area.width() - label_w - bar_w).min(area.height() - top - hint_h).max(40.0);
    let plot = Rect::from_min_size(area.min + vec2(label_w, top), Vec2::splat(side));
    ui.allocate_rect(Rect::from_min_size(area.min, vec2(label_w + side + bar_w, top + side + hint_h)), Sense::hover());
    let resp = ui.interact(plot, ui.make_persistent_id("heatmap"), Sense::click_and_drag());

    // ---- zoom and pan -----------------------------------------------------------
    let max_zoom = (n as f32 / 3.0).max(1.0);
    if resp.double_clicked() {
        view.zoom = 1.0;
        view.center = vec2(0.5, 0.5);
    }
    if let Some(pointer) = resp.hover_pos() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        let factor = (scroll * 0.004).exp() * ui.input(|i| i.zoom_delta());
        if (factor - 1.0).abs() > 1e-4 {
            let before = uv_at(view, plot, pointer);
            view.zoom = (view.zoom * factor).clamp(1.0, max_zoom);
            let after = uv_at(view, plot, pointer);
            view.center += before - after;
        }
    }
    if resp.dragged() {
        view.center -= resp.drag_delta() / side / view.zoom;
    }
    // A smaller matrix than last time allows less zoom.
    view.zoom = view.zoom.clamp(1.0, max_zoom);
    let half = 0.5 / view.zoom;
    view.center = vec2(view.center.x.clamp(half, 1.0 - half), view.center.y.clamp(half, 1.0 - half));
    let uv = Rect::from_center_size(view.center.to_pos2(), Vec2::splat(1.0 / view.zoom));
    let cell = side / visible_n;
    // Screen position of the edge before row/column k.
    let at = |k: usize, axis: usize| -> f32 {
        let t = k as f32 / n as f32;
        if axis == 0 {
            plot.left() + (t - uv.min.x) / uv.width() * side
        } else {
            plot.top() + (t - uv.min.y) / uv.height() * side
        }
    };
    let first = ((uv.min.y * n as f32).floor() as usize).min(n);
    let last = ((uv.max.y * n as f32).ceil() as usize).min(n);
    let (first_c, last_c) =
        (((uv.min.x * n as f32).floor() as usize).min(n), ((uv.max.x * n as f32).ceil() as usize).min(n));

    // ---- cells ------------------------------------------------------------------
    let painter = ui.painter_at(Rect::from_min_max(area.min, pos2(plot.right() + bar_w, plot.bottom() + hint_h)));
    painter.image(texture.id(), plot, uv, Color32::WHITE);
    let text_color = ui.visuals().text_color();
    let font = FontId::proportional((cell * 0.55).clamp(10.0, 14.0));
    if settings.show_values && cell >= VALUE_CELL {
        for i in first..last {
            for j in first_c..last_c {
                let v = sim.get(i, j);
                let center = pos2((at(j, 0) + at(j + 1, 0)) / 2.0, (at(i, 1) + at(i + 1, 1)) / 2.0);
                if plot.contains(center) {
                    let fill = color_of(settings.colormap, v, lo, hi);
                    painter.text(
                        center,
                        Align2::CENTER_CENTER,
                        format!("{v:.2}"),
                        FontId::proportional((cell * 0.3).clamp(9.0, 15.0)),
                        contrast(fill),
                    );
                }
            }
        }
    }

    // ---- group boundaries and names --------------------------------------------
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (first row, group)
    for (i, &g) in groups.iter().enumerate() {
        if starts.last().is_none_or(|&(_, last)| last != g) {
            starts.push((i, g));
        }
    }
    let line = Stroke::new(1.5, Color32::from_rgba_unmultiplied(255, 255, 255, 220));
    if layout.clustered {
        starts.clear();
    }
    for &(s, _) in starts.iter().skip(1) {
        let x = at(s, 0);
        let y = at(s, 1);
        if (plot.left()..=plot.right()).contains(&x) {
            painter.line_segment([pos2(x, plot.top()), pos2(x, plot.bottom())], line);
        }
        if (plot.top()..=plot.bottom()).contains(&y) {
            painter.line_segment([pos2(plot.left(), y), pos2(plot.right(), y)], line);
        }
    }
    let chars_fit = |w: f32, size: f32| (w / (size * 0.52)).max(3.0) as usize;
    if labels {
        let size = (cell * 0.7).clamp(10.0, 14.0);
        let f = FontId::proportional(size);
        // With several groups, a strip at the far left and top names them.
        let strip = if multi_group { 18.0 } else { 0.0 };
        for (i, label) in texts.iter().enumerate().take(last).skip(first) {
            let y = (at(i, 1) + at(i + 1, 1)) / 2.0;
            if (plot.top()..=plot.bottom()).contains(&y) {
                let text = truncate(label, chars_fit(label_w - strip - 12.0, size));
                painter.text(pos2(plot.left() - 6.0, y), Align2::RIGHT_CENTER, text, f.clone(), text_color);
            }
        }
        for (j, label) in texts.iter().enumerate().take(last_c).skip(first_c) {
            let x = (at(j, 0) + at(j + 1, 0)) / 2.0;
            if (plot.left()..=plot.right()).contains(&x) {
                let text = truncate(label, chars_fit(top - strip - 12.0, size));
                let galley = painter.layout_no_wrap(text, f.clone(), text_color);
                let h = galley.size().y;
                let pos = pos2(x - h / 2.0, plot.top() - 6.0);
                painter.add(Shape::Text(
                    egui::epaint::TextShape::new(pos, galley, text_color).with_angle(-std::f32::consts::FRAC_PI_2),
                ));
            }
        }
        if multi_group {
            let group_color = ui.visuals().strong_text_color();
            let gf = FontId::proportional(12.0);
            for (k, &(s, g)) in starts.iter().enumerate() {
                let e = starts.get(k + 1).map(|x| x.0).unwrap_or(n);
                let (y0, y1) = (at(s, 1).max(plot.top()), at(e, 1).min(plot.bottom()));
                if y1 - y0 >= 24.0 {
                    let text = truncate(&r.group_names[g], chars_fit(y1 - y0 - 4.0, 12.0));
                    let galley = painter.layout_no_wrap(text, gf.clone(), group_color);
                    let (w, h) = (galley.size().x, galley.size().y);
                    let pos = pos2(area.left() + (strip - h) / 2.0, (y0 + y1) / 2.0 + w / 2.0);
                    painter.add(Shape::Text(
                        egui::epaint::TextShape::new(pos, galley, group_color).with_angle(-std::f32::consts::FRAC_PI_2),
                    ));
                    painter.line_segment(
                        [pos2(area.left() + strip, y0 + 2.0), pos2(area.left() + strip, y1 - 2.0)],
                        Stroke::new(1.0, group_color),
                    );
                }
                let (x0, x1) = (at(s, 0).max(plot.left()), at(e, 0).min(plot.right()));
                if x1 - x0 >= 30.0 {
                    let text = truncate(&r.group_names[g], chars_fit(x1 - x0 - 4.0, 12.0));
                    painter.text(
                        pos2((x0 + x1) / 2.0, area.top() + 1.0),
                        Align2::CENTER_TOP,
                        text,
                        gf.clone(),
                        group_color,
                    );
                    painter.line_segment(
                        [pos2(x0 + 2.0, area.top() + strip), pos2(x1 - 2.0, area.top() + strip)],
                        Stroke::new(1.0, group_color),
                    );
                }
            }
        }
    } else if multi_group {
        let f = FontId::proportional(12.0);
        for (k, &(s, g)) in starts.iter().enumerate() {
            let e = starts.get(k + 1).map(|x| x.0).unwrap_or(n);
            let (y0, y1) = (at(s, 1).max(plot.top()), at(e, 1).min(plot.bottom()));
            if y1 - y0 >= 12.0 {
                let text = truncate(&r.group_names[g], chars_fit(label_w - 12.0, 12.0));
                painter.text(
                    pos2(plot.left() - 6.0, (y0 + y1) / 2.0),
                    Align2::RIGHT_CENTER,
                    text,
                    f.clone(),
                    text_color,
                );
            }
            let (x0, x1) = (at(s, 0).max(plot.left()), at(e, 0).min(plot.right()));
            if x1 - x0 >= 40.0 {
                let text = truncate(&r.group_names[g], chars_fit(x1 - x0, 12.0));
                painter.text(
                    pos2((x0 + x1) / 2.0, plot.top() - 4.0),
                    Align2::CENTER_BOTTOM,
                    text,
                    f.clone(),
                    text_color,
                );
            }
        }
    }

    // ---- selection, hover, click -----------------------------------------------
    let cell_rect = |i: usize, j: usize| Rect::from_min_max(pos2(at(j, 0), at(i, 1)), pos2(at(j + 1, 0), at(i + 1, 1)));
    if let Some((i, j)) = selection.filter(|&(i, j)| i < n && j < n).map(|(i, j)| (inverse[i], inverse[j])) {
        let rect = cell_rect(i, j).intersect(plot);
        if rect.is_positive() {
            painter.rect_stroke(
                rect.expand(1.0),
                0.0,
                Stroke::new(2.5, Color32::from_rgb(255, 80, 80)),
                egui::StrokeKind::Outside,
            );
        }
    }
    let hovered = resp.hover_pos().and_then(|p| {
        let uvp = uv_at(view, plot, p);
        let (i, j) = ((uvp.y * n as f32) as usize, (uvp.x * n as f32) as usize);
        (i < n && j < n).then_some((i, j))
    });
    if let Some((i, j)) = hovered {
        let rect = cell_rect(i, j).intersect(plot);
        painter.rect_stroke(rect, 0.0, Stroke::new(1.5, Color32::WHITE), egui::StrokeKind::Inside);
        if resp.clicked() {
            commands.push(Command::Select(order[i], order[j]));
        }
        resp.on_hover_ui_at_pointer(|ui| {
            ui.set_max_width(420.0);
            ui.label(egui::RichText::new(format!("{:.3}", sim.get(i, j))).strong().size(18.0));
            for (k, idx) in [i, j].into_iter().enumerate() {
                ui.label(
                    egui::RichText::new(format!(
                        "{} {} · {}",
                        if k == 0 { "row" } else { "column" },
                        idx + 1,
                        r.group_names[groups[idx]]
                    ))
                    .weak(),
                );
                ui.label(&texts[idx]);
            }
        });
    } else if let Some(p) = ui.ctx().pointer_hover_pos()
        && labels
    {
        // Full text of a truncated label: rows on the left, columns on top.
        let row = (p.x < plot.left() && p.x > area.left() && (plot.top()..plot.bottom()).contains(&p.y))
            .then(|| uv.min.y + (p.y - plot.top()) / side * uv.height());
        let col = (p.y < plot.top() && p.y > area.top() && (plot.left()..plot.right()).contains(&p.x))
            .then(|| uv.min.x + (p.x - plot.left()) / side * uv.width());
        if let Some(t) = row.or(col) {
            let i = (t * n as f32) as usize;
            if i < n {
                egui::Tooltip::always_open(
                    ui.ctx().clone(),
                    ui.layer_id(),
                    ui.make_persistent_id("axis-label"),
                    egui::PopupAnchor::Pointer,
                )
                .show(|ui| {
                    ui.set_max_width(420.0);
                    ui.label(egui::RichText::new(&r.group_names[groups[i]]).weak());
                    ui.label(&texts[i]);
                });
            }
        }
    }

    // ---- search hits: a marker at the row's left edge and a band across it --------
    for &h in layout.highlight.iter().filter(|&&h| h < n) {
        let k = inverse[h];
        let (y0, y1) = (at(k, 1), at(k + 1, 1));
        if y1 >= plot.top() && y0 <= plot.bottom() {
            let y = ((y0 + y1) / 2.0).clamp(plot.top(), plot.bottom());
            let mark = Color32::from_rgb(255, 140, 0);
            painter.add(Shape::convex_polygon(
                vec![pos2(plot.left() - 1.0, y), pos2(plot.left() - 9.0, y - 5.0), pos2(plot.left() - 9.0, y + 5.0)],
                mark,
                Stroke::NONE,
            ));
            let band = Rect::from_x_y_ranges(plot.x_range(), y0.max(plot.top())..=y1.min(plot.bottom()));
            painter.rect_stroke(band, 0.0, Stroke::new(1.0, mark), egui::StrokeKind::Inside);
        }
    }

    // ---- colour bar and hint ----------------------------------------------------
    let bar = Rect::from_min_size(pos2(plot.right() + 14.0, plot.top()), vec2(16.0, side));
    let steps = 64;
    for s in 0..steps {
        let t0 = s as f32 / steps as f32;
        let y0 = bar.bottom() - t0 * side;
        let y1 = bar.bottom() - (s + 1) as f32 / steps as f32 * side;
        let c = settings.colormap.rgb((s as f32 + 0.5) / steps as f32);
        painter.rect_filled(Rect::from_x_y_ranges(bar.x_range(), y1..=y0), 0.0, Color32::from_rgb(c[0], c[1], c[2]));
    }
    painter.rect_stroke(bar, 0.0, Stroke::new(1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Outside);
    let small = FontId::proportional(11.0);
    for (t, v) in [(0.0, lo), (0.5, (lo + hi) / 2.0), (1.0, hi)] {
        let y = bar.bottom() - t * side;
        painter.text(pos2(bar.right() + 4.0, y), Align2::LEFT_CENTER, format!("{v:.2}"), small.clone(), text_color);
    }
    let hint = if view.zoom > 1.0 {
        format!("zoom {:.1}× · scroll to zoom · drag to pan · double-click to reset", view.zoom)
    } else {
        format!("{n} × {n} · cosine similarity · scroll to zoom · click a cell for details")
    };
    painter.text(pos2(plot.left(), plot.bottom() + 3.0), Align2::LEFT_TOP, hint, small, ui.visuals().weak_text_color());
    let _ = font;
}

/// Texture coordinates (0..1) under a screen position.
fn uv_at(view: &HeatmapView, plot: Rect, p: Pos2) -> Vec2 {
    let size = 1.0 / view.zoom;
    let min = view.center - Vec2::splat(size / 2.0);
    min + (p - plot.min) / plot.width() * size
}
