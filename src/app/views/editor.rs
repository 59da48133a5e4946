//! The side panel where groups and sentences are typed. Every change is a command; the
//! text fields edit copies of the sentences, which the reducer writes back.
//!
//! Sentences are selected by their handle (click; Ctrl-click adds, Shift-click extends),
//! dragged by it onto another group, or moved and deleted from its menu (right-click).

use std::collections::{BTreeSet, HashMap};

use super::ctx::ViewCtx;
use crate::app::command::Command;
use crate::app::edit::SentenceRef;
use crate::app::result::Computed;
use crate::io::Group;

/// Groups longer than this show their sentences in a virtual scroll area.
const VIRTUAL_ROWS: usize = 200;

/// Width of a sentence's drag handle.
const HANDLE_W: f32 = 14.0;

/// What is being dragged: the sentences a handle carries.
#[derive(Debug, Clone)]
struct DragRows(Vec<SentenceRef>);

/// The editor's runtime state: pasted text not yet added, and the selected sentences.
#[derive(Default)]
pub struct EditorView {
    paste: HashMap<usize, String>,
    selected: BTreeSet<SentenceRef>,
    /// Where a Shift-click extends the selection from.
    anchor: Option<SentenceRef>,
    /// The sentences' version the selection was made on.
    version: u64,
    /// Misfit notes, made once per result and group names (thousands of them would cost
    /// milliseconds a frame to format).
    misfits: Option<MisfitNotes>,
}

/// Misfit notes for one result and one list of group names.
struct MisfitNotes {
    job: crate::app::result::JobId,
    names: Vec<String>,
    notes: std::sync::Arc<HashMap<(usize, String), Misfit>>,
}

/// Why a sentence is flagged, and the group it is closer to.
struct Misfit {
    /// Mean similarity to its own group.
    own: f32,
    /// Mean similarity to the closer group.
    closer_mean: f32,
    closer: usize,
}

/// Misfits of the last result, keyed by (group index, sentence) so they stay attached to
/// their sentences while the set is being edited; none while the groups differ from the
/// result's (a group moved or renamed since), so a click never moves to the wrong group.
fn misfit_notes(result: Option<&Computed>, groups: &[Group]) -> HashMap<(usize, String), Misfit> {
    let Some(r) = result else { return HashMap::new() };
    let shown = |g: &Group, n: &str| if g.name.is_empty() { n == crate::io::sentences::UNGROUPED } else { g.name == n };
    let same_groups =
        groups.len() == r.table.group_names.len() && groups.iter().zip(&r.table.group_names).all(|(g, n)| shown(g, n));
    if !same_groups {
        return HashMap::new();
    }
    r.misfits
        .iter()
        .map(|m| {
            let key = (r.table.groups[m.index], r.table.texts[m.index].clone());
            (key, Misfit { own: m.own, closer_mean: m.closer, closer: m.closer_group })
        })
        .collect()
}

/// What one sentence row needs to know.
struct RowCtx<'a> {
    group: usize,
    names: &'a [String],
    misfits: &'a HashMap<(usize, String), Misfit>,
}

