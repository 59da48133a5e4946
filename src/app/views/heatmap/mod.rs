//! The sentence × sentence heatmap: one cached texture, zoom and pan, labels where they
//! fit, group boundaries, tooltips and selection.

mod blocks;
mod geometry;
mod labels;
mod texture;

use std::sync::Arc;

use egui::{Color32, Rect, Sense, Shape, Stroke, pos2};

use crate::app::command::Command;
use crate::app::paint::{pointer_tooltip, range_of};
use crate::app::result::{Computed, JobId};
use crate::app::views::ctx::ViewCtx;
use crate::app::worker::MAX_APP_MATRIX;
use crate::engine::SimMatrix;
use crate::engine::project::MAX_CLUSTER;
use crate::session::Order;
use geometry::{Frame, Geometry, Shown, ZoomPan};
use texture::{HeatmapTexture, TextureKey};

/// The matrix, texts and groups rearranged in display order (only when not identity).
struct Permuted {
    job: JobId,
    sim: SimMatrix,
    texts: Vec<String>,
    groups: Vec<usize>,
}

/// Runtime state of the heatmap: the texture, the zoom and the permuted matrix.
#[derive(Default)]
pub struct HeatmapView {
    texture: HeatmapTexture,
    zoom: ZoomPan,
    permuted: Option<Permuted>,
    /// The heatmap past the exact limit.
    blocks: blocks::BlockHeatmap,
}

impl HeatmapView {
    /// Forces the texture to be rebuilt on the next frame.
    pub fn invalidate(&mut self) {
        self.texture.invalidate();
    }

    /// Whether the texture is at its final resolution (no background build pending).
    pub fn is_final(&self) -> bool {
        self.texture.is_final()
    }

    /// The result became `job` by changing sentences `changed`.
    pub fn patched(&mut self, job: JobId, changed: &[usize]) {
        self.texture.patched(job, changed);
    }

    /// Draws the heatmap of `r`.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, r: &Arc<Computed>, out: &mut Vec<Command>) {
        let Some(sim) = r.sim.as_ref().filter(|s| s.n > 0) else {
            if r.table.is_empty() {
                ui.label("Add sentences to see their similarity.");
                return;
            }
            let clustered = ctx.state.view.order == Order::Clustered;
            ui.weak(match (clustered, &r.cluster_order) {
                (true, Some(_)) => format!("Order: {}.", r.order_name()),
                (true, None) => "Ordering…".to_owned(),
                (false, _) => format!(
                    "Past {} sentences the matrix is shown as block means, in group order.",
                    crate::render::count(MAX_APP_MATRIX)
                ),
            });
            self.blocks.ui(ui, ctx.state, r, clustered, out);
            return;
        };
        let n = sim.n;
        let clustered = ctx.state.view.order == Order::Clustered;
        if clustered && r.cluster_order.is_none() {
            ui.weak("Clustering…");
        } else if clustered && r.table.len() > MAX_CLUSTER {
            ui.weak(format!("Order: {}.", r.order_name()));
        }
        let identity: Vec<usize>;
        let order: &[usize] = match (&r.cluster_order, clustered) {
            (Some(o), true) if o.len() == n => o,
            _ => {
                identity = (0..n).collect();
                &identity
            }
        };
        let permute = order.iter().enumerate().any(|(k, &i)| k != i);
        let (lo, hi) = range_of(r, ctx.state.view.range);
        let cmap = ctx.state.view.colormap;
        let key = TextureKey { job: r.job, lo, hi, cmap, permuted: permute };
        if self.permute(r, sim, order, permute) {
            self.texture.invalidate();
        }
        let shown = shown(self.permuted.as_ref(), r, sim, order, clustered && r.cluster_order.is_some());
        let Some(texture) = self.texture.update(ui.ctx(), r, shown.sim, key) else { return };
        let texture_id = texture.id();
        if let Some(note) = self.texture.take_note() {
            out.push(Command::Notify(crate::app::notice::Notification::error(note)));
        }
        let multi_group = r.table.group_names.len() > 1 && !shown.clustered;
        let frame = Frame::layout(ui, self.zoom.zoom, n, multi_group);
        ui.allocate_rect(frame.extent(), Sense::hover());
        let resp = ui.interact(frame.plot, ui.make_persistent_id("heatmap"), Sense::click_and_drag());
        self.zoom.update(ui, &resp, frame.plot, n);
        let g = Geometry::new(frame, self.zoom, n);

