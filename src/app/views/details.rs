//! The details panel: the selected pair, the sentence's tokens and its nearest neighbours.

use super::ctx::ViewCtx;
use crate::app::command::Command;
use crate::app::result::Computed;
use crate::app::selection::TokensOf;
use crate::engine::similarity::dot;
use crate::engine::{TokenInfo, top_k};
use crate::render::truncate;

/// The details panel; it remembers whether special tokens are hidden.
#[derive(Default)]
pub struct DetailsView {
    hide_special: bool,
}

impl DetailsView {
    /// Draws the search results and the details of the selected cell.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
        ui.heading("Details");
        ui.separator();
        let result = ctx.result.map(|r| r.as_ref());
        if ctx.state.view.tab == crate::session::Tab::Groups
            && let (Some(r), Some(sel)) = (result, ctx.selected.groups)
        {
            groups_explained(ui, ctx, r, sel);
            return;
        }
        if let (Some(r), Some(hits)) = (result, &ctx.search.hits) {
            ui.strong(format!("Most similar to “{}”", ctx.search.query));
            for &(i, score) in hits.iter().filter(|(i, _)| *i < r.table.len()) {
                score_link(ui, score, &r.table.texts[i], || out.push(Command::Select(i, i)));
            }
            ui.separator();
        }
        let (Some(r), Some(sel)) = (result, ctx.selected.cell) else {
            ui.label(
                "Click a cell of the heatmap to see the pair, the tokens the model read, and the nearest sentences.",
            );
            return;
        };
        let (i, j) = (sel.row, sel.col);
        if i >= r.table.len() || j >= r.table.len() {
            return;
        }
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            pair_ui(ui, r, i, j);
            ui.separator();
            match ctx
                .explanations
                .pair
                .last()
                .filter(|e| e.asked.a == r.table.texts[i] && e.asked.b == r.table.texts[j])
            {
                Some(e) => match &e.result {
                    Ok(x) => super::explain::pair_ui(ui, x, e.took, &mut self.hide_special),
                    Err(why) => {
                        ui.colored_label(ui.visuals().error_fg_color, format!("No explanation: {why}"));
                    }
                },
                None => crate::app::paint::waiting_ui(ui, "explaining…"),
            }
            ui.separator();
            ui.strong("Most similar to the row sentence");
            let row: Vec<f32> = r.embeddings.rows().map(|v| dot(r.embeddings.row(i), v)).collect();
            for (n, score) in top_k(&row, 5, Some(i)) {
                score_link(ui, score, &r.table.texts[n], || out.push(Command::Select(i, n)));
            }
            ui.separator();
            ui.strong("What the model reads");
            match &ctx.selected.tokens {
                Some(TokensOf { text, result: Ok(t) }) if *text == r.table.texts[i] => tokens_ui(ui, t),
                Some(TokensOf { text, result: Err(e) }) if *text == r.table.texts[i] => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                _ => {
                    ui.spinner();
                }
            }
        });
    }
}

/// The pair's score (from the vectors: past the heatmap's limit there is no matrix) and
/// both sentences.
fn pair_ui(ui: &mut egui::Ui, r: &Computed, i: usize, j: usize) {
    let score = dot(r.embeddings.row(i), r.embeddings.row(j));
    ui.label(egui::RichText::new(format!("{score:.3}")).size(28.0).strong())
        .on_hover_text("cosine similarity (dot product of normalised vectors)");
    for (k, idx) in [i, j].into_iter().enumerate() {
        let side = if k == 0 { "Row" } else { "Column" };
        ui.label(egui::RichText::new(format!("{side} · {}", r.table.group_of(idx))).weak());
        ui.label(&r.table.texts[idx]);
    }
}

/// The selected group cell and which tokens make it.
fn groups_explained(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, r: &Computed, sel: crate::app::selection::GroupSelection) {
    let names = &r.table.group_names;
    let (Some(a), Some(b)) = (names.get(sel.g), names.get(sel.h)) else { return };
    match ctx.explanations.groups.last().filter(|e| (e.asked.g, e.asked.h) == (sel.g, sel.h)) {
        Some(e) => match &e.result {
            Ok(x) => super::explain::group_ui(ui, x, (a, b)),
            Err(why) => {
                ui.colored_label(ui.visuals().error_fg_color, why);
            }
        },
        None => crate::app::paint::waiting_ui(ui, "explaining…"),
    }
}

/// A score and a sentence that selects something when clicked.
fn score_link(ui: &mut egui::Ui, score: f32, text: &str, on_click: impl FnOnce()) {
    ui.horizontal(|ui| {
        ui.monospace(format!("{score:.3}"));
        if ui.link(truncate(text, 60)).on_hover_text(text).clicked() {
            on_click();
        }
    });
}

fn tokens_ui(ui: &mut egui::Ui, t: &TokenInfo) {
    ui.label(format!("{} tokens{}", t.ids.len(), if t.truncated { " (truncated to the model's maximum)" } else { "" }));
    egui::Grid::new("token_grid").striped(true).num_columns(5).show(ui, |ui| {
        for h in ["#", "token", "id", "mask", "segment"] {
            ui.label(egui::RichText::new(h).weak());
        }
        ui.end_row();
        for (k, token) in t.tokens.iter().enumerate() {
            ui.monospace(k.to_string());
            ui.monospace(token);
            ui.monospace(t.ids[k].to_string());
            ui.monospace(t.attention_mask[k].to_string());
            ui.monospace(t.type_ids[k].to_string());
            ui.end_row();
        }
    });
}
