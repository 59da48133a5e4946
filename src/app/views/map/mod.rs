//! The 2-D map: PCA or UMAP of the vectors, splatted into a texture so a million points
//! draw in a frame, with hover through a spatial grid, zoom and pan, a legend, and box
//! or lasso selection that can become a new group.

mod colours;
mod layout;
mod splat;

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, Sense, Stroke, pos2, vec2};

use crate::app::command::Command;
use crate::app::neighbours::Neighbours;
use crate::app::paint::group_color;
use crate::app::result::{Computed, JobId};
use crate::app::views::ctx::{ViewCtx, sentence_refs};
use crate::engine::grid::in_polygon;
use crate::session::{MapColour, MapMethod, UmapSettings, ViewSettings};
use colours::{Colours, legend, ramp_legend};
use layout::{Layout, LayoutKey, Method, Polled, Running};
use splat::{DataRect, Splat, SplatInput, SplatKey};

/// Hover reach around the pointer, in screen points.
const HOVER_REACH: f32 = 10.0;
/// Selected sentences listed under the map (the rest are counted).
const LIST_ROWS: usize = 200_000;

/// What a drag on the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Tool {
    /// Move the view.
    #[default]
    Pan,
    /// Select the points in a rectangle.
    Box,
    /// Select the points inside a free-hand outline.
    Lasso,
}

/// The part of the data on screen: its centre and data units per screen point (the same
/// on both axes, so distances read true).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Camera {
    centre: [f32; 2],
    scale: f32,
}

impl Camera {
    /// The whole of `bounds` in `canvas`, with a margin.
    fn fit(bounds: [[f32; 2]; 2], canvas: Rect) -> Self {
        let span = [(bounds[1][0] - bounds[0][0]).max(1e-6), (bounds[1][1] - bounds[0][1]).max(1e-6)];
        let scale = (span[0] / canvas.width().max(1.0)).max(span[1] / canvas.height().max(1.0)) * 1.08;
        Self { centre: [(bounds[0][0] + bounds[1][0]) / 2.0, (bounds[0][1] + bounds[1][1]) / 2.0], scale }
    }

    fn to_data(self, canvas: Rect, p: Pos2) -> [f32; 2] {
        let c = canvas.center();
        [self.centre[0] + (p.x - c.x) * self.scale, self.centre[1] - (p.y - c.y) * self.scale]
    }

    fn to_screen(self, canvas: Rect, d: [f32; 2]) -> Pos2 {
        let c = canvas.center();
        pos2(c.x + (d[0] - self.centre[0]) / self.scale, c.y - (d[1] - self.centre[1]) / self.scale)
    }

    fn view(self, canvas: Rect) -> DataRect {
        let a = self.to_data(canvas, canvas.left_bottom());
        let b = self.to_data(canvas, canvas.right_top());
        DataRect { min: a, max: b }
    }
}

/// Points chosen with the box or the lasso, and the outline that chose them.
struct Chosen {
    job: JobId,
    rows: Vec<usize>,
    outline: Vec<[f32; 2]>,
}

/// Runtime state of the map.
#[derive(Default)]
pub struct MapView {
    shown: Option<Layout>,
    running: Option<Running>,
    /// The PCA being indexed to stand in while a UMAP runs with nothing of its points on
    /// screen (the first UMAP of a session, or after the sentences changed in number).
    stand_in: Option<Running>,
    /// The result whose stand-in failed (said once, not tried again).
    stand_in_failed: Option<JobId>,
    /// The layout that failed, so it is not tried again every frame.
    failed: Option<LayoutKey>,
    framing: Framing,
    splat: Splat,
    tool: Tool,
    /// The outline being drawn, in data coordinates.
    drawing: Vec<[f32; 2]>,
    chosen: Option<Chosen>,
    /// Group of each sentence and the group colours, shared with the splat thread.
    colours: Option<Colours>,
}

/// Where the map looks, and whether that is the user's doing or the fit to the canvas.
#[derive(Default)]
struct Framing {
    camera: Option<Camera>,
    /// The canvas of the last frame: a new size fits the map again, until the user moves it.
    last_canvas: Option<Rect>,
    /// The user zoomed or panned since the map was last fitted.
    moved: bool,
}

impl Framing {
    /// Fits the whole map on the next frame.
    fn refit(&mut self) {
        self.camera = None;
        self.moved = false;
    }
}