        let painter = ui.painter_at(frame.extent());
        painter.image(texture_id, g.plot(), g.uv, Color32::WHITE);
        if ctx.state.view.show_values {
            labels::values(&painter, &g, &shown, cmap, lo, hi);
        }
        let starts = labels::group_starts(&shown);
        labels::group_lines(&painter, &g, &starts);
        let text_color = ui.visuals().text_color();
        let names = &r.table.group_names;
        if frame.labels {
            // With several groups, a strip at the far left and top names them.
            let strip = if multi_group { 18.0 } else { 0.0 };
            labels::sentence_labels(&painter, &g, &shown, strip, text_color);
            if multi_group {
                labels::group_strips(&painter, &g, names, &starts, strip, ui.visuals().strong_text_color());
            }
        } else if multi_group {
            labels::group_names(&painter, &g, names, &starts, text_color);
        }
        pointer_ui(ui, &Scene { painter: &painter, g: &g, shown: &shown, r }, ctx, resp, out);
        highlight(&painter, &g, &shown, &ctx.hits());
        labels::colour_bar(ui, &painter, &g, cmap, lo, hi, self.zoom.zoom);
    }

    /// Keeps the permuted matrix in step with the result; `true` when it was made anew.
    fn permute(&mut self, r: &Computed, sim: &SimMatrix, order: &[usize], permute: bool) -> bool {
        let n = sim.n;
        if !permute {
            self.permuted = None;
            return false;
        }
        if self.permuted.as_ref().is_some_and(|p| p.job == r.job && p.texts.len() == n) {
            return false;
        }
        let mut data = Vec::with_capacity(n * n);
        for &i in order {
            let row = sim.row(i);
            data.extend(order.iter().map(|&j| row[j]));
        }
        self.permuted = Some(Permuted {
            job: r.job,
            sim: SimMatrix { n, data },
            texts: order.iter().map(|&i| r.table.texts[i].clone()).collect(),
            groups: order.iter().map(|&i| r.table.groups[i]).collect(),
        });
        true
    }
}

/// The matrix in display order: the permuted one, or the result's own.
fn shown<'a>(
    permuted: Option<&'a Permuted>,
    r: &'a Computed,
    sim: &'a SimMatrix,
    order: &'a [usize],
    clustered: bool,
) -> Shown<'a> {
    let mut inverse = vec![0usize; sim.n];
    for (k, &i) in order.iter().enumerate() {
        inverse[i] = k;
    }
    let (sim, texts, groups) = match permuted {
        Some(p) => (&p.sim, p.texts.as_slice(), p.groups.as_slice()),
        None => (sim, r.table.texts.as_slice(), r.table.groups.as_slice()),
    };
    Shown { sim, texts, groups, order, inverse, clustered }
}

/// What the pointer and overlay drawing work on.
struct Scene<'a> {
    painter: &'a egui::Painter,
    g: &'a Geometry,
    shown: &'a Shown<'a>,
    r: &'a Computed,
}

/// The selection's frame, the hovered cell with its tooltip, a click to select, and the
/// full text of a truncated label.
fn pointer_ui(ui: &egui::Ui, scene: &Scene<'_>, ctx: &ViewCtx<'_>, resp: egui::Response, out: &mut Vec<Command>) {
    let Scene { painter, g, shown, r } = *scene;
    let n = g.n;
    let selected = ctx.selected.cell.filter(|s| s.row < n && s.col < n);
    if let Some(s) = selected {
        let rect = g.cell_rect(shown.inverse[s.row], shown.inverse[s.col]).intersect(g.plot());
        if rect.is_positive() {
            let stroke = Stroke::new(2.5, Color32::from_rgb(255, 80, 80));
            painter.rect_stroke(rect.expand(1.0), 0.0, stroke, egui::StrokeKind::Outside);
        }
    }
    let hovered = resp.hover_pos().and_then(|p| g.cell_at(p));
    if let Some((i, j)) = hovered {
        let rect = g.cell_rect(i, j).intersect(g.plot());
        painter.rect_stroke(rect, 0.0, Stroke::new(1.5, Color32::WHITE), egui::StrokeKind::Inside);
        if resp.clicked() {
            out.push(Command::Select(shown.order[i], shown.order[j]));
        }
        resp.on_hover_ui_at_pointer(|ui| {
            ui.set_max_width(420.0);
            ui.label(egui::RichText::new(format!("{:.3}", shown.sim.get(i, j))).strong().size(18.0));
            for (k, idx) in [i, j].into_iter().enumerate() {
                let side = if k == 0 { "row" } else { "column" };
                let group = &r.table.group_names[shown.groups[idx]];
                ui.label(egui::RichText::new(format!("{side} {} · {group}", idx + 1)).weak());
                ui.label(&shown.texts[idx]);
            }
        });
    } else if let Some(p) = ui.ctx().pointer_hover_pos()
        && g.frame.labels
        && let Some(i) = g.label_at(p)
    {
        pointer_tooltip(ui, "axis-label", |ui| {
            ui.label(egui::RichText::new(&r.table.group_names[shown.groups[i]]).weak());
            ui.label(&shown.texts[i]);
        });
    }
}

/// Search hits: a marker at the row's left edge and a band across it.
fn highlight(painter: &egui::Painter, g: &Geometry, shown: &Shown<'_>, hits: &[usize]) {
    let plot = g.plot();
    let mark = Color32::from_rgb(255, 140, 0);
    for &h in hits.iter().filter(|&&h| h < g.n) {
        let k = shown.inverse[h];
        let (y0, y1) = (g.y(k), g.y(k + 1));
        if y1 >= plot.top() && y0 <= plot.bottom() {
            let y = ((y0 + y1) / 2.0).clamp(plot.top(), plot.bottom());
            painter.add(Shape::convex_polygon(
                vec![pos2(plot.left() - 1.0, y), pos2(plot.left() - 9.0, y - 5.0), pos2(plot.left() - 9.0, y + 5.0)],
                mark,
                Stroke::NONE,
            ));
            let band = Rect::from_x_y_ranges(plot.x_range(), y0.max(plot.top())..=y1.min(plot.bottom()));
            painter.rect_stroke(band, 0.0, Stroke::new(1.0, mark), egui::StrokeKind::Inside);
        }
    }
}
