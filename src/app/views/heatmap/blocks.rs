//! The heatmap past the exact limit: each pixel is the exact mean cosine of its block of
//! sentence pairs, computed from the blocks' mean vectors (one small GEMM) on a
//! background thread. Zooming in refines the blocks down to single cells.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, Pos2, Rect, Sense, Stroke, pos2, vec2};

use crate::app::command::Command;
use crate::app::paint::color_of;
use crate::app::result::{Computed, JobId};
use crate::app::task::{Task, TaskPoll};
use crate::engine::blocks::{BlockMatrix, block_matrix, even_edges};
use crate::render::Colormap;
use crate::session::ColorRange;

/// Most blocks a side (the texture's side).
const MAX_BLOCKS: usize = 2_048;
/// Blocks are computed again once the view has been still this long.
const SETTLE: Duration = Duration::from_millis(150);

/// The part of the matrix on screen, in display positions: `start` is the top-left
/// corner, `span` the positions across (the same on both axes).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    start: [f64; 2],
    span: f64,
}

impl Window {
    fn whole(n: usize) -> Self {
        Self { start: [0.0, 0.0], span: n as f64 }
    }

    /// Kept inside the matrix and no smaller than a few cells.
    fn clamped(self, n: usize) -> Self {
        let n = n as f64;
        let span = self.span.clamp(4.0_f64.min(n), n);
        let c = |s: f64| s.clamp(0.0, n - span);
        Self { start: [c(self.start[0]), c(self.start[1])], span }
    }

    /// Whole positions covered: `(rows, cols)` ranges.
    fn ranges(self, n: usize) -> ([usize; 2], [usize; 2]) {
        let r = |s: f64| {
            let a = s.floor().max(0.0) as usize;
            let b = ((s + self.span).ceil() as usize).min(n);
            [a.min(b), b]
        };
        (r(self.start[1]), r(self.start[0]))
    }
}

/// What one block picture shows.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BlockKey {
    job: JobId,
    /// Whether the rows are in the clustered order.
    clustered: bool,
    rows: [usize; 2],
    cols: [usize; 2],
    blocks: usize,
}

/// A finished block picture.
struct Picture {
    key: BlockKey,
    matrix: BlockMatrix,
}

/// The texture of the latest block picture, its colours, and one picture under way.
#[derive(Default)]
pub struct BlockHeatmap {
    window: Option<Window>,
    /// The result and order the window belongs to.
    for_result: Option<(JobId, bool)>,
    picture: Option<Picture>,
    texture: Option<(egui::TextureHandle, (f32, f32, Colormap))>,
    pending: Option<(BlockKey, Task<BlockMatrix>)>,
    wanted: Option<(BlockKey, Instant)>,
    /// Why the background computation could not start, until shown.
    note: Option<String>,
    /// A new picture arrived: the texture is drawn again.
    texture_stale: bool,
    /// The overview's value range, for the automatic colour range.
    overview_range: Option<(JobId, bool, (f32, f32))>,
}