impl MapView {
    /// Draws the map of `r`.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &ViewCtx<'_>,
        r: &Arc<Computed>,
        neighbours: &mut Neighbours,
        out: &mut Vec<Command>,
    ) {
        let settings = &ctx.state.view;
        let wanted = match settings.map_method {
            MapMethod::Pca => Method::Pca,
            MapMethod::Umap => Method::Umap(settings.umap.params()),
        };
        self.follow(ui.ctx(), r, LayoutKey { job: r.job, method: wanted }, neighbours, out);
        self.controls(ui, settings, r, out);
        let Some(layout) = self.shown.as_ref().filter(|l| l.points.len() == r.table.len()) else {
            if self.running.as_ref().is_none_or(|run| run.key.method == Method::Pca) {
                ui.weak("Projecting… (the map appears when the vectors are ready)");
            }
            return;
        };
        ui.weak(&layout.caption);
        let scores = self.scores_wanted(ui, ctx, r, neighbours);
        self.colours_of(r, scores);
        if let Some(c) = &self.colours {
            match &c.ramp {
                Some(ramp) => ramp_legend(ui, ramp),
                None => legend(ui, r, &c.counts),
            }
        }
        let list_height = if self.chosen.as_ref().is_some_and(|c| c.job == r.job) { 170.0 } else { 0.0 };
        let size = vec2(ui.available_width(), (ui.available_height() - list_height).max(120.0));
        let (canvas, resp) = ui.allocate_exact_size(size, Sense::click_and_drag());
        self.canvas_ui(ui, ctx, r, canvas, &resp, out);
        if list_height > 0.0 {
            self.chosen_ui(ui, ctx, r, out);
        }
    }

    /// Keeps the shown layout in step with the wanted one: PCA comes with the result,
    /// UMAP is started here. The old layout stays until the new one is ready.
    fn follow(
        &mut self,
        ctx: &egui::Context,
        r: &Arc<Computed>,
        want: LayoutKey,
        neighbours: &Neighbours,
        out: &mut Vec<Command>,
    ) {
        if self.shown.as_ref().is_some_and(|l| l.key == want) {
            self.running = None;
            self.stand_in = None;
            return;
        }
        self.stand_in(ctx, r, want, out);
        if let Some(running) = self.running.as_mut().filter(|run| run.key == want) {
            // A cancelled layout is dropped, never polled: its answer is not waited for.
            match running.poll() {
                Polled::Working => {}
                Polled::Done(Ok(layout)) => {
                    self.running = None;
                    self.show(layout);
                }
                Polled::Done(Err(e)) => {
                    self.running = None;
                    self.failed = Some(want);
                    out.push(Command::Notify(crate::app::notice::Notification::error(format!(
                        "The {} map could not be made: {e}",
                        if want.method.kind() == MapMethod::Umap { "UMAP" } else { "PCA" }
                    ))));
                }
            }
            return;
        }
        if self.failed == Some(want) {
            return;
        }
        self.running = Some(match want.method {
            // The worker sends the PCA with the result; it is indexed here.
            Method::Pca if r.map.is_none() => return,
            Method::Pca => Running::pca(ctx, r),
            Method::Umap(params) => {
                if let Err(e) = params.check(r.table.len()) {
                    self.failed = Some(want);
                    out.push(Command::Notify(crate::app::notice::Notification::error(e.to_string())));
                    return;
                }
                Running::umap(ctx, r, params, Arc::clone(&neighbours.cache))
            }
        });
    }

    /// While a UMAP runs and nothing of these points is on screen, shows the PCA that came
    /// with the result rather than an empty canvas.
    fn stand_in(&mut self, ctx: &egui::Context, r: &Arc<Computed>, want: LayoutKey, out: &mut Vec<Command>) {
        let needed = matches!(want.method, Method::Umap(_))
            && r.map.is_some()
            && self.shown.as_ref().is_none_or(|l| l.points.len() != r.table.len());
        if !needed {
            self.stand_in = None;
            return;
        }
        if let Some(run) = self.stand_in.as_mut().filter(|run| run.key.job == r.job) {
            match run.poll() {
                Polled::Working => {}
                Polled::Done(Ok(layout)) => {
                    self.stand_in = None;
                    self.show(layout);
                }
                Polled::Done(Err(e)) => {
                    self.stand_in = None;
                    self.stand_in_failed = Some(r.job);
                    out.push(Command::Notify(crate::app::notice::Notification::error(format!(
                        "The PCA map could not be made: {e}"
                    ))));
                }
            }
            return;
        }
        if self.stand_in_failed == Some(r.job) {
            return;
        }
        // A thread that cannot start fails at the next poll, as any failure of it.
        self.stand_in = Some(Running::pca(ctx, r));
    }

    fn show(&mut self, layout: Layout) {
        // A new method or a new set of points is framed anew; the same points laid out
        // again (an edit) keep the view.
        let reframe = self.shown.as_ref().is_none_or(|old| {
            old.key.method.kind() != layout.key.method.kind() || old.points.len() != layout.points.len()
        });
        if reframe {
            self.framing.refit();
        }
        self.splat.clear();
        self.shown = Some(layout);
    }

    /// Method switch, UMAP parameters, progress with Cancel, and the drag tool.
    fn controls(&mut self, ui: &mut egui::Ui, settings: &ViewSettings, r: &Computed, out: &mut Vec<Command>) {
        let mut v = settings.clone();
        ui.horizontal_wrapped(|ui| {
            ui.label("Layout:");
            ui.selectable_value(&mut v.map_method, MapMethod::Pca, "PCA")
                .on_hover_text("Principal components: instant, but topics often smear together.");
            ui.selectable_value(&mut v.map_method, MapMethod::Umap, "UMAP").on_hover_text(
                "UMAP on cosine distance: keeps neighbourhoods, so topics separate. Computed in the background.",
            );
            if v.map_method == MapMethod::Umap {
                ui.separator();
                ui.label("neighbours");
                ui.add(egui::DragValue::new(&mut v.umap.neighbors).range(2..=200));
                ui.label("min_dist");
                ui.add(egui::DragValue::new(&mut v.umap.min_dist).range(0.0..=1.0).speed(0.01).max_decimals(3));
                ui.label("seed");
                ui.add(egui::DragValue::new(&mut v.umap.seed));
            }
            ui.separator();
            ui.label("Colour:");
            ui.selectable_value(&mut v.map_colour, MapColour::Groups, "groups");
            ui.selectable_value(&mut v.map_colour, MapColour::NearDuplicate, "near-duplicate score")
                .on_hover_text("Each sentence's best similarity to another: bright points have a near-copy.");
            ui.selectable_value(&mut v.map_colour, MapColour::Outlier, "outlier score")
                .on_hover_text("1 − the mean similarity to the nearest neighbours: bright points sit alone.");
            ui.separator();
            ui.label("Drag to:");
            ui.selectable_value(&mut self.tool, Tool::Pan, "pan").on_hover_text("Drag moves the map; scroll zooms.");
            ui.selectable_value(&mut self.tool, Tool::Box, "select a box");
            ui.selectable_value(&mut self.tool, Tool::Lasso, "lasso");
            if ui.button("Fit").on_hover_text("Show every point").clicked() {
                self.framing.refit();
            }
        });
        let mut cancel = false;
        if let Some(running) = self.running.as_ref().filter(|run| run.key.method.kind() == MapMethod::Umap) {
            let progress = running.progress();
            ui.horizontal(|ui| {
                ui.add(egui::ProgressBar::new(progress.fraction()).desired_width(160.0).animate(true));
                // Before the label, whose width changes with every epoch: a button after it
                // would move under the pointer.
                if ui.button("Cancel").clicked() {
                    // Back to what is on screen; the thread stops at its next step or epoch.
                    cancel = true;
                }
                ui.label(format!(
                    "UMAP of {} points: step {} of {}, {}… {:.0} s",
                    crate::render::count(r.table.len()),
                    progress.stage.index() + 1,
                    crate::engine::umap::UmapStage::COUNT,
                    progress.label(),
                    running.started.elapsed().as_secs_f64()
                ));
            });
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
        }
        if cancel {
            // Back to what is on screen, parameters and all, so nothing restarts. A UMAP of
            // an earlier result would start again on this one: PCA then.
            match self.shown.as_ref().map(|l| l.key).filter(|k| k.job == r.job).map(|k| k.method) {
                Some(Method::Umap(p)) => {
                    v.map_method = MapMethod::Umap;
                    v.umap = UmapSettings::from(p);
                }
                _ => v.map_method = MapMethod::Pca,
            }
            self.running = None;
        }
        if v != *settings {
            if v.umap != settings.umap || v.map_method != settings.map_method {
                self.failed = None;
            }
            out.push(Command::SetView(Box::new(v)));
        }
    }

    fn canvas_ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &ViewCtx<'_>,
        r: &Computed,
        canvas: Rect,
        resp: &egui::Response,
        out: &mut Vec<Command>,
    ) {
        let Some(cam) = self.steer(ui, r, canvas, resp) else { return };
        let painter = ui.painter_at(canvas);
        painter.rect_filled(canvas, 2.0, ui.visuals().extreme_bg_color);
        let (groups, colours) = self.shared_colours();
        let Some(layout) = &self.shown else { return };

        // The points, splatted.
        let ppp = ui.ctx().pixels_per_point();
        let size =
            [(canvas.width() * ppp).round().max(1.0) as usize, (canvas.height() * ppp).round().max(1.0) as usize];
        let key = SplatKey {
            job: r.job,
            layout: Arc::as_ptr(&layout.points) as usize,
            view: cam.view(canvas),
            size,
            colours: Arc::as_ptr(&groups) as usize,
        };
        let input = SplatInput { points: Arc::clone(&layout.points), groups, colors: colours };
        if let Some((texture, covers)) = self.splat.update(ui.ctx(), key, &input) {
            // The texture may be of an older view: drawn where its data now is.
            let a = cam.to_screen(canvas, [covers.min[0], covers.max[1]]);
            let b = cam.to_screen(canvas, [covers.max[0], covers.min[1]]);
            let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
            painter.image(texture.id(), Rect::from_two_pos(a, b), uv, Color32::WHITE);
        }
        let stroke = Stroke::new(1.5, Color32::from_rgb(255, 140, 0));
        let outline_of = |pts: &[[f32; 2]], closed: bool| -> egui::Shape {
            let screen: Vec<Pos2> = if self.tool == Tool::Box || pts.len() == 2 {
                let (a, b) = (pts[0], pts[pts.len() - 1]);
                [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]]
                    .iter()
                    .map(|d| cam.to_screen(canvas, *d))
                    .collect()
            } else {
                pts.iter().map(|d| cam.to_screen(canvas, *d)).collect()
            };
            if closed { egui::Shape::closed_line(screen, stroke) } else { egui::Shape::line(screen, stroke) }
        };
        if self.drawing.len() >= 2 {
            painter.add(outline_of(&self.drawing, self.tool == Tool::Box));
        } else if let Some(c) = self.chosen.as_ref().filter(|c| c.job == r.job && c.outline.len() >= 2) {
            painter.add(outline_of(&c.outline, true));
        }
        // Search hits and the selected cell's sentences: rings.
        let mut marked = ctx.hits();
        marked.extend(ctx.selected.cell.iter().flat_map(|s| [s.row, s.col]));
        for &i in marked.iter().take(2_000) {
            if let Some(&p) = layout.points.get(i) {
                let s = cam.to_screen(canvas, p);
                if canvas.contains(s) {
                    painter.circle_stroke(s, 6.0, Stroke::new(2.0, Color32::from_rgb(255, 80, 80)));
                }
            }
        }
        // The hovered point, found through the grid.
        if self.drawing.is_empty()
            && let Some(p) = resp.hover_pos()
            && let Some(i) = layout.grid.nearest_within(&layout.points, cam.to_data(canvas, p), HOVER_REACH * cam.scale)
        {
            let s = cam.to_screen(canvas, layout.points[i]);
            painter.circle_stroke(s, 5.0, Stroke::new(1.5, ui.visuals().strong_text_color()));
            if resp.clicked() && self.tool == Tool::Pan {
                out.push(Command::Select(i, i));
            }
            resp.clone().on_hover_ui_at_pointer(|ui| {
                ui.set_max_width(420.0);
                ui.weak(format!("{} · sentence {}", r.table.group_of(i), i + 1));
                ui.label(&r.table.texts[i]);
                if let Some(ramp) = self.colours.as_ref().and_then(|c| c.ramp.as_ref())
                    && let Some(Some(v)) = ramp.values.get(i)
                {
                    ui.weak(format!("{} {v:.3}", ramp.name));
                }
            });
        }
    }

    /// The camera after this frame's zoom and pan, and the box or lasso drawn with the
    /// pointer; `None` without a layout.
    fn steer(&mut self, ui: &egui::Ui, r: &Computed, canvas: Rect, resp: &egui::Response) -> Option<Camera> {
        let layout = self.shown.as_ref()?;
        let framing = &mut self.framing;
        // Until the user zooms or pans, the map follows the canvas's size.
        let mut cam = match framing.camera {
            Some(c) if framing.moved || framing.last_canvas.is_some_and(|l| l.size() == canvas.size()) => c,
            _ => Camera::fit(layout.bounds, canvas),
        };
        let fitted = cam;
        framing.last_canvas = Some(canvas);
        // Zoom about the pointer, pan by dragging.
        if let Some(p) = resp.hover_pos() {
            let (zoom, scroll) = ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta));
            let factor = zoom * (scroll.y / 200.0).exp();
            if (factor - 1.0).abs() > 1e-4 {
                let before = cam.to_data(canvas, p);
                cam.scale = (cam.scale / factor).clamp(1e-7, 1e7);
                let after = cam.to_data(canvas, p);
                cam.centre = [cam.centre[0] + before[0] - after[0], cam.centre[1] + before[1] - after[1]];
            }
        }
        let pointer = resp.interact_pointer_pos().or(resp.hover_pos());
        match self.tool {
            Tool::Pan if resp.dragged() => {
                let d = resp.drag_delta();
                cam.centre = [cam.centre[0] - d.x * cam.scale, cam.centre[1] + d.y * cam.scale];
            }
            Tool::Box | Tool::Lasso => {
                if resp.drag_started()
                    && let Some(p) = pointer
                {
                    self.drawing = vec![cam.to_data(canvas, p)];
                } else if resp.dragged()
                    && let Some(p) = pointer
                {
                    let d = cam.to_data(canvas, p);
                    if self.tool == Tool::Box {
                        self.drawing.truncate(1);
                    }
                    self.drawing.push(d);
                }
                if resp.drag_stopped() && self.drawing.len() >= 2 {
                    let outline = std::mem::take(&mut self.drawing);
                    self.chosen = Some(choose(self.tool, r.job, layout, outline));
                }
            }
            Tool::Pan => {}
        }
        framing.moved |= cam != fitted;
        framing.camera = Some(cam);
        Some(cam)
    }
}

