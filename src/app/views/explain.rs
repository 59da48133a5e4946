//! Why a score: the selected pair's token × token contributions, its tokens tinted by
//! their share, the top pairs; and for a cell of the group matrix, the tokens that make it.

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, pos2, vec2};

use crate::app::paint::{color_of, contrast, pointer_tooltip};
use crate::engine::explain::{Explanation, GroupExplanation, Method};
use crate::render::Colormap;

/// Largest token-heatmap cell, in points.
const MAX_CELL: f32 = 22.0;
/// Width of the row (sentence A) token labels.
const ROW_LABELS: f32 = 64.0;
/// Height of the column (sentence B) token labels.
const COL_LABELS: f32 = 56.0;

/// The share of `value` in `score`, as a percentage (0 when the score is 0).
fn share(value: f32, score: f32) -> f32 {
    if score.abs() > f32::EPSILON { value / score * 100.0 } else { 0.0 }
}

/// The pair's explanation. `hide_special` leaves special tokens out of the pictures
/// (they still count, and the panel says how much they carry).
pub fn pair_ui(ui: &mut egui::Ui, x: &Explanation, took: std::time::Duration, hide_special: &mut bool) {
    let why = match x.method {
        Method::Exact => format!("Why {:.3}: exact. The token-pair contributions add up to the score.", x.score),
        Method::Occlusion => format!(
            "Why {:.3}: an estimate by occlusion (score − score without the token). It does not add up to the score.",
            x.score
        ),
    };
    // The time varies from run to run: on hover, not in the picture.
    ui.label(why).on_hover_text(format!("explained in {:.0} ms", took.as_secs_f64() * 1000.0));
    ui.checkbox(hide_special, "Hide special tokens");
    if x.method == Method::Exact && *hide_special {
        let s = x.special_share();
        ui.weak(format!("Special tokens still count: they carry {s:+.3} ({:.0}% of the score).", share(s, x.score)));
    }
    tinted(ui, "A", &x.tokens_a, &x.special_a, &x.token_scores_a, x.score, *hide_special);
    tinted(ui, "B", &x.tokens_b, &x.special_b, &x.token_scores_b, x.score, *hide_special);
    if x.method == Method::Exact {
        ui.add_space(4.0);
        token_heatmap(ui, x, *hide_special);
        ui.add_space(4.0);
        ui.strong("Top token pairs");
        for p in x.top_pairs(5, *hide_special) {
            ui.monospace(format!(
                "{} ↔ {}: {:.0}% of {:.3}",
                x.tokens_a[p.i],
                x.tokens_b[p.j],
                share(p.value, x.score),
                x.score
            ))
            .on_hover_text(format!("{:+.4}", p.value));
        }
    }
}

/// A sentence as its tokens, each on a background tinted by its score, in one label;
/// hovering it lists every token's score.
fn tinted(ui: &mut egui::Ui, name: &str, tokens: &[String], special: &[bool], scores: &[f32], total: f32, hide: bool) {
    let span = scores.iter().fold(1e-6f32, |m, s| m.max(s.abs()));
    let font = egui::TextStyle::Body.resolve(ui.style());
    let mut job = egui::text::LayoutJob::default();
    job.wrap.max_width = ui.available_width();
    let plain = egui::TextFormat { font_id: font.clone(), color: ui.visuals().weak_text_color(), ..Default::default() };
    job.append(&format!("{name}: "), 0.0, plain.clone());
    let mut listed = Vec::new();
    for (k, t) in tokens.iter().enumerate() {
        if hide && special[k] {
            continue;
        }
        let fill = color_of(Colormap::Diverging, scores[k], -span, span);
        let format =
            egui::TextFormat { font_id: font.clone(), color: contrast(fill), background: fill, ..Default::default() };
        job.append(t, 2.0, format);
        listed.push(format!("{t} {:+.4} ({:.0}%)", scores[k], share(scores[k], total)));
    }
    ui.add(egui::Label::new(job)).on_hover_text(listed.join("\n"));
}

