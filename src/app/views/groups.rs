//! The group × group view: mean similarities and how distinct each group is.

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::ctx::ViewCtx;
use crate::app::command::Command;
use crate::app::paint::{color_of, contrast, range_of, truncate};
use crate::app::result::Computed;
use crate::engine::separation;
use crate::session::ViewSettings;

/// The group × group view (no state of its own yet).
#[derive(Default)]
pub struct GroupsView;

impl GroupsView {
    /// Draws the group matrix, the separation table and the misfits. A click on a cell
    /// selects it; the details panel explains it.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, r: &Computed, out: &mut Vec<Command>) {
        let selected = ctx.selected.groups.map(|s| (s.g, s.h));
        if let Some((a, b)) = groups_ui(ui, r, &ctx.state.view, selected) {
            out.push(Command::SelectGroups(a, b));
        }
    }
}

/// Returns the clicked cell, if any.
fn groups_ui(
    ui: &mut egui::Ui,
    r: &Computed,
    view: &ViewSettings,
    selected: Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    let g = r.table.group_names.len();
    if g == 0 {
        ui.label("No groups.");
        return None;
    }
    let (lo, hi) = range_of(r, view.range);
    let sep = separation(&r.group_matrix, g);
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let clicked = matrix_ui(ui, r, view, lo, hi, selected);
            ui.add_space(12.0);
            separation_ui(ui, r, &sep);
            ui.add_space(12.0);
            misfits_ui(ui, r);
            clicked
        })
        .inner
}

/// The group × group matrix with a tooltip per cell.
fn matrix_ui(
    ui: &mut egui::Ui,
    r: &Computed,
    view: &ViewSettings,
    lo: f32,
    hi: f32,
    selected: Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    let g = r.table.group_names.len();
    ui.label("Mean cosine similarity between the sentences of two groups (self-pairs left out).");
    let label_w = 170.0;
    let cell = ((ui.available_width() - label_w - 20.0) / g as f32).clamp(28.0, 90.0);
    let top = 24.0;
    let size = vec2(label_w + cell * g as f32, top + cell * g as f32);
    let (rect, resp) = ui.allocate_exact_size(size, Sense::click());
    let p = ui.painter_at(rect);
    let font = FontId::proportional(13.0);
    let origin = rect.min + vec2(label_w, top);
    let mut hovered = None;
    for a in 0..g {
        let name = truncate(&r.table.group_names[a], 22);
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
            truncate(&r.table.group_names[a], (cell / 8.0) as usize),
            font.clone(),
            ui.visuals().text_color(),
        );
        for b in 0..g {
            let cr = Rect::from_min_size(origin + vec2(b as f32 * cell, a as f32 * cell), Vec2::splat(cell));
            let v = r.group_matrix[a * g + b];
            let fill = match v {
                Some(v) => color_of(view.colormap, v, lo, hi),
                None => ui.visuals().faint_bg_color,
            };
            p.rect_filled(cr, 0.0, fill);
            let text = v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".to_owned());
            p.text(cr.center(), Align2::CENTER_CENTER, text, font.clone(), contrast(fill));
            if resp.hover_pos().is_some_and(|pos| cr.contains(pos)) {
                hovered = Some((a, b, v));
                p.rect_stroke(cr, 0.0, Stroke::new(2.0, Color32::WHITE), egui::StrokeKind::Inside);
            }
            if selected == Some((a, b)) {
                let stroke = Stroke::new(2.5, Color32::from_rgb(255, 80, 80));
                p.rect_stroke(cr, 0.0, stroke, egui::StrokeKind::Inside);
            }
        }
    }
    let clicked = hovered.filter(|_| resp.clicked()).map(|(a, b, _)| (a, b));
    if let Some((a, b, v)) = hovered {
        resp.on_hover_ui_at_pointer(|ui| {
            ui.label(format!("{} × {}", r.table.group_names[a], r.table.group_names[b]));
            ui.strong(v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "no pairs (one sentence)".to_owned()));
            ui.weak("Click to see which words make it");
        });
    }
    clicked
}

/// How far each group stands apart from the others.
fn separation_ui(ui: &mut egui::Ui, r: &Computed, sep: &[Option<f32>]) {
    let g = r.table.group_names.len();
    ui.strong("Are the groups distinct?");
    ui.label("Separation = mean within the group − highest mean to another group. Above 0: the group stands apart.");
    egui::Grid::new("separation").striped(true).num_columns(5).show(ui, |ui| {
        for h in ["group", "sentences", "within", "closest other group", "separation"] {
            ui.strong(h);
        }
        ui.end_row();
        for (a, sep_a) in sep.iter().enumerate() {
            let n = r.table.groups.iter().filter(|&&x| x == a).count();
            let within = r.group_matrix[a * g + a];
            let nearest = (0..g)
                .filter(|&b| b != a)
                .filter_map(|b| r.group_matrix[a * g + b].map(|v| (b, v)))
                .max_by(|x, y| x.1.total_cmp(&y.1));
            ui.label(&r.table.group_names[a]);
            ui.label(n.to_string());
            ui.label(within.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into()));
            ui.label(
                nearest.map(|(b, v)| format!("{} ({v:.3})", r.table.group_names[b])).unwrap_or_else(|| "–".into()),
            );
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
}

/// Sentences closer, on average, to another group than to their own.
fn misfits_ui(ui: &mut egui::Ui, r: &Computed) {
    ui.strong("Sentences in the wrong group?");
    ui.label("Flagged when a sentence's mean similarity to another group exceeds that to the rest of its own group.");
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
            ui.label(truncate(&r.table.texts[m.index], 60)).on_hover_text(&r.table.texts[m.index]);
            ui.label(&r.table.group_names[r.table.groups[m.index]]);
            ui.label(format!("{:.3}", m.own));
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{} ({:.3})", r.table.group_names[m.closer_group], m.closer),
            );
            ui.end_row();
        }
    });
}