/// The points inside `outline` (a box: its two corners; a lasso: the path).
fn choose(tool: Tool, job: JobId, layout: &Layout, outline: Vec<[f32; 2]>) -> Chosen {
    {
        let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
        for p in &outline {
            for a in 0..2 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        let mut rows = layout.grid.in_box(&layout.points, lo, hi);
        let outline = if tool == Tool::Lasso && outline.len() >= 3 {
            rows.retain(|&i| in_polygon(&outline, layout.points[i]));
            outline
        } else {
            vec![lo, hi]
        };
        Chosen { job, rows, outline }
    }
}

impl MapView {
    /// The chosen sentences: how many, a list, and a button that makes them a group.
    fn chosen_ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, r: &Computed, out: &mut Vec<Command>) {
        let Some(chosen) = &self.chosen else { return };
        let mut clear = false;
        ui.horizontal(|ui| {
            ui.strong(format!("{} selected", crate::render::count(chosen.rows.len())));
            let refs = sentence_refs(ctx, r, &chosen.rows);
            let make = ui
                .add_enabled(refs.is_some() && !chosen.rows.is_empty(), egui::Button::new("New group from selection"));
            let make = if refs.is_none() {
                make.on_disabled_hover_text("The sentences changed since the map was made; wait for the new map.")
            } else {
                make.on_hover_text("Moves the selected sentences into a new group (undo puts them back).")
            };
            if make.clicked()
                && let Some(refs) = refs
            {
                let name = format!("Selection {}", ctx.state.set.groups.len() + 1);
                out.push(Command::NewGroupFrom { from: refs, name });
                clear = true;
            }
            if ui.button("Clear selection").clicked() {
                clear = true;
            }
        });
        let rows = &chosen.rows;
        let shown = rows.len().min(LIST_ROWS);
        egui::ScrollArea::vertical().id_salt("map-chosen").max_height(130.0).auto_shrink([false, true]).show_rows(
            ui,
            ui.text_style_height(&egui::TextStyle::Body),
            shown,
            |ui, range| {
                for &i in &rows[range] {
                    ui.horizontal(|ui| {
                        let (dot, _) = ui.allocate_exact_size(vec2(8.0, 8.0), Sense::hover());
                        ui.painter().circle_filled(dot.center(), 4.0, group_color(r.table.groups[i]));
                        ui.weak(r.table.group_of(i));
                        ui.label(crate::render::truncate(&r.table.texts[i], 140));
                    });
                }
            },
        );
        if clear {
            self.chosen = None;
        }
    }
}