impl EditorView {
    /// Draws the editor.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
        let groups = &ctx.state.set.groups;
        // Indices into sentences that changed since could name other sentences: let go.
        if self.version != ctx.set_version {
            self.version = ctx.set_version;
            self.selected.clear();
            self.anchor = None;
        }
        let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
        let job = ctx.result.map_or(crate::app::result::JobId(0), |r| r.job);
        if self.misfits.as_ref().is_none_or(|m| m.job != job || m.names != names) {
            let notes = misfit_notes(ctx.result.map(|r| r.as_ref()), groups);
            self.misfits = Some(MisfitNotes { job, names: names.clone(), notes: std::sync::Arc::new(notes) });
        }
        let misfits = self.misfits.as_ref().map(|m| std::sync::Arc::clone(&m.notes)).unwrap_or_default();
        ui.horizontal(|ui| {
            ui.heading("Sentences");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("➕ Group").on_hover_text("Add a group").clicked() {
                    out.push(Command::AddGroup);
                }
            });
        });
        self.selection_bar(ui, &names, out);
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            for (g, group) in groups.iter().enumerate() {
                ui.push_id(("group", g), |ui| {
                    let frame = egui::Frame::group(ui.style());
                    let (_, dropped) = ui.dnd_drop_zone::<DragRows, _>(frame, |ui| {
                        header_row(ui, g, group, groups.len(), out);
                        let row = RowCtx { group: g, names: &names, misfits: &misfits };
                        self.sentences_ui(ui, &row, group, out);
                        self.new_rows_ui(ui, ctx, g, out);
                    });
                    if let Some(rows) = dropped {
                        out.push(Command::MoveSentences { from: rows.0.clone(), to: g });
                        self.selected.clear();
                    }
                });
                ui.add_space(4.0);
            }
            if groups.is_empty() {
                ui.label("No groups yet.");
            }
        });
    }

    /// With sentences selected: how many, and what to do with them.
    fn selection_bar(&mut self, ui: &mut egui::Ui, names: &[String], out: &mut Vec<Command>) {
        if self.selected.is_empty() {
            return;
        }
        ui.horizontal(|ui| {
            ui.label(format!("{} selected", self.selected.len()));
            let rows: Vec<SentenceRef> = self.selected.iter().copied().collect();
            ui.menu_button("Move to ⏵", |ui| {
                for (g, name) in names.iter().enumerate() {
                    if ui.button(name).clicked() {
                        out.push(Command::MoveSentences { from: rows.clone(), to: g });
                        self.selected.clear();
                    }
                }
            });
            if ui.button("🗑 Delete").clicked() {
                out.push(Command::DeleteSentences(rows.clone()));
                self.selected.clear();
            }
            if ui.small_button("✖").on_hover_text("Clear the selection").clicked() {
                self.selected.clear();
            }
        });
    }

    /// The "New:" field and the "Paste many lines" box of group `g`.
    fn new_rows_ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, g: usize, out: &mut Vec<Command>) {
        // The draft lives in the saved state, so a crash does not lose it.
        let mut draft = ctx.state.drafts.get(g).cloned().unwrap_or_default();
        ui.horizontal(|ui| {
            let label = ui.weak("New:");
            let resp = ui
                .add(
                    egui::TextEdit::singleline(&mut draft)
                        .desired_width(ui.available_width())
                        .hint_text("Type a sentence, press Enter"),
                )
                .labelled_by(label.id);
            if resp.changed() {
                out.push(Command::SetDraft { group: g, text: draft.clone() });
            }
            if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !draft.trim().is_empty() {
                out.push(Command::AddSentence(g, draft.clone()));
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

    /// The sentences of a group; past [`VIRTUAL_ROWS`] only the visible ones are laid out.
    fn sentences_ui(&mut self, ui: &mut egui::Ui, row: &RowCtx<'_>, group: &Group, out: &mut Vec<Command>) {
        if group.sentences.len() <= VIRTUAL_ROWS {
            for (i, sentence) in group.sentences.iter().enumerate() {
                self.sentence_row(ui, row, i, sentence, group, out);
            }
            return;
        }
        // Only the visible rows are laid out, so a pasted 100,000 lines stay fluid.
        ui.weak(format!("{} sentences", group.sentences.len()));
        let height = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical().id_salt(("rows", row.group)).max_height(400.0).show_rows(
            ui,
            height,
            group.sentences.len(),
            |ui, range| {
                for i in range {
                    self.sentence_row(ui, row, i, &group.sentences[i], group, out);
                }
            },
        );
    }

    fn sentence_row(
        &mut self,
        ui: &mut egui::Ui,
        row: &RowCtx<'_>,
        i: usize,
        sentence: &str,
        group: &Group,
        out: &mut Vec<Command>,
    ) {
        // Rows scrolled out of view only take their space: laying out thousands of text
        // fields every frame costs milliseconds.
        let h = ui.spacing().interact_size.y;
        let size = egui::vec2(ui.available_width(), h);
        if !ui.is_rect_visible(egui::Rect::from_min_size(ui.cursor().min, size)) {
            ui.allocate_space(size);
            return;
        }
        let me = SentenceRef { group: row.group, index: i };
        let selected = self.selected.contains(&me);
        if selected {
            let rect = egui::Rect::from_min_size(ui.cursor().min, size);
            ui.painter().rect_filled(rect, 3.0, ui.visuals().selection.bg_fill.gamma_multiply(0.5));
        }
        lay_row(ui, h, |ui| {
            if ui.small_button("✖").on_hover_text("Delete this sentence").clicked() {
                out.push(Command::DeleteSentence(row.group, i));
            }
            if let Some(m) = row.misfits.get(&(row.group, sentence.trim().to_owned())) {
                let warn = egui::Button::new(egui::RichText::new("⚠").color(ui.visuals().warn_fg_color)).small();
                let closer = match row.names.get(m.closer).map_or("", String::as_str) {
                    "" => crate::io::sentences::UNGROUPED,
                    name => name,
                };
                let why = format!(
                    "Closer to “{closer}” ({:.3}) than to its own group ({:.3}): mean similarity, centroid rule.\nClick to move it to “{closer}”.",
                    m.closer_mean, m.own
                );
                if ui.add(warn).on_hover_text(why).clicked() {
                    out.push(Command::MoveSentences { from: vec![me], to: m.closer });
                }
            }
            let mut text = sentence.to_owned();
            // Exactly what is left once the handle has its place: a wider field would grow
            // the panel every frame.
            let rest = ui.available_width() - HANDLE_W - ui.spacing().item_spacing.x;
            let edit = ui.add(egui::TextEdit::singleline(&mut text).desired_width(rest));
            if edit.changed() {
                out.push(Command::EditSentence { group: row.group, index: i, text });
            }
            if edit.lost_focus() {
                out.push(Command::EndTyping);
            }
            self.handle_ui(ui, row, me, group, out);
        });
    }

    /// The drag handle: click selects, drag moves, right-click offers "Move to ⏵".
    fn handle_ui(
        &mut self,
        ui: &mut egui::Ui,
        row: &RowCtx<'_>,
        me: SentenceRef,
        group: &Group,
        out: &mut Vec<Command>,
    ) {
        let h = ui.spacing().interact_size.y;
        let handle = ui
            .add_sized(egui::vec2(HANDLE_W, h), egui::Label::new("☰").sense(egui::Sense::click_and_drag()))
            .on_hover_text(
                "Drag onto another group to move; click to select (Ctrl, Shift: more); right-click for a menu",
            )
            .on_hover_cursor(egui::CursorIcon::Grab);
        let carried = if self.selected.contains(&me) { self.selected.iter().copied().collect() } else { vec![me] };
        handle.dnd_set_drag_payload(DragRows(carried.clone()));
        if handle.clicked() {
            let mods = ui.input(|i| i.modifiers);
            self.click(me, mods, group.sentences.len());
        }
        handle.context_menu(|ui| {
            ui.menu_button("Move to ⏵", |ui| {
                for (g, name) in row.names.iter().enumerate().filter(|(g, _)| *g != row.group) {
                    if ui.button(name).clicked() {
                        out.push(Command::MoveSentences { from: carried.clone(), to: g });
                        self.selected.clear();
                    }
                }
            });
            let label =
                if carried.len() > 1 { format!("Delete {} sentences", carried.len()) } else { "Delete".to_owned() };
            if ui.button(label).clicked() {
                out.push(Command::DeleteSentences(carried.clone()));
                self.selected.clear();
            }
        });
    }

    /// A click on a handle: alone it selects that sentence (or clears it), Ctrl toggles
    /// it, Shift extends from the last click within the group.
    fn click(&mut self, me: SentenceRef, mods: egui::Modifiers, group_len: usize) {
        match self.anchor {
            Some(a) if mods.shift && a.group == me.group => {
                let (lo, hi) = (a.index.min(me.index), a.index.max(me.index).min(group_len.saturating_sub(1)));
                self.selected.extend((lo..=hi).map(|index| SentenceRef { group: me.group, index }));
            }
            _ if mods.command => {
                if !self.selected.remove(&me) {
                    self.selected.insert(me);
                }
            }
            _ => {
                let only_me = self.selected.len() == 1 && self.selected.contains(&me);
                self.selected.clear();
                if !only_me {
                    self.selected.insert(me);
                }
            }
        }
        self.anchor = Some(me);
    }
}

/// The group's name field with its delete and move buttons.
fn header_row(ui: &mut egui::Ui, g: usize, group: &Group, n_groups: usize, out: &mut Vec<Command>) {
    // Buttons first, right to left, so the text fields take exactly what is left: a
    // field wider than the panel would grow the panel every frame.
    lay_row(ui, 30.0, |ui| {
        let hint = format!("Delete group “{}” ({} sentences; Ctrl+Z undoes)", group.name, group.sentences.len());
        if ui.small_button("🗑").on_hover_text(hint).clicked() {
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
        let resp = ui.add(field).on_hover_text("Group name");
        if resp.changed() {
            out.push(Command::RenameGroup { group: g, name });
        }
        if resp.lost_focus() {
            out.push(Command::EndTyping);
        }
    });
}

/// A row laid out right to left at a fixed height, filling the width.
fn lay_row(ui: &mut egui::Ui, height: f32, add: impl FnOnce(&mut egui::Ui)) {
    let size = egui::vec2(ui.available_width(), height);
    ui.allocate_ui_with_layout(size, egui::Layout::right_to_left(egui::Align::Center), add);
}
