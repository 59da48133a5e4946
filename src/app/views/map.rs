//! The 2-D map: PCA of the vectors, coloured by group, linked with the selection.

use egui::Color32;
use egui_plot::{Legend, Plot, PlotPoints, Points};

use super::ViewCtx;
use crate::app::Command;
use crate::app::paint::group_color;
use crate::app::result::Computed;
use crate::engine::project::Projection;

/// Above this many points the map is drawn as one mesh.
const MESH_POINTS: usize = 3_000;

/// The 2-D map (no state of its own yet).
#[derive(Default)]
pub struct MapView;

impl MapView {
    /// Draws the map of `r`.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, r: &Computed, out: &mut Vec<Command>) {
        let Some(map) = &r.map else {
            ui.weak("Projecting… (the map appears when the vectors are ready)");
            return;
        };
        ui.label(format!(
            "PCA of the {} vectors: axis 1 explains {:.1}% of the variance, axis 2 {:.1}%. Hover a point to read it; click to select it.",
            map.points.len(),
            map.explained[0] * 100.0,
            map.explained[1] * 100.0
        ));
        // Past a few thousand points, one mesh of small squares replaces per-point circles:
        // tessellating 20,000 circles every frame would take most of the frame budget.
        let as_mesh = map.points.len() > MESH_POINTS;
        if as_mesh {
            // The mesh is painted over the plot, so the legend goes above it instead.
            ui.horizontal_wrapped(|ui| {
                for (g, name) in r.table.group_names.iter().enumerate() {
                    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 2.0, group_color(g));
                    ui.label(name);
                }
            });
        }
        let mut marked = ctx.hits();
        marked.extend(ctx.selection.iter().flat_map(|s| [s.row, s.col]));
        let response = plot_ui(ui, r, map, as_mesh, &marked);
        let transform = response.transform;
        if as_mesh {
            mesh_ui(ui, r, map, &transform);
        }
        hover_ui(r, map, &transform, response.response, out);
    }
}

/// The plot: a series per group (or invisible extents when a mesh draws the points), and
/// rings around the marked points.
fn plot_ui(
    ui: &mut egui::Ui,
    r: &Computed,
    map: &Projection,
    as_mesh: bool,
    marked: &[usize],
) -> egui_plot::PlotResponse<Option<egui_plot::PlotPoint>> {
    let radius = if map.points.len() > 500 { 2.5 } else { 5.0 };
    let mut plot = Plot::new("pca-map");
    if !as_mesh {
        plot = plot.legend(Legend::default());
    }
    plot.data_aspect(1.0)
        .x_axis_label(format!("PC1 ({:.1}%)", map.explained[0] * 100.0))
        .y_axis_label(format!("PC2 ({:.1}%)", map.explained[1] * 100.0))
        .show(ui, |plot| {
            for (g, name) in r.table.group_names.iter().enumerate() {
                let pts: Vec<[f64; 2]> = map
                    .points
                    .iter()
                    .zip(&r.table.groups)
                    .filter(|(_, gg)| **gg == g)
                    .map(|(p, _)| [f64::from(p[0]), f64::from(p[1])])
                    .collect();
                if pts.is_empty() {
                    continue;
                }
                if as_mesh {
                    // An invisible series spanning the group's extent sets the plot bounds;
                    // the mesh draws the points.
                    let fold = |f: fn(f64, f64) -> f64, k: usize, init: f64| pts.iter().map(|p| p[k]).fold(init, f);
                    let corners = vec![
                        [fold(f64::min, 0, f64::INFINITY), fold(f64::min, 1, f64::INFINITY)],
                        [fold(f64::max, 0, f64::NEG_INFINITY), fold(f64::max, 1, f64::NEG_INFINITY)],
                    ];
                    plot.points(Points::new(name.clone(), PlotPoints::from(corners)).radius(0.0));
                } else {
                    plot.points(Points::new(name.clone(), PlotPoints::from(pts)).radius(radius).color(group_color(g)));
                }
            }
            let marked: Vec<[f64; 2]> =
                marked.iter().filter_map(|&i| map.points.get(i)).map(|p| [f64::from(p[0]), f64::from(p[1])]).collect();
            if !marked.is_empty() {
                plot.points(
                    Points::new("selected / found", PlotPoints::from(marked))
                        .radius(radius + 4.0)
                        .filled(false)
                        .color(Color32::from_rgb(255, 80, 80)),
                );
            }
            plot.pointer_coordinate()
        })
}

/// Every point as a small square of one mesh.
fn mesh_ui(ui: &mut egui::Ui, r: &Computed, map: &Projection, transform: &egui_plot::PlotTransform) {
    let mut mesh = egui::Mesh::default();
    let half = egui::Vec2::splat(1.5);
    for (p, &g) in map.points.iter().zip(&r.table.groups) {
        let s = transform.position_from_point(&egui_plot::PlotPoint::new(f64::from(p[0]), f64::from(p[1])));
        if transform.frame().contains(s) {
            mesh.add_colored_rect(egui::Rect::from_center_size(s, half * 2.0), group_color(g));
        }
    }
    ui.painter().with_clip_rect(*transform.frame()).add(egui::Shape::mesh(mesh));
}

/// The nearest point to the pointer, in screen distance: its sentence, and a click selects it.
fn hover_ui(
    r: &Computed,
    map: &Projection,
    transform: &egui_plot::PlotTransform,
    response: egui::Response,
    out: &mut Vec<Command>,
) {
    let Some(pointer) = response.hover_pos() else { return };
    let nearest = map
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let s = transform.position_from_point(&egui_plot::PlotPoint::new(f64::from(p[0]), f64::from(p[1])));
            (i, s.distance(pointer))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((i, d)) = nearest
        && d < 12.0
    {
        if response.clicked() {
            out.push(Command::Select(i, i));
        }
        response.on_hover_ui_at_pointer(|ui| {
            ui.set_max_width(420.0);
            ui.weak(r.table.group_of(i));
            ui.label(&r.table.texts[i]);
        });
    }
}