/// Cᵢⱼ as a grid on a diverging colour map centred at 0; hovering names both tokens.
fn token_heatmap(ui: &mut egui::Ui, x: &Explanation, hide: bool) {
    let Some(c) = &x.contributions else { return };
    let rows: Vec<usize> = (0..x.tokens_a.len()).filter(|&i| !(hide && x.special_a[i])).collect();
    let cols: Vec<usize> = (0..x.tokens_b.len()).filter(|&j| !(hide && x.special_b[j])).collect();
    if rows.is_empty() || cols.is_empty() {
        return;
    }
    let span = rows.iter().flat_map(|&i| cols.iter().map(move |&j| c[i][j].abs())).fold(1e-6f32, f32::max);
    let cell = ((ui.available_width() - ROW_LABELS) / cols.len() as f32).clamp(4.0, MAX_CELL);
    let size = vec2(ROW_LABELS + cell * cols.len() as f32, COL_LABELS + cell * rows.len() as f32);
    let (rect, resp) = ui.allocate_exact_size(size, Sense::hover());
    let p = ui.painter_at(rect);
    let origin = rect.min + vec2(ROW_LABELS, COL_LABELS);
    let font = FontId::proportional(10.0);
    let text_color = ui.visuals().text_color();
    for (r, &i) in rows.iter().enumerate() {
        let y = origin.y + (r as f32 + 0.5) * cell;
        let label = crate::render::truncate(&x.tokens_a[i], 9);
        p.text(pos2(origin.x - 3.0, y), Align2::RIGHT_CENTER, label, font.clone(), text_color);
        for (k, &j) in cols.iter().enumerate() {
            let cr = Rect::from_min_size(origin + vec2(k as f32 * cell, r as f32 * cell), vec2(cell, cell));
            p.rect_filled(cr, 0.0, color_of(Colormap::Diverging, c[i][j], -span, span));
        }
    }
    for (k, &j) in cols.iter().enumerate() {
        let x0 = origin.x + (k as f32 + 0.5) * cell;
        let galley = p.layout_no_wrap(crate::render::truncate(&x.tokens_b[j], 9), font.clone(), text_color);
        let h = galley.size().y;
        p.add(egui::Shape::Text(
            egui::epaint::TextShape::new(pos2(x0 - h / 2.0, origin.y - 3.0), galley, text_color)
                .with_angle(-std::f32::consts::FRAC_PI_2),
        ));
    }
    let Some(pos) = resp.hover_pos() else { return };
    let (r, k) = (((pos.y - origin.y) / cell).floor(), ((pos.x - origin.x) / cell).floor());
    if r < 0.0 || k < 0.0 || r as usize >= rows.len() || k as usize >= cols.len() {
        return;
    }
    let (i, j) = (rows[r as usize], cols[k as usize]);
    let cr = Rect::from_min_size(origin + vec2(k * cell, r * cell), vec2(cell, cell));
    p.rect_stroke(cr, 0.0, Stroke::new(1.5, Color32::WHITE), egui::StrokeKind::Inside);
    pointer_tooltip(ui, "token-pair", |ui| {
        ui.strong(format!("{} ↔ {}", x.tokens_a[i], x.tokens_b[j]));
        ui.label(format!("{:+.4}: {:.1}% of {:.3}", c[i][j], share(c[i][j], x.score), x.score));
    });
}

/// The tokens that make a group cell, largest first.
pub fn group_ui(ui: &mut egui::Ui, x: &GroupExplanation, names: (&str, &str)) {
    let what = if names.0 == names.1 {
        format!("What holds “{}” together", names.0)
    } else {
        format!("What ties “{}” to “{}” (from the tokens of “{}”)", names.0, names.1, names.0)
    };
    ui.strong(what);
    ui.label(format!(
        "Mean similarity {:.3}: exact, every token occurrence's contribution adds up to it. Special tokens carry {:+.3}.",
        x.score, x.special
    ));
    egui::Grid::new("group-tokens").striped(true).num_columns(3).show(ui, |ui| {
        for t in x.tokens.iter().filter(|t| !t.special).take(12) {
            ui.monospace(&t.token);
            ui.monospace(format!("{:.0}%", share(t.value, x.score)));
            ui.weak(format!("×{}", t.count));
            ui.end_row();
        }
    });
}
