//! What a view may read this frame, and the one way it changes the view settings.

use std::sync::Arc;

use crate::app::command::Command;
use crate::app::edit::History;
use crate::app::explanations::Explanations;
use crate::app::options::{AppOptions, ModelStatus};
use crate::app::refs::SentenceRef;
use crate::app::result::Computed;
use crate::app::search::Search;
use crate::app::selection::Selected;
use crate::engine::Pooling;
use crate::session::{State, ViewSettings};

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
    /// The selected cells and the selected row's tokens, as far as they arrived.
    pub selected: &'a Selected,
    /// The search and its results.
    pub search: &'a Search,
    /// The selected pair's and groups' explanations, as far as they arrived.
    pub explanations: &'a Explanations,
    /// The undo history, for the Edit menu.
    pub history: &'a History,
    /// Changes whenever the sentences change (edits, undo, files).
    pub set_version: u64,
    /// Models in the Hugging Face cache.
    pub hub_models: &'a [crate::engine::hub::CachedModel],
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

/// The editor's references of table rows `rows`, or `None` when the sentences changed
/// since the result (the rows would point at other sentences).
pub fn sentence_refs(ctx: &ViewCtx<'_>, r: &Computed, rows: &[usize]) -> Option<Vec<SentenceRef>> {
    let mut table_refs = Vec::with_capacity(r.table.len());
    for (g, group) in ctx.state.set.groups.iter().enumerate() {
        for (i, s) in group.sentences.iter().enumerate() {
            if !s.trim().is_empty() {
                table_refs.push(SentenceRef { group: g, index: i });
            }
        }
    }
    if table_refs.len() != r.table.len() {
        return None;
    }
    rows.iter()
        .map(|&k| {
            let sr = *table_refs.get(k)?;
            (ctx.state.set.groups[sr.group].sentences[sr.index].trim() == r.table.texts[k]).then_some(sr)
        })
        .collect()
}
