//! The views: each a struct with its own runtime state and a `ui` method that reads a
//! [`ViewCtx`] and emits [`Command`]s; none writes the app's state.

pub mod compare;
pub mod ctx;
pub mod details;
pub mod duplicates;
pub mod editor;
pub mod explain;
pub mod groups;
pub mod heatmap;
pub mod map;
pub mod pairs;

pub use ctx::{ViewCtx, edit_view};

use super::command::{Command, ResultChange};
use super::options::ModelStatus;
use crate::session::{Order, Tab};

/// Every view's runtime state.
#[derive(Default)]
pub struct Views {
    /// The sentence editor.
    pub editor: editor::EditorView,
    /// The sentence × sentence heatmap.
    pub heatmap: heatmap::HeatmapView,
    /// The group × group view.
    pub groups: groups::GroupsView,
    /// The details panel.
    pub details: details::DetailsView,
    /// The paraphrase pairs.
    pub pairs: pairs::PairsView,
    /// The 2-D map.
    pub map: map::MapView,
    /// The comparison of two configurations.
    pub compare: compare::CompareView,
    /// The near-duplicate clusters.
    pub duplicates: duplicates::DuplicatesView,
    /// The neighbour graph and what it tells, shared by the map and the duplicates.
    pub neighbours: super::neighbours::Neighbours,
    /// The search box's text.
    search_box: String,
}

impl Views {
    /// Keeps derived state (textures) in step with the result.
    pub fn result_changed(&mut self, change: &ResultChange) {
        match change {
            ResultChange::Replaced => self.heatmap.invalidate(),
            ResultChange::Patched { job, changed } => self.heatmap.patched(*job, changed),
        }
    }

    /// The central area: tabs, the search box, and the chosen view. Returns whether a
    /// heatmap with cells was drawn.
    pub fn central_ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) -> bool {
        edit_view(ctx, out, |view| {
            // Wrapped: six tabs are wider than the central panel of a laptop's window.
            ui.horizontal_wrapped(|ui| {
                ui.selectable_value(&mut view.tab, Tab::Heatmap, "Sentences × sentences");
                ui.selectable_value(&mut view.tab, Tab::Groups, "Groups × groups");
                ui.selectable_value(&mut view.tab, Tab::Pairs, "Paraphrase pairs");
                ui.selectable_value(&mut view.tab, Tab::Map, "2-D map");
                ui.selectable_value(&mut view.tab, Tab::Duplicates, "Duplicates");
                ui.selectable_value(&mut view.tab, Tab::Compare, "Compare");
            });
        });
        ui.horizontal(|ui| {
            let search = ui.add(
                egui::TextEdit::singleline(&mut self.search_box)
                    .hint_text("🔍 Search: type a sentence, press Enter")
                    .desired_width(280.0),
            );
            if search.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                out.push(Command::Search(self.search_box.clone()));
            }
            if ctx.search.hits.is_some() && ui.small_button("✖").on_hover_text("Clear the search").clicked() {
                self.search_box.clear();
                out.push(Command::Search(String::new()));
            }
            if ctx.state.view.tab == Tab::Heatmap {
                ui.separator();
                ui.label("Order:");
                edit_view(ctx, out, |view| {
                    ui.selectable_value(&mut view.order, Order::Groups, "groups");
                    ui.selectable_value(&mut view.order, Order::Clustered, "clustered")
                        .on_hover_text("Average-linkage clustering on cosine distance: similar sentences side by side");
                });
            }
        });
        ui.separator();
        let Some(result) = ctx.result else {
            ui.centered_and_justified(|ui| {
                if matches!(ctx.model, ModelStatus::Failed(_)) {
                    ui.label("No heatmap without a model.");
                } else {
                    // Static text: the status line shows progress.
                    ui.weak("Embedding the sentences…");
                }
            });
            return false;
        };
        match ctx.state.view.tab {
            Tab::Heatmap => {
                self.heatmap.ui(ui, ctx, result, out);
                return result.matrix_len() > 0;
            }
            Tab::Groups => self.groups.ui(ui, ctx, result, out),
            Tab::Pairs => self.pairs.ui(ui, ctx, result, out),
            Tab::Map => self.map.ui(ui, ctx, result, &mut self.neighbours, out),
            Tab::Duplicates => self.duplicates.ui(ui, ctx, result, &mut self.neighbours, out),
            Tab::Compare => self.compare.ui(ui, ctx, result, out),
        }
        false
    }
}
