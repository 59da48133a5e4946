//! The selection: a cell of the matrix, a cell of the group matrix, and the tokens of
//! the selected row's sentence.

use super::result::{Computed, SentenceTable};
use crate::engine::TokenInfo;

/// A selected cell of the matrix, in matrix order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// The row's sentence.
    pub row: usize,
    /// The column's sentence.
    pub col: usize,
}

/// A selected cell of the group matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSelection {
    /// The row group.
    pub g: usize,
    /// The column group.
    pub h: usize,
}

/// A sentence's tokens as the worker reported them.
#[derive(Debug, Clone)]
pub struct TokensOf {
    /// The sentence.
    pub text: String,
    /// Its tokens, or why not.
    pub result: Result<TokenInfo, String>,
}

/// What is selected, and the tokens of the selected row.
#[derive(Debug, Default)]
pub struct Selected {
    /// The selected cell, in matrix order.
    pub cell: Option<Selection>,
    /// The selected group cell.
    pub groups: Option<GroupSelection>,
    /// Tokens of the selected row's sentence.
    pub tokens: Option<TokensOf>,
}

impl Selected {
    /// Moves the selected cell to where its sentences are in `new`, by text; drops it when
    /// one of them is gone. `old` is the table the selection points into.
    pub fn follow(&mut self, old: Option<&SentenceTable>, new: &SentenceTable) {
        self.cell = (|| {
            let (sel, old) = (self.cell?, old?);
            let at = |i: usize| old.texts.get(i).and_then(|t| new.texts.iter().position(|n| n == t));
            Some(Selection { row: at(sel.row)?, col: at(sel.col)? })
        })();
    }

    /// The selected row's sentence when its tokens are not known yet.
    pub fn tokens_wanted(&self, r: Option<&Computed>) -> Option<String> {
        let row = self.cell?.row;
        let text = r?.table.texts.get(row)?;
        // Asked again only for another sentence: the answer, good or bad, is of this one.
        (self.tokens.as_ref().is_none_or(|t| t.text != *text)).then(|| text.clone())
    }

    /// The group cell, when both its groups are still among `groups`; else it is dropped.
    pub fn groups_within(&mut self, groups: usize) -> Option<GroupSelection> {
        self.groups = self.groups.filter(|s| s.g < groups && s.h < groups);
        self.groups
    }
}
