//! The two explanation caches, the selected pair's and the selected groups', over one
//! "ask unless known" helper, [`Asked`].

use std::time::{Duration, Instant};

use super::result::Computed;
use super::selection::{GroupSelection, Selection};
use super::worker::{ExplainGroups, ExplainPair};
use crate::engine::Pooling;
use crate::engine::explain::{Explanation, GroupExplanation};

/// Most sentences a group may have for the app to explain it (the model runs on each).
const MAX_EXPLAINED_GROUP: usize = 2_000;

/// An answer as it arrived, for what it was asked.
#[derive(Debug, Clone)]
pub struct Explained<Q, A> {
    /// What was asked.
    pub asked: Q,
    /// The answer, or why not.
    pub result: Result<A, String>,
    /// From the request to the answer.
    pub took: Duration,
}

/// A question to the worker that is asked only when its answer is not known: the one in
/// flight, with when it was sent, and the last answer.
#[derive(Debug)]
pub struct Asked<Q, A> {
    in_flight: Option<(Q, Instant)>,
    last: Option<Explained<Q, A>>,
}

impl<Q, A> Default for Asked<Q, A> {
    fn default() -> Self {
        Self { in_flight: None, last: None }
    }
}

impl<Q: Clone + PartialEq, A> Asked<Q, A> {
    /// The last answer, whatever it answers.
    pub fn last(&self) -> Option<&Explained<Q, A>> {
        self.last.as_ref()
    }

    /// Sends `q` through `send` unless it is in flight or answered well; `true` when sent.
    /// A failed answer (no model for a moment) is asked again.
    pub fn ask(&mut self, q: Q, send: impl FnOnce(Q)) -> bool {
        if self.in_flight.as_ref().is_some_and(|(p, _)| *p == q) {
            return false;
        }
        if self.last.as_ref().is_some_and(|e| e.asked == q && e.result.is_ok()) {
            // An answer on its way for another question would replace this one: not wanted now.
            self.in_flight = None;
            return false;
        }
        self.in_flight = Some((q.clone(), Instant::now()));
        send(q);
        true
    }

    /// Keeps the answer to `q` if `q` is the question in flight (an older question's
    /// answer is dropped: the newer one is on its way). Returns how long it took.
    pub fn answer(&mut self, q: Q, result: Result<A, String>) -> Option<Duration> {
        let (_, at) = self.in_flight.take_if(|(p, _)| *p == q)?;
        let took = at.elapsed();
        self.last = Some(Explained { asked: q, result, took });
        Some(took)
    }

    /// The answer is known without asking (the question cannot be answered).
    pub fn known(&mut self, q: Q, why: String) {
        self.last = Some(Explained { asked: q, result: Err(why), took: Duration::ZERO });
    }

    /// Forgets the last answer (another model answers otherwise); the one in flight stays.
    pub fn forget(&mut self) {
        self.last = None;
    }
}

/// The selected pair's explanation and the selected groups'.
#[derive(Debug, Default)]
pub struct Explanations {
    /// Why the selected pair scores what it does.
    pub pair: Asked<ExplainPair, Explanation>,
    /// Which tokens make two groups alike.
    pub groups: Asked<ExplainGroups, GroupExplanation>,
}

impl Explanations {
    /// Asks why the selected pair of `r` scores what it does, unless that is known or asked.
    pub fn ask_pair(&mut self, sel: Option<Selection>, r: Option<&Computed>, send: impl FnOnce(ExplainPair)) {
        let (Some(sel), Some(r)) = (sel, r) else { return };
        let (Some(a), Some(b)) = (r.table.texts.get(sel.row), r.table.texts.get(sel.col)) else { return };
        let pair =
            ExplainPair { a: a.clone(), b: b.clone(), pooling: r.pooling, fingerprint: r.model.fingerprint.clone() };
        self.pair.ask(pair, send);
    }

    /// Asks for the explanation of the groups `sel` of `r`, unless known or asked; one the
    /// app does not give (groups too large, a pooling other than mean) is said at once.
    pub fn ask_groups(&mut self, sel: GroupSelection, r: &Computed, send: impl FnOnce(ExplainGroups)) {
        let texts = |g: usize| -> Vec<String> {
            r.table.texts.iter().zip(&r.table.groups).filter(|(_, gg)| **gg == g).map(|(t, _)| t.clone()).collect()
        };
        let asked = ExplainGroups {
            g: sel.g,
            h: sel.h,
            texts_g: texts(sel.g),
            texts_h: if sel.g == sel.h { Vec::new() } else { texts(sel.h) },
            fingerprint: r.model.fingerprint.clone(),
        };
        let largest = asked.texts_g.len().max(asked.texts_h.len());
        if largest > MAX_EXPLAINED_GROUP {
            let why = format!(
                "A group explanation runs the model on every sentence of both groups; these have up to {largest}, more than {MAX_EXPLAINED_GROUP}. Explain single pairs in the heatmap, or use `simlens explain FILE --groups A B`."
            );
            return self.groups.known(asked, why);
        }
        if r.pooling != Pooling::Mean {
            let why = format!(
                "Group explanations are exact for mean pooling only; this result uses {} pooling. Choose mean in the Pooling menu.",
                r.pooling
            );
            return self.groups.known(asked, why);
        }
        // The old answer is of other sentences: a spinner until the new one lands.
        if self.groups.ask(asked, send) {
            self.groups.forget();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_once_keeps_a_good_answer_and_asks_again_after_a_failure() {
        let mut a: Asked<&str, u32> = Asked::default();
        let mut sent = Vec::new();
        assert!(a.ask("q", |q| sent.push(q)));
        assert!(!a.ask("q", |q| sent.push(q)), "in flight");
        assert_eq!(a.answer("other", Ok(1)), None, "not the question in flight");
        assert!(a.answer("q", Ok(2)).is_some());
        assert_eq!(a.last().map(|e| e.result.clone()), Some(Ok(2)));
        assert!(!a.ask("q", |q| sent.push(q)), "known");
        assert!(a.ask("r", |q| sent.push(q)));
        assert!(a.answer("r", Err("no model".to_owned())).is_some());
        assert!(a.ask("r", |q| sent.push(q)), "a failure is asked again");
        assert_eq!(sent, ["q", "r", "r"]);
    }
}
