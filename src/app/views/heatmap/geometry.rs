//! Where things are on screen: the plot square, label margins, zoom and pan, and the
//! mapping between rows and columns and screen positions.

use std::ops::Range;

use egui::{Pos2, Rect, Response, Vec2, pos2, vec2};

use crate::engine::SimMatrix;

/// Smallest cell, in points, that gets a text label.
const LABEL_CELL: f32 = 11.0;
/// Width of the colour bar and its values.
pub const BAR_W: f32 = 76.0;
/// Height of the hint line under the plot.
pub const HINT_H: f32 = 18.0;

/// Zoom and pan, kept across frames.
#[derive(Debug, Clone, Copy)]
pub struct ZoomPan {
    /// Zoom factor (1 = whole matrix).
    pub zoom: f32,
    /// Centre of the view in texture coordinates (0..1).
    center: Vec2,
}

impl Default for ZoomPan {
    fn default() -> Self {
        Self { zoom: 1.0, center: vec2(0.5, 0.5) }
    }
}

impl ZoomPan {
    /// Texture coordinates (0..1) under a screen position.
    fn uv_at(&self, plot: Rect, p: Pos2) -> Vec2 {
        let size = 1.0 / self.zoom;
        let min = self.center - Vec2::splat(size / 2.0);
        min + (p - plot.min) / plot.width() * size
    }

    /// Scroll zooms at the pointer, drag pans, double-click resets.
    pub fn update(&mut self, ui: &egui::Ui, resp: &Response, plot: Rect, n: usize) {
        let max_zoom = (n as f32 / 3.0).max(1.0);
        if resp.double_clicked() {
            *self = Self::default();
        }
        if let Some(pointer) = resp.hover_pos() {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            let factor = (scroll * 0.004).exp() * ui.input(|i| i.zoom_delta());
            if (factor - 1.0).abs() > 1e-4 {
                let before = self.uv_at(plot, pointer);
                self.zoom = (self.zoom * factor).clamp(1.0, max_zoom);
                let after = self.uv_at(plot, pointer);
                self.center += before - after;
            }
        }
        if resp.dragged() {
            self.center -= resp.drag_delta() / plot.width() / self.zoom;
        }
        // A smaller matrix than last time allows less zoom.
        self.zoom = self.zoom.clamp(1.0, max_zoom);
        let half = 0.5 / self.zoom;
        self.center = vec2(self.center.x.clamp(half, 1.0 - half), self.center.y.clamp(half, 1.0 - half));
    }
}

/// The frame's layout: the area, the plot square and its margins.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Everything the heatmap takes.
    pub area: Rect,
    /// The matrix itself.
    pub plot: Rect,
    /// Width of the row labels (or group names) on the left.
    pub label_w: f32,
    /// Height of the column labels (or group names) on top.
    pub top: f32,
    /// Whether single rows get labels.
    pub labels: bool,
}

impl Frame {
    /// Lays out the heatmap in what is left of `ui`, at zoom `zoom`.
    pub fn layout(ui: &egui::Ui, zoom: f32, n: usize, multi_group: bool) -> Self {
        let area = ui.available_rect_before_wrap();
        let visible_n = n as f32 / zoom;
        let label_w_full = (area.width() * 0.3).clamp(120.0, 280.0);
        let top_full = (area.height() * 0.28).clamp(60.0, 170.0);
        let side_with_labels = (area.width() - label_w_full - BAR_W).min(area.height() - top_full - HINT_H);
        let labels = side_with_labels / visible_n >= LABEL_CELL;
        let (label_w, top) = if labels {
            (label_w_full, top_full)
        } else {
            (if multi_group { 140.0 } else { 8.0 }, if multi_group { 22.0 } else { 8.0 })
        };
        let side = (area.width() - label_w - BAR_W).min(area.height() - top - HINT_H).max(40.0);
        let plot = Rect::from_min_size(area.min + vec2(label_w, top), Vec2::splat(side));
        Self { area, plot, label_w, top, labels }
    }