impl BlockHeatmap {
    /// Draws the block heatmap of `r`, in its clustered order when `clustered` and the
    /// order is there (else in the table's order).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &crate::session::State,
        r: &Arc<Computed>,
        clustered: bool,
        out: &mut Vec<Command>,
    ) {
        let n = r.table.len();
        let clustered = clustered && r.cluster_order.as_ref().is_some_and(|o| o.len() == n);
        let order = if clustered { r.cluster_order.as_deref() } else { None };
        if self.for_result != Some((r.job, clustered)) {
            // A new result or order: start from the overview.
            if self.for_result.is_none_or(|(_, c)| c != clustered) {
                self.window = None;
            }
            self.for_result = Some((r.job, clustered));
        }
        let side = ui.available_width().min(ui.available_height() - 30.0).max(100.0) - 60.0;
        let label_strip = 90.0;
        let plot = Rect::from_min_size(
            ui.cursor().min + vec2(label_strip, 4.0),
            vec2(side - label_strip, side - label_strip).max(vec2(60.0, 60.0)),
        );
        let extent = Rect::from_min_max(ui.cursor().min, plot.max + vec2(60.0, 24.0));
        ui.allocate_rect(extent, Sense::hover());
        let resp = ui.interact(plot, ui.make_persistent_id("block-heatmap"), Sense::click_and_drag());
        let mut w = self.window.unwrap_or(Window::whole(n));
        w = zoom_pan(ui, &resp, plot, w).clamped(n);
        self.window = Some(w);

        let ppp = ui.ctx().pixels_per_point();
        let (rows, cols) = w.ranges(n);
        let blocks = ((plot.width() * ppp) as usize).clamp(1, MAX_BLOCKS);
        let key = BlockKey { job: r.job, clustered, rows, cols, blocks };
        self.request(ui.ctx(), r, key);

        let (lo, hi) = match state.view.range {
            ColorRange::Auto => self
                .overview_range
                .filter(|(j, c, _)| *j == r.job && *c == clustered)
                .map_or((0.0, 1.0), |(_, _, range)| range),
            other => crate::app::paint::range_of(r, other),
        };
        let cmap = state.view.colormap;
        let painter = ui.painter_at(extent);
        painter.rect_filled(plot, 0.0, ui.visuals().extreme_bg_color);
        if let Some(pic) = self.picture.as_ref().filter(|p| p.key.job == r.job && p.key.clustered == clustered) {
            if self.texture.as_ref().is_none_or(|(_, look)| *look != (lo, hi, cmap)) || self.texture_stale {
                let image = image_of(&pic.matrix, lo, hi, cmap);
                match &mut self.texture {
                    Some((t, look)) => {
                        t.set(image, egui::TextureOptions::NEAREST);
                        *look = (lo, hi, cmap);
                    }
                    None => {
                        let t = ui.ctx().load_texture("simlens-blocks", image, egui::TextureOptions::NEAREST);
                        self.texture = Some((t, (lo, hi, cmap)));
                    }
                }
                self.texture_stale = false;
            }
            if let Some((t, _)) = &self.texture {
                // The picture may be of an older window: drawn where its blocks now are.
                let a = to_screen(plot, w, [pic.key.cols[0] as f64, pic.key.rows[0] as f64]);
                let b = to_screen(plot, w, [pic.key.cols[1] as f64, pic.key.rows[1] as f64]);
                let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
                painter.with_clip_rect(plot).image(t.id(), Rect::from_min_max(a, b), uv, Color32::WHITE);
            }
            if let Some((i, j)) = tooltip(&resp, plot, w, r, order, &pic.matrix)
                && resp.clicked()
            {
                out.push(Command::Select(i, j));
            }
        } else {
            painter.text(
                plot.center(),
                egui::Align2::CENTER_CENTER,
                "Averaging blocks…",
                egui::FontId::proportional(16.0),
                ui.visuals().weak_text_color(),
            );
        }
        if !clustered {
            group_lines(ui, &painter, plot, w, r);
        }
        super::labels::colour_bar_beside(ui, &painter, plot, cmap, lo, hi);
        let exact = self.picture.as_ref().is_some_and(|p| p.key == key);
        if let Some(note) = self.note.take() {
            out.push(Command::Notify(crate::app::notice::Notification::error(note)));
        }
        caption_ui(ui, n, w, plot.width() * ppp, exact);
        if resp.double_clicked() {
            self.window = None;
        }
    }
}

impl BlockHeatmap {
    /// Takes a finished picture, and starts the one for `key` once the view settles.
    fn request(&mut self, ctx: &egui::Context, r: &Arc<Computed>, key: BlockKey) {
        self.collect(r);
        if self.picture.as_ref().is_some_and(|p| p.key == key) || self.pending.as_ref().is_some_and(|(k, _)| *k == key)
        {
            return;
        }
        // The first picture of a result starts at once; later ones wait for the view to settle.
        let first = self.picture.as_ref().is_none_or(|p| p.key.job != key.job || p.key.clustered != key.clustered);
        let settled = match &self.wanted {
            Some((k, since)) if *k == key => since.elapsed() >= SETTLE,
            _ => {
                self.wanted = Some((key, Instant::now()));
                false
            }
        };
        if !(first || settled) {
            ctx.request_repaint_after(SETTLE);
            return;
        }
        let (r2, k) = (Arc::clone(r), key);
        let task = Task::spawn("simlens-blocks", ctx, move |_| {
            let n = r2.table.len();
            let identity: Vec<usize>;
            let order: &[usize] = match r2.cluster_order.as_deref().filter(|_| k.clustered) {
                Some(o) => o,
                None => {
                    identity = (0..n).collect();
                    &identity
                }
            };
            let rows = even_edges(k.rows[0], k.rows[1], k.blocks);
            let cols = even_edges(k.cols[0], k.cols[1], k.blocks);
            Ok::<_, String>(block_matrix(&r2.embeddings, order, rows, cols))
        });
        self.pending = Some((key, task));
        // A thread that could not start is said at once.
        self.collect(r);
    }

