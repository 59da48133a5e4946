//! The 2-D map: PCA of the vectors, coloured by group, linked with the selection.

use egui::Color32;
use egui_plot::{Legend, Plot, PlotPoints, Points};

use super::Command;
use super::worker::Computed;

/// Above this many points the map is drawn as one mesh.
const MESH_POINTS: usize = 3_000;

/// Distinct colours for groups (Tableau 10).
pub const GROUP_COLORS: [Color32; 10] = [
    Color32::from_rgb(78, 121, 167),
    Color32::from_rgb(242, 142, 43),
    Color32::from_rgb(225, 87, 89),
    Color32::from_rgb(118, 183, 178),
    Color32::from_rgb(89, 161, 79),
    Color32::from_rgb(237, 201, 72),
    Color32::from_rgb(176, 122, 161),
    Color32::from_rgb(255, 157, 167),
    Color32::from_rgb(156, 117, 95),
    Color32::from_rgb(186, 176, 172),
];

/// Draws the map of `r`.
pub fn map_ui(
    ui: &mut egui::Ui,
    r: &Computed,
    selection: Option<(usize, usize)>,
    highlight: &[usize],
    commands: &mut Vec<Command>,
) {
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
    let radius = if map.points.len() > 500 { 2.5 } else { 5.0 };
    // Past a few thousand points, one mesh of small squares replaces per-point circles:
    // tessellating 20,000 circles every frame would take most of the frame budget.
    let as_mesh = map.points.len() > MESH_POINTS;
    if as_mesh {
        // The mesh is painted over the plot, so the legend goes above it instead.
        ui.horizontal_wrapped(|ui| {
            for (g, name) in r.group_names.iter().enumerate() {
                let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, GROUP_COLORS[g % GROUP_COLORS.len()]);
                ui.label(name);
            }
        });
    }
    let mut plot = Plot::new("pca-map");
    if !as_mesh {
        plot = plot.legend(Legend::default());
    }
    let response = plot
        .data_aspect(1.0)
        .x_axis_label(format!("PC1 ({:.1}%)", map.explained[0] * 100.0))
        .y_axis_label(format!("PC2 ({:.1}%)", map.explained[1] * 100.0))
        .show(ui, |plot| {
            for (g, name) in r.group_names.iter().enumerate() {
                let pts: Vec<[f64; 2]> = map
                    .points
                    .iter()
                    .zip(&r.groups)
                    .filter(|(_, gg)| **gg == g)
                    .map(|(p, _)| [f64::from(p[0]), f64::from(p[1])])
                    .collect();
                if as_mesh {
                    // An invisible series spanning the group's extent sets the plot bounds;
                    // the mesh draws the points.
                    let fold = |f: fn(f64, f64) -> f64, k: usize, init: f64| pts.iter().map(|p| p[k]).fold(init, f);
                    let corners = vec![
                        [fold(f64::min, 0, f64::INFINITY), fold(f64::min, 1, f64::INFINITY)],
                        [fold(f64::max, 0, f64::NEG_INFINITY), fold(f64::max, 1, f64::NEG_INFINITY)],
                    ];
                    if !pts.is_empty() {
                        plot.points(Points::new(name.clone(), PlotPoints::from(corners)).radius(0.0));
                    }
                } else if !pts.is_empty() {
                    plot.points(
                        Points::new(name.clone(), PlotPoints::from(pts))
                            .radius(radius)
                            .color(GROUP_COLORS[g % GROUP_COLORS.len()]),
                    );
                }
            }
            let marked: Vec<[f64; 2]> = highlight
                .iter()
                .chain(selection.iter().flat_map(|(i, j)| [i, j]))
                .filter_map(|&i| map.points.get(i))
                .map(|p| [f64::from(p[0]), f64::from(p[1])])
                .collect();
            if !marked.is_empty() {
                plot.points(
                    Points::new("selected / found", PlotPoints::from(marked))
                        .radius(radius + 4.0)
                        .filled(false)
                        .color(Color32::from_rgb(255, 80, 80)),
                );
            }
            plot.pointer_coordinate()
        });
    // The nearest point to the pointer, in screen distance.
    let transform = response.transform;
    if as_mesh {
        let mut mesh = egui::Mesh::default();
        let half = egui::Vec2::splat(1.5);
        for (p, &g) in map.points.iter().zip(&r.groups) {
            let s = transform.position_from_point(&egui_plot::PlotPoint::new(f64::from(p[0]), f64::from(p[1])));
            if transform.frame().contains(s) {
                mesh.add_colored_rect(
                    egui::Rect::from_center_size(s, half * 2.0),
                    GROUP_COLORS[g % GROUP_COLORS.len()],
                );
            }
        }
        ui.painter().with_clip_rect(*transform.frame()).add(egui::Shape::mesh(mesh));
    }
    if let Some(pointer) = response.response.hover_pos() {
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
            if response.response.clicked() {
                commands.push(Command::Select(i, i));
            }
            response.response.on_hover_ui_at_pointer(|ui| {
                ui.set_max_width(420.0);
                ui.weak(&r.group_names[r.groups[i]]);
                ui.label(&r.texts[i]);
            });
        }
    }
}