    /// Everything the frame covers, for allocation and clipping.
    pub fn extent(&self) -> Rect {
        Rect::from_min_max(self.area.min, pos2(self.plot.right() + BAR_W, self.plot.bottom() + HINT_H))
    }
}

/// The frame with the zoom applied: which part of the matrix is where.
#[derive(Debug, Clone)]
pub struct Geometry {
    /// The layout.
    pub frame: Frame,
    /// The visible part of the texture (0..1 coordinates).
    pub uv: Rect,
    /// Rows (= columns) in the matrix.
    pub n: usize,
    /// Size of one cell on screen.
    pub cell: f32,
    /// Rows at least partly visible.
    pub rows: Range<usize>,
    /// Columns at least partly visible.
    pub cols: Range<usize>,
    zoom: ZoomPan,
}

impl Geometry {
    /// The geometry of `frame` at `zoom` for an `n × n` matrix.
    pub fn new(frame: Frame, zoom: ZoomPan, n: usize) -> Self {
        let uv = Rect::from_center_size(zoom.center.to_pos2(), Vec2::splat(1.0 / zoom.zoom));
        let span =
            |lo: f32, hi: f32| ((lo * n as f32).floor() as usize).min(n)..((hi * n as f32).ceil() as usize).min(n);
        let cell = frame.plot.width() / (n as f32 / zoom.zoom);
        Self { frame, uv, n, cell, rows: span(uv.min.y, uv.max.y), cols: span(uv.min.x, uv.max.x), zoom }
    }

    /// The plot square.
    pub fn plot(&self) -> Rect {
        self.frame.plot
    }

    /// Screen x of the edge before column `k`.
    pub fn x(&self, k: usize) -> f32 {
        let plot = self.frame.plot;
        plot.left() + (k as f32 / self.n as f32 - self.uv.min.x) / self.uv.width() * plot.width()
    }

    /// Screen y of the edge before row `k`.
    pub fn y(&self, k: usize) -> f32 {
        let plot = self.frame.plot;
        plot.top() + (k as f32 / self.n as f32 - self.uv.min.y) / self.uv.height() * plot.height()
    }

    /// The screen rectangle of cell (row `i`, column `j`), in display order.
    pub fn cell_rect(&self, i: usize, j: usize) -> Rect {
        Rect::from_min_max(pos2(self.x(j), self.y(i)), pos2(self.x(j + 1), self.y(i + 1)))
    }

    /// The cell (row, column) under a screen position inside the plot.
    pub fn cell_at(&self, p: Pos2) -> Option<(usize, usize)> {
        let uv = self.zoom.uv_at(self.frame.plot, p);
        let (i, j) = ((uv.y * self.n as f32) as usize, (uv.x * self.n as f32) as usize);
        (i < self.n && j < self.n).then_some((i, j))
    }

    /// The row whose label is under `p` (left of the plot), or the column whose label is
    /// (above it).
    pub fn label_at(&self, p: Pos2) -> Option<usize> {
        let (area, plot, uv) = (self.frame.area, self.frame.plot, self.uv);
        let row = (p.x < plot.left() && p.x > area.left() && (plot.top()..plot.bottom()).contains(&p.y))
            .then(|| uv.min.y + (p.y - plot.top()) / plot.height() * uv.height());
        let col = (p.y < plot.top() && p.y > area.top() && (plot.left()..plot.right()).contains(&p.x))
            .then(|| uv.min.x + (p.x - plot.left()) / plot.width() * uv.width());
        let i = (row.or(col)? * self.n as f32) as usize;
        (i < self.n).then_some(i)
    }
}

/// What is drawn, in display order.
pub(super) struct Shown<'a> {
    pub(super) sim: &'a SimMatrix,
    pub(super) texts: &'a [String],
    pub(super) groups: &'a [usize],
    /// Display position → sentence index.
    pub(super) order: &'a [usize],
    /// Sentence index → display position.
    pub(super) inverse: Vec<usize>,
    /// Whether `order` is a clustering (group runs are then not contiguous).
    pub(super) clustered: bool,
}
