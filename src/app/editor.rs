//! The side panel where groups and sentences are typed.

use std::collections::HashMap;

use super::Command;
use super::worker::Computed;
use crate::io::SentenceSet;

/// Groups longer than this show their sentences in a virtual scroll area.
const VIRTUAL_ROWS: usize = 200;

/// Text typed but not yet added, per group.
#[derive(Default)]
pub struct EditorBuffers {
    new_sentence: HashMap<usize, String>,
    paste: HashMap<usize, String>,
}

/// Draws the editor. Text edits change `set` in place (and record [`Command::Edited`]);
/// structural changes are recorded as commands.
pub fn editor_ui(
    ui: &mut egui::Ui,
    set: &mut SentenceSet,
    buffers: &mut EditorBuffers,
    result: Option<&Computed>,
    commands: &mut Vec<Command>,
) {
    // Misfits of the last result, keyed by (group name, sentence) so they stay attached
    // to their sentences while the set is being edited.
    let misfits: HashMap<(&str, &str), String> = result
        .map(|r| {
            r.misfits
                .iter()
                .map(|m| {
                    let key = (r.group_names[r.groups[m.index]].as_str(), r.texts[m.index].as_str());
                    let why = format!(
                        "Closer to “{}” ({:.3}) than to its own group ({:.3}): mean similarity, centroid rule",
                        r.group_names[m.closer_group], m.closer, m.own
                    );
                    (key, why)
                })
                .collect()
        })
        .unwrap_or_default();
    ui.horizontal(|ui| {
        ui.heading("Sentences");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("➕ Group").on_hover_text("Add a group").clicked() {
                commands.push(Command::AddGroup);
            }
        });
    });
    ui.separator();
    let n_groups = set.groups.len();
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        for (g, group) in set.groups.iter_mut().enumerate() {
            ui.push_id(("group", g), |ui| {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    // Buttons first, right to left, so the text fields take exactly what is
                    // left: a field wider than the panel would grow the panel every frame.
                    row(ui, 30.0, |ui| {
                        if ui.small_button("🗑").on_hover_text(format!("Delete group “{}”", group.name)).clicked()
                        {
                            commands.push(Command::DeleteGroup(g));
                        }
                        if ui
                            .add_enabled(g + 1 < n_groups, egui::Button::new("⏷").small())
                            .on_hover_text("Move down")
                            .clicked()
                        {
                            commands.push(Command::MoveGroup(g, 1));
                        }
                        if ui.add_enabled(g > 0, egui::Button::new("⏶").small()).on_hover_text("Move up").clicked() {
                            commands.push(Command::MoveGroup(g, -1));
                        }
                        let name = egui::TextEdit::singleline(&mut group.name)
                            .desired_width(ui.available_width())
                            .font(egui::TextStyle::Heading)
                            .hint_text("Group name");
                        if ui.add(name).on_hover_text("Group name").changed() {
                            commands.push(Command::Edited);
                        }
                    });
                    let group_name = group.name.clone();
                    let mut sentence_row = |ui: &mut egui::Ui, i: usize, sentence: &mut String| {
                        // Rows scrolled out of view only take their space: laying
                        // out thousands of text fields every frame costs milliseconds.
                        let h = ui.spacing().interact_size.y;
                        let size = egui::vec2(ui.available_width(), h);
                        if !ui.is_rect_visible(egui::Rect::from_min_size(ui.cursor().min, size)) {
                            ui.allocate_space(size);
                            return;
                        }
                        row(ui, h, |ui| {
                            if ui.small_button("✖").on_hover_text("Delete this sentence").clicked() {
                                commands.push(Command::DeleteSentence(g, i));
                            }
                            if let Some(why) = misfits.get(&(group_name.as_str(), sentence.trim())) {
                                ui.colored_label(ui.visuals().warn_fg_color, "⚠").on_hover_text(why);
                            }
                            let edit = egui::TextEdit::singleline(sentence).desired_width(ui.available_width());
                            if ui.add(edit).changed() {
                                commands.push(Command::Edited);
                            }
                        });
                    };
                    if group.sentences.len() <= VIRTUAL_ROWS {
                        for (i, sentence) in group.sentences.iter_mut().enumerate() {
                            sentence_row(ui, i, sentence);
                        }
                    } else {
                        // Only the visible rows are laid out, so a pasted 100,000 lines stay fluid.
                        ui.weak(format!("{} sentences", group.sentences.len()));
                        let height = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
                        egui::ScrollArea::vertical().id_salt(("rows", g)).max_height(400.0).show_rows(
                            ui,
                            height,
                            group.sentences.len(),
                            |ui, range| {
                                for i in range {
                                    sentence_row(ui, i, &mut group.sentences[i]);
                                }
                            },
                        );
                    }
                    let buf = buffers.new_sentence.entry(g).or_default();
                    ui.horizontal(|ui| {
                        let label = ui.weak("New:");
                        let resp = ui
                            .add(
                                egui::TextEdit::singleline(buf)
                                    .desired_width(ui.available_width())
                                    .hint_text("Type a sentence, press Enter"),
                            )
                            .labelled_by(label.id);
                        if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !buf.trim().is_empty()
                        {
                            commands.push(Command::AddSentence(g, std::mem::take(buf)));
                            resp.request_focus();
                        }
                    });
                    ui.collapsing("Paste many lines", |ui| {
                        let paste = buffers.paste.entry(g).or_default();
                        ui.add(
                            egui::TextEdit::multiline(paste)
                                .desired_rows(4)
                                .desired_width(ui.available_width())
                                .hint_text("One sentence per line"),
                        );
                        if ui.add_enabled(!paste.trim().is_empty(), egui::Button::new("Add lines")).clicked() {
                            commands.push(Command::PasteLines(g, std::mem::take(paste)));
                        }
                    });
                });
            });
            ui.add_space(4.0);
        }
        if set.groups.is_empty() {
            ui.label("No groups yet.");
        }
    });
}

/// A row laid out right to left at a fixed height, filling the width.
fn row(ui: &mut egui::Ui, height: f32, add: impl FnOnce(&mut egui::Ui)) {
    let size = egui::vec2(ui.available_width(), height);
    ui.allocate_ui_with_layout(size, egui::Layout::right_to_left(egui::Align::Center), add);
}
