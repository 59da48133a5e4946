//! The side panel where groups and sentences are typed. Every change is a command; the
//! text fields edit copies of the sentences, which the reducer writes back.

use std::collections::HashMap;

use super::ViewCtx;
use crate::app::Command;
use crate::app::result::Computed;
use crate::io::Group;

/// Groups longer than this show their sentences in a virtual scroll area.
const VIRTUAL_ROWS: usize = 200;

/// Text typed but not yet added, per group.
#[derive(Default)]
pub struct EditorView {
    new_sentence: HashMap<usize, String>,
    paste: HashMap<usize, String>,
}

/// Misfits of the last result, keyed by (group name, sentence) so they stay attached to
/// their sentences while the set is being edited.
fn misfit_notes(result: Option<&Computed>) -> HashMap<(&str, &str), String> {
    let Some(r) = result else { return HashMap::new() };
    r.misfits
        .iter()
        .map(|m| {
            let key = (r.table.group_of(m.index), r.table.texts[m.index].as_str());
            let why = format!(
                "Closer to “{}” ({:.3}) than to its own group ({:.3}): mean similarity, centroid rule",
                r.table.group_names[m.closer_group], m.closer, m.own
            );
            (key, why)
        })
        .collect()
}

impl EditorView {
    /// Draws the editor.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
        let misfits = misfit_notes(ctx.result.map(|r| r.as_ref()));
        ui.horizontal(|ui| {
            ui.heading("Sentences");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("➕ Group").on_hover_text("Add a group").clicked() {
                    out.push(Command::AddGroup);
                }
            });
        });
        ui.separator();
        let groups = &ctx.state.set.groups;
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            for (g, group) in groups.iter().enumerate() {
                ui.push_id(("group", g), |ui| {
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        header_row(ui, g, group, groups.len(), out);
                        sentences_ui(ui, g, group, &misfits, out);
                        self.new_rows_ui(ui, g, out);
                    });
                });
                ui.add_space(4.0);
            }
            if groups.is_empty() {
                ui.label("No groups yet.");
            }
        });
    }

    /// The "New:" field and the "Paste many lines" box of group `g`.
    fn new_rows_ui(&mut self, ui: &mut egui::Ui, g: usize, out: &mut Vec<Command>) {
        let buf = self.new_sentence.entry(g).or_default();
        ui.horizontal(|ui| {
            let label = ui.weak("New:");
            let resp = ui
                .add(
                    egui::TextEdit::singleline(buf)
                        .desired_width(ui.available_width())
                        .hint_text("Type a sentence, press Enter"),
                )
                .labelled_by(label.id);
            if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !buf.trim().is_empty() {
                out.push(Command::AddSentence(g, std::mem::take(buf)));
                resp.request_focus();
            }
        });
        ui.collapsing("Paste many lines", |ui| {
            let paste = self.paste.entry(g).or_default();
            ui.add(
                egui::TextEdit::multiline(paste)
                    .desired_rows(4)
                    .desired_width(ui.available_width())
                    .hint_text("One sentence per line"),
            );
            if ui.add_enabled(!paste.trim().is_empty(), egui::Button::new("Add lines")).clicked() {
                out.push(Command::PasteLines(g, std::mem::take(paste)));
            }
        });
    }
}

/// The group's name field with its delete and move buttons.
fn header_row(ui: &mut egui::Ui, g: usize, group: &Group, n_groups: usize, out: &mut Vec<Command>) {
    // Buttons first, right to left, so the text fields take exactly what is left: a
    // field wider than the panel would grow the panel every frame.
    row(ui, 30.0, |ui| {
        if ui.small_button("🗑").on_hover_text(format!("Delete group “{}”", group.name)).clicked() {
            out.push(Command::DeleteGroup(g));
        }
        if ui.add_enabled(g + 1 < n_groups, egui::Button::new("⏷").small()).on_hover_text("Move down").clicked() {
            out.push(Command::MoveGroup(g, 1));
        }
        if ui.add_enabled(g > 0, egui::Button::new("⏶").small()).on_hover_text("Move up").clicked() {
            out.push(Command::MoveGroup(g, -1));
        }
        let mut name = group.name.clone();
        let field = egui::TextEdit::singleline(&mut name)
            .desired_width(ui.available_width())
            .font(egui::TextStyle::Heading)
            .hint_text("Group name");
        if ui.add(field).on_hover_text("Group name").changed() {
            out.push(Command::RenameGroup { group: g, name });
        }
    });
}

/// The sentences of group `g`; past [`VIRTUAL_ROWS`] only the visible ones are laid out.
fn sentences_ui(
    ui: &mut egui::Ui,
    g: usize,
    group: &Group,
    misfits: &HashMap<(&str, &str), String>,
    out: &mut Vec<Command>,
) {
    let mut sentence_row = |ui: &mut egui::Ui, i: usize, sentence: &str| {
        // Rows scrolled out of view only take their space: laying out thousands of text
        // fields every frame costs milliseconds.
        let h = ui.spacing().interact_size.y;
        let size = egui::vec2(ui.available_width(), h);
        if !ui.is_rect_visible(egui::Rect::from_min_size(ui.cursor().min, size)) {
            ui.allocate_space(size);
            return;
        }
        row(ui, h, |ui| {
            if ui.small_button("✖").on_hover_text("Delete this sentence").clicked() {
                out.push(Command::DeleteSentence(g, i));
            }
            if let Some(why) = misfits.get(&(group.name.as_str(), sentence.trim())) {
                ui.colored_label(ui.visuals().warn_fg_color, "⚠").on_hover_text(why);
            }
            let mut text = sentence.to_owned();
            if ui.add(egui::TextEdit::singleline(&mut text).desired_width(ui.available_width())).changed() {
                out.push(Command::EditSentence { group: g, index: i, text });
            }
        });
    };
    if group.sentences.len() <= VIRTUAL_ROWS {
        for (i, sentence) in group.sentences.iter().enumerate() {
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
                    sentence_row(ui, i, &group.sentences[i]);
                }
            },
        );
    }
}

/// A row laid out right to left at a fixed height, filling the width.
fn row(ui: &mut egui::Ui, height: f32, add: impl FnOnce(&mut egui::Ui)) {
    let size = egui::vec2(ui.available_width(), height);
    ui.allocate_ui_with_layout(size, egui::Layout::right_to_left(egui::Align::Center), add);
}
