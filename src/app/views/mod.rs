//! The views: each a struct with its own runtime state and a `ui` method that reads a
//! [`ViewCtx`] and emits [`Command`]s; none writes the app's state.

pub mod compare;
pub mod details;
pub mod editor;
pub mod explain;
pub mod groups;
pub mod heatmap;
pub mod map;
pub mod pairs;

use std::sync::Arc;

use super::command::ResultChange;
use super::jobs::{Search, TokensOf};
use super::result::Computed;
use super::{AppOptions, Command, ModelStatus, Selection};
use crate::engine::Pooling;
use crate::session::{Order, State, Tab, ViewSettings};

/// What every view may read this frame.
pub struct ViewCtx<'a> {
    /// The saved state.
    pub state: &'a State,
    /// How the app was set up.
    pub options: &'a AppOptions,
    /// The model's state.
    pub model: &'a ModelStatus,
    /// The pooling in effect.
    pub pooling: Pooling,
    /// The latest finished comparison.
    pub result: Option<&'a Arc<Computed>>,
    /// The selected cell.
    pub selection: Option<Selection>,
    /// The search and its results.
    pub search: &'a Search,
    /// Tokens of the selected row's sentence, as far as they arrived.
    pub tokens: Option<&'a TokensOf>,
    /// The undo history, for the Edit menu.
    pub history: &'a super::edit::History,
    /// Changes whenever the sentences change (edits, undo, files).
    pub set_version: u64,
    /// Models in the Hugging Face cache.
    pub hub_models: &'a [crate::engine::hub::CachedModel],
    /// The selected pair's explanation, as far as it arrived.
    pub explanation:
        Option<&'a super::jobs::Explained<super::worker::ExplainPair, crate::engine::explain::Explanation>>,
    /// The selected cell of the group matrix.
    pub group_selection: Option<super::jobs::GroupSelection>,
    /// Its explanation, as far as it arrived.
    pub group_explanation:
        Option<&'a super::jobs::Explained<super::worker::ExplainGroups, crate::engine::explain::GroupExplanation>>,
}

impl ViewCtx<'_> {
    /// Sentences found by the search, best first.
    pub fn hits(&self) -> Vec<usize> {
        self.search.hits.as_ref().map(|h| h.iter().map(|&(i, _)| i).collect()).unwrap_or_default()
    }
}

/// Lets `edit` change a copy of the view settings; a change becomes one command.
pub fn edit_view(ctx: &ViewCtx<'_>, out: &mut Vec<Command>, edit: impl FnOnce(&mut ViewSettings)) {
    let mut view = ctx.state.view.clone();
    edit(&mut view);
    if view != ctx.state.view {
        out.push(Command::SetView(Box::new(view)));
    }
}

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
            ui.horizontal(|ui| {
                ui.selectable_value(&mut view.tab, Tab::Heatmap, "Sentences × sentences");
                ui.selectable_value(&mut view.tab, Tab::Groups, "Groups × groups");
                ui.selectable_value(&mut view.tab, Tab::Pairs, "Paraphrase pairs");
                ui.selectable_value(&mut view.tab, Tab::Map, "2-D map");
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
            Tab::Map => self.map.ui(ui, ctx, result, out),
            Tab::Compare => self.compare.ui(ui, ctx, result, out),
        }
        false
    }
}
