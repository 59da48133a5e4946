//! The details panel: the selected pair, the sentence's tokens and its nearest neighbours.

use super::Command;
use super::worker::Computed;
use crate::engine::{TokenInfo, top_k};

/// Draws the details of the selected cell.
pub fn details_ui(
    ui: &mut egui::Ui,
    result: Option<&Computed>,
    selection: Option<(usize, usize)>,
    tokens: Option<&(String, Result<TokenInfo, String>)>,
    commands: &mut Vec<Command>,
) {
    ui.heading("Details");
    ui.separator();
    let (Some(r), Some((i, j))) = (result, selection) else {
        ui.label("Click a cell of the heatmap to see the pair, the tokens the model read, and the nearest sentences.");
        return;
    };
    if i >= r.texts.len() || j >= r.texts.len() {
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.label(
                egui::RichText::new(format!("{:.3}", r.sim.get(i, j)))
                    .size(28.0)
                    .strong(),
            )
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
            for (n, score) in top_k(r.sim.row(i), 5, Some(i)) {
                ui.horizontal(|ui| {
                    ui.monospace(format!("{score:.3}"));
                    let text = if r.texts[n].chars().count() > 60 {
                        format!("{}…", r.texts[n].chars().take(59).collect::<String>())
                    } else {
                        r.texts[n].clone()
                    };
                    if ui.link(text).on_hover_text(&r.texts[n]).clicked() {
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
    ui.label(format!(
        "{} tokens{}",
        t.ids.len(),
        if t.truncated { " (truncated)" } else { "" }
    ));
    egui::ScrollArea::horizontal()
        .id_salt("tokens")
        .show(ui, |ui| {
            egui::Grid::new("token_grid").striped(true).show(ui, |ui| {
                for (name, row) in [
                    ("token", t.tokens.clone()),
                    ("id", t.ids.iter().map(i64::to_string).collect()),
                    (
                        "mask",
                        t.attention_mask.iter().map(i64::to_string).collect(),
                    ),
                    ("segment", t.type_ids.iter().map(i64::to_string).collect()),
                ] {
                    ui.label(egui::RichText::new(name).weak());
                    for v in row {
                        ui.monospace(v);
                    }
                    ui.end_row();
                }
            });
        });
}