    /// Takes a finished picture, or its failure.
    fn collect(&mut self, r: &Computed) {
        let Some((k, task)) = &mut self.pending else { return };
        let k = *k;
        match task.poll() {
            TaskPoll::Running(_) => return,
            TaskPoll::Done(matrix) => {
                let overview = k.rows == [0, r.table.len()] && k.cols == k.rows;
                if overview {
                    self.overview_range = Some((k.job, k.clustered, off_diagonal_range(&matrix)));
                }
                self.picture = Some(Picture { key: k, matrix });
                self.texture_stale = true;
            }
            TaskPoll::Failed(e) => self.note = Some(format!("The block heatmap could not be computed ({e}).")),
            TaskPoll::Idle => {}
        }
        self.pending = None;
    }
}

/// What a pixel is and which part of the matrix is shown; `exact` when the picture on
/// screen is of this very window.
fn caption_ui(ui: &mut egui::Ui, n: usize, w: Window, pixels: f32, exact: bool) {
    let (pr, pc) = w.ranges(n);
    let per_pixel = (w.span / f64::from(pixels)).max(1.0);
    let exact = exact && per_pixel <= 1.0;
    ui.weak(format!(
        "{} sentences: each pixel is the exact mean cosine of a block of about {:.0} × {:.0} pairs (the dot product of the blocks' mean vectors). Rows {}–{}, columns {}–{}{}. Scroll to zoom, drag to pan, double-click for the whole matrix.",
        crate::render::count(n),
        per_pixel,
        per_pixel,
        crate::render::count(pr[0] + 1),
        crate::render::count(pr[1]),
        crate::render::count(pc[0] + 1),
        crate::render::count(pc[1]),
        if exact { "; single cells now" } else { "" }
    ));
}

/// Smallest and largest block mean off the diagonal (the diagonal blocks hold each
/// sentence's similarity to itself).
fn off_diagonal_range(m: &BlockMatrix) -> (f32, f32) {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for r in 0..m.rows() {
        for c in (0..m.cols()).filter(|&c| c != r) {
            let v = m.get(r, c);
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo < hi { (lo, hi) } else { (0.0, 1.0) }
}

/// Scroll zooms about the pointer; a drag pans.
fn zoom_pan(ui: &egui::Ui, resp: &egui::Response, plot: Rect, mut w: Window) -> Window {
    let per_point = w.span / f64::from(plot.width());
    if let Some(p) = resp.hover_pos() {
        let (zoom, scroll) = ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta));
        let factor = f64::from(zoom) * f64::from(scroll.y / 200.0).exp();
        if (factor - 1.0).abs() > 1e-4 {
            let at = to_position(plot, w, p);
            let span = w.span / factor;
            let frac = [f64::from((p.x - plot.left()) / plot.width()), f64::from((p.y - plot.top()) / plot.height())];
            w = Window { start: [at[0] - frac[0] * span, at[1] - frac[1] * span], span };
        }
    }
    if resp.dragged() {
        let d = resp.drag_delta();
        w.start = [w.start[0] - f64::from(d.x) * per_point, w.start[1] - f64::from(d.y) * per_point];
    }
    w
}

/// Display position (column, row) under screen point `p`.
fn to_position(plot: Rect, w: Window, p: Pos2) -> [f64; 2] {
    let per_point = w.span / f64::from(plot.width());
    [w.start[0] + f64::from(p.x - plot.left()) * per_point, w.start[1] + f64::from(p.y - plot.top()) * per_point]
}

/// Screen point of display position (column, row).
fn to_screen(plot: Rect, w: Window, pos: [f64; 2]) -> Pos2 {
    let per_point = f64::from(plot.width()) / w.span;
    pos2(
        plot.left() + ((pos[0] - w.start[0]) * per_point) as f32,
        plot.top() + ((pos[1] - w.start[1]) * per_point) as f32,
    )
}

fn image_of(m: &BlockMatrix, lo: f32, hi: f32, cmap: Colormap) -> egui::ColorImage {
    let pixels = m.values.iter().map(|&v| color_of(cmap, v, lo, hi)).collect();
    egui::ColorImage::new([m.cols(), m.rows()], pixels)
}

