//! The details panel: the selected pair, the sentence's tokens and its nearest neighbours.

use super::Command;
use super::worker::Computed;
use crate::engine::{TokenInfo, top_k};
use crate::render::truncate;

/// Draws the details of the selected cell.
pub fn details_ui(
    ui: &mut egui::Ui,
    result: Option<&Computed>,
    selection: Option<(usize, usize)>,
    tokens: Option<&(String, Result<TokenInfo, String>)>,
    search: Option<(&str, &[(usize, f32)])>,
    commands: &mut Vec<Command>,
) {
    ui.heading("Details");
    ui.separator();
    if let (Some(r), Some((query, hits))) = (result, search) {
        ui.strong(format!("Most similar to “{query}”"));
        for &(i, score) in hits {
            if i >= r.texts.len() {
                continue;
            }
            ui.horizontal(|ui| {
                ui.monospace(format!("{score:.3}"));
                if ui.link(truncate(&r.texts[i], 60)).on_hover_text(&r.texts[i]).clicked() {
                    commands.push(Command::Select(i, i));
                }
            });
        }
        ui.separator();
    }
    let (Some(r), Some((i, j))) = (result, selection) else {
        ui.label("Click a cell of the heatmap to see the pair, the tokens the model read, and the nearest sentences.");
        return;
    };
    if i >= r.texts.len() || j >= r.texts.len() {
        return;
    }
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        // From the vectors: past the heatmap's limit there is no matrix to read.
        let score = crate::engine::similarity::dot(r.embeddings.row(i), r.embeddings.row(j));
        ui.label(egui::RichText::new(format!("{score:.3}")).size(28.0).strong())
            .on_hover_text("cosine similarity (dot product of normalised vectors)");
        for (k, idx) in [i, j].into_iter().enumerate() {
            ui.label(
                egui::RichText::new(format!(
                    "{} · {}",
                    if k == 0 { "Row" } else { "Column" },
                    r.group_names[r.groups[idx]]
                ))
                .weak(),
            );
            ui.label(&r.texts[idx]);
        }
        ui.separator();
        ui.strong("Most similar to the row sentence");
        let row: Vec<f32> =
            r.embeddings.rows().map(|v| crate::engine::similarity::dot(r.embeddings.row(i), v)).collect();
        for (n, score) in top_k(&row, 5, Some(i)) {
            ui.horizontal(|ui| {
                ui.monospace(format!("{score:.3}"));
                if ui.link(truncate(&r.texts[n], 60)).on_hover_text(&r.texts[n]).clicked() {
                    commands.push(Command::Select(i, n));
                }
            });
        }
        ui.separator();
        ui.strong("What the model reads");
        match tokens {
            Some((text, Ok(t))) if *text == r.texts[i] => tokens_ui(ui, t),
            Some((text, Err(e))) if *text == r.texts[i] => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            _ => {
                ui.spinner();
            }
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
