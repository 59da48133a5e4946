//! What is asked about the shown result: the selection with its tokens, the search, and
//! the explanations. Each follows a new result and asks the worker only for what it
//! does not know.

use super::explanations::Explanations;
use super::result::Computed;
use super::search::Search;
use super::selection::{GroupSelection, Selected, Selection};
use super::worker::{Link, Request};

/// The selection, the search and the explanations.
#[derive(Debug, Default)]
pub struct Asks {
    /// The selected cells and the selected row's tokens.
    pub selected: Selected,
    /// The search.
    pub search: Search,
    /// The selected pair's and groups' explanations.
    pub explanations: Explanations,
}

impl Asks {
    /// Another model reads other tokens and explains otherwise: those answers go.
    pub fn forget_answers(&mut self) {
        self.selected.tokens = None;
        self.explanations.pair.forget();
        self.explanations.groups.forget();
    }

    /// Searches `r` for `text`; an empty text clears the search.
    pub fn search_for(&mut self, text: &str, r: Option<&Computed>, link: &Link) {
        self.search.search_for(text, r, |q| link.send(Request::Query(q)));
    }

    /// A new or patched result: the search, the tokens and the explanations follow it.
    pub fn result_arrived(&mut self, r: Option<&Computed>, link: &Link) {
        self.search.rank(r, |q| link.send(Request::Query(q)));
        self.request_tokens(r, link);
        self.explanations.ask_pair(self.selected.cell, r, |p| link.send(Request::Explain(p)));
        // The group explanation is asked again for the new sentences, or dropped when
        // its groups are gone.
        let groups = r.map_or(0, |r| r.table.group_names.len());
        match (self.selected.groups, self.selected.groups_within(groups)) {
            (Some(_), Some(sel)) => self.select_groups(sel, r, link),
            (Some(_), None) => self.explanations.groups.forget(),
            (None, _) => {}
        }
    }

    /// Selects a cell and asks for its row's tokens and the pair's explanation.
    pub fn select(&mut self, selection: Option<Selection>, r: Option<&Computed>, link: &Link) {
        self.selected.cell = selection;
        self.request_tokens(r, link);
        self.explanations.ask_pair(self.selected.cell, r, |p| link.send(Request::Explain(p)));
    }

    /// Selects a cell of the group matrix and asks for its explanation.
    pub fn select_groups(&mut self, selection: GroupSelection, r: Option<&Computed>, link: &Link) {
        self.selected.groups = Some(selection);
        let Some(r) = r else { return };
        self.explanations.ask_groups(selection, r, |g| link.send(Request::ExplainGroups(g)));
    }

    fn request_tokens(&mut self, r: Option<&Computed>, link: &Link) {
        if let Some(text) = self.selected.tokens_wanted(r) {
            link.send(Request::Tokens(text));
        }
    }
}