/// What the pointer is on: a block's mean and size, or a single pair with its sentences
/// (returned, so a click selects it).
fn tooltip(
    resp: &egui::Response,
    plot: Rect,
    w: Window,
    r: &Computed,
    order: Option<&[usize]>,
    m: &BlockMatrix,
) -> Option<(usize, usize)> {
    let p = resp.hover_pos()?;
    let pos = to_position(plot, w, p);
    if pos[0] < 0.0 || pos[1] < 0.0 {
        return None;
    }
    let (br, bc) = (m.row_of(pos[1] as usize)?, m.col_of(pos[0] as usize)?);
    let (h, wd) = m.block_size(br, bc);
    let sentence = |k: usize| order.map_or(k, |o| o[k]);
    let group_span = |a: usize, b: usize| {
        let (g0, g1) = (r.table.groups[sentence(a)], r.table.groups[sentence(b - 1)]);
        if order.is_none() && g0 == g1 {
            return r.table.group_names[g0].clone();
        }
        if order.is_none() {
            return format!("{} … {}", r.table.group_names[g0], r.table.group_names[g1]);
        }
        // In a clustered order, the block's commonest group.
        let mut counts = std::collections::HashMap::new();
        for k in a..b {
            *counts.entry(r.table.groups[sentence(k)]).or_insert(0usize) += 1;
        }
        let (g, c) = counts.into_iter().max_by_key(|&(g, c)| (c, std::cmp::Reverse(g))).unwrap_or((0, 0));
        format!("{:.0}% {}", 100.0 * c as f64 / (b - a).max(1) as f64, r.table.group_names[g])
    };
    let v = m.get(br, bc);
    let single = (h == 1 && wd == 1).then(|| (sentence(m.row_edges[br]), sentence(m.col_edges[bc])));
    resp.clone().on_hover_ui_at_pointer(|ui| {
        ui.set_max_width(440.0);
        if h == 1 && wd == 1 {
            let (i, j) = (sentence(m.row_edges[br]), sentence(m.col_edges[bc]));
            ui.label(egui::RichText::new(format!("{v:.3}")).strong().size(18.0));
            for (side, idx) in [("row", i), ("column", j)] {
                ui.label(egui::RichText::new(format!("{side} {} · {}", idx + 1, r.table.group_of(idx))).weak());
                ui.label(&r.table.texts[idx]);
            }
        } else {
            ui.label(egui::RichText::new(format!("mean of {h} × {wd} pairs: {v:.3}")).strong().size(16.0));
            let (r0, r1) = (m.row_edges[br], m.row_edges[br + 1]);
            let (c0, c1) = (m.col_edges[bc], m.col_edges[bc + 1]);
            ui.label(egui::RichText::new(format!("rows {}–{} ({})", r0 + 1, r1, group_span(r0, r1))).weak());
            ui.label(egui::RichText::new(format!("columns {}–{} ({})", c0 + 1, c1, group_span(c0, c1))).weak());
        }
    });
    single
}

/// Lines where groups start, and their names in the left strip where they fit.
fn group_lines(ui: &egui::Ui, painter: &egui::Painter, plot: Rect, w: Window, r: &Computed) {
    let groups = &r.table.groups;
    let mut starts = vec![0usize];
    starts.extend((1..groups.len()).filter(|&k| groups[k] != groups[k - 1]));
    if starts.len() < 2 {
        return;
    }
    let stroke = Stroke::new(1.0, Color32::from_white_alpha(180));
    let clip = painter.with_clip_rect(plot);
    let text = ui.visuals().text_color();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(groups.len());
        let a = to_screen(plot, w, [s as f64, s as f64]);
        let b = to_screen(plot, w, [end as f64, end as f64]);
        if s > 0 {
            clip.line_segment([pos2(a.x, plot.top()), pos2(a.x, plot.bottom())], stroke);
            clip.line_segment([pos2(plot.left(), a.y), pos2(plot.right(), a.y)], stroke);
        }
        let (y0, y1) = (a.y.max(plot.top()), b.y.min(plot.bottom()));
        if y1 - y0 >= 12.0 {
            let name = crate::render::truncate(&r.table.group_names[groups[s]], 14);
            painter.text(
                pos2(plot.left() - 6.0, (y0 + y1) / 2.0),
                egui::Align2::RIGHT_CENTER,
                name,
                egui::FontId::proportional(12.0),
                text,
            );
        }
    }
}
