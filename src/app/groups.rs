//! The group × group view: mean similarities and how distinct each group is.

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::worker::Computed;
use crate::engine::separation;
pub use crate::render::truncate;
use crate::render::unit;
use crate::session::ViewSettings;

/// Draws the group matrix and the separation table.
pub fn groups_ui(ui: &mut egui::Ui, r: &Computed, view: &ViewSettings) {
    let g = r.group_names.len();
    if g == 0 {
        ui.label("No groups.");
        return;
    }
    let (lo, hi) = super::heatmap::range_of(r, view.range);
    let sep = separation(&r.group_matrix, g);
    egui::ScrollArea::both().auto_shrink([false, false]).show(ui, |ui| {
        ui.label("Mean cosine similarity between the sentences of two groups (self-pairs left out).");
        let label_w = 170.0;
        let cell = ((ui.available_width() - label_w - 20.0) / g as f32).clamp(28.0, 90.0);
        let top = 24.0;
        let size = vec2(label_w + cell * g as f32, top + cell * g as f32);
        let (rect, resp) = ui.allocate_exact_size(size, Sense::hover());
        let p = ui.painter_at(rect);
        let font = FontId::proportional(13.0);
        let origin = rect.min + vec2(label_w, top);
        let mut hovered = None;
        for a in 0..g {
            let name = truncate(&r.group_names[a], 22);
            p.text(
                pos2(rect.min.x + label_w - 6.0, origin.y + (a as f32 + 0.5) * cell),
                Align2::RIGHT_CENTER,
                &name,
                font.clone(),
                ui.visuals().text_color(),
            );
            p.text(
                pos2(origin.x + (a as f32 + 0.5) * cell, rect.min.y + top / 2.0),
                Align2::CENTER_CENTER,
                truncate(&r.group_names[a], (cell / 8.0) as usize),
                font.clone(),
                ui.visuals().text_color(),
            );
            for b in 0..g {
                let cr = Rect::from_min_size(origin + vec2(b as f32 * cell, a as f32 * cell), Vec2::splat(cell));
                let v = r.group_matrix[a * g + b];
                let fill = match v {
                    Some(v) => {
                        let c = view.colormap.rgb(unit(v, lo, hi));
                        Color32::from_rgb(c[0], c[1], c[2])
                    }
                    None => ui.visuals().faint_bg_color,
                };
                p.rect_filled(cr, 0.0, fill);
                let text = v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".to_owned());
                p.text(cr.center(), Align2::CENTER_CENTER, text, font.clone(), contrast(fill));
                if resp.hover_pos().is_some_and(|pos| cr.contains(pos)) {
                    hovered = Some((a, b, v));
                    p.rect_stroke(cr, 0.0, Stroke::new(2.0, Color32::WHITE), egui::StrokeKind::Inside);
                }
            }
        }
        if let Some((a, b, v)) = hovered {
            resp.on_hover_ui_at_pointer(|ui| {
                ui.label(format!("{} × {}", r.group_names[a], r.group_names[b]));
                ui.strong(v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "no pairs (one sentence)".to_owned()));
            });
        }
        ui.add_space(12.0);
        ui.strong("Are the groups distinct?");
        ui.label(
            "Separation = mean within the group − highest mean to another group. Above 0: the group stands apart.",
        );
        egui::Grid::new("separation").striped(true).num_columns(5).show(ui, |ui| {
            for h in ["group", "sentences", "within", "closest other group", "separation"] {
                ui.strong(h);
            }
            ui.end_row();
            for (a, sep_a) in sep.iter().enumerate() {
                let n = r.groups.iter().filter(|&&x| x == a).count();
                let within = r.group_matrix[a * g + a];
                let nearest = (0..g)
                    .filter(|&b| b != a)
                    .filter_map(|b| r.group_matrix[a * g + b].map(|v| (b, v)))
                    .max_by(|x, y| x.1.total_cmp(&y.1));
                ui.label(&r.group_names[a]);
                ui.label(n.to_string());
                ui.label(within.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into()));
                ui.label(nearest.map(|(b, v)| format!("{} ({v:.3})", r.group_names[b])).unwrap_or_else(|| "–".into()));
                match *sep_a {
                    Some(s) => {
                        let color = if s > 0.0 { Color32::from_rgb(60, 170, 90) } else { ui.visuals().error_fg_color };
                        ui.colored_label(color, format!("{s:+.3}"));
                    }
                    None => {
                        ui.label("–");
                    }
                }
                ui.end_row();
            }
        });
        ui.add_space(12.0);
        ui.strong("Sentences in the wrong group?");
        ui.label(
            "Flagged when a sentence's mean similarity to another group exceeds that to the rest of its own group.",
        );
        if r.misfits.is_empty() {
            ui.label("None: every sentence is closest, on average, to its own group.");
        }
        egui::Grid::new("misfits").striped(true).num_columns(4).show(ui, |ui| {
            if !r.misfits.is_empty() {
                for h in ["sentence", "group", "own group", "closer group"] {
                    ui.strong(h);
                }
                ui.end_row();
            }
            for m in &r.misfits {
                ui.label(truncate(&r.texts[m.index], 60)).on_hover_text(&r.texts[m.index]);
                ui.label(&r.group_names[r.groups[m.index]]);
                ui.label(format!("{:.3}", m.own));
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("{} ({:.3})", r.group_names[m.closer_group], m.closer),
                );
                ui.end_row();
            }
        });
    });
}

/// Black or white, whichever reads better on `fill`.
pub fn contrast(fill: Color32) -> Color32 {
    let l = 0.299 * f32::from(fill.r()) + 0.587 * f32::from(fill.g()) + 0.114 * f32::from(fill.b());
    if l > 140.0 { Color32::BLACK } else { Color32::WHITE }
}
