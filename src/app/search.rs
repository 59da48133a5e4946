//! The search: the query, its vector (made the way the shown result's vectors were), and
//! the ranked sentences.

use super::explanations::{Asked, Explained};
use super::result::Computed;
use super::worker::Query;

/// A query's vector and the model that made it (the pooling is the one asked for).
#[derive(Debug, Clone)]
pub struct QueryVector {
    /// The normalised vector.
    pub vector: Vec<f32>,
    /// The fingerprint of the model that embedded it.
    pub fingerprint: String,
}

/// The search: the query, its vector, and the ranked sentences.
#[derive(Debug, Default)]
pub struct Search {
    /// The query last searched for.
    pub query: String,
    vector: Asked<Query, QueryVector>,
    /// (sentence, score), best first.
    pub hits: Option<Vec<(usize, f32)>>,
}

impl Search {
    /// Searches for `text` in `r`; an empty text clears the search. A search the user asks
    /// for again is embedded again.
    pub fn search_for(&mut self, text: &str, r: Option<&Computed>, send: impl FnOnce(Query)) {
        if text.trim().is_empty() {
            *self = Self::default();
            return;
        }
        // The hits shown stay until the new query's vector ranks the sentences.
        *self = Self { query: text.trim().to_owned(), vector: Asked::default(), hits: self.hits.take() };
        self.rank(r, send);
    }

    /// Ranks `r`'s sentences against the query's vector when it was made with `r`'s model
    /// and pooling; else asks for that vector, once.
    pub fn rank(&mut self, r: Option<&Computed>, send: impl FnOnce(Query)) {
        let Some(r) = r.filter(|_| !self.query.is_empty()) else { return };
        let q = Query {
            text: self.query.clone(),
            pooling: r.pooling,
            precision: r.model.precision.clone(),
            fingerprint: r.model.fingerprint.clone(),
        };
        match self.vector.last() {
            // The worker's model can differ from the shown result's (a job failed after a
            // model change): no ranking until a result of the model that made it.
            Some(Explained { asked, result: Ok(v), .. }) if *asked == q => {
                if v.fingerprint == r.model.fingerprint {
                    self.hits = Some(crate::engine::analysis::search(&r.embeddings, &v.vector, 10));
                }
            }
            _ => {
                self.vector.ask(q, send);
            }
        }
    }

    /// Keeps the vector for `asked` when it is the query in flight and ranks `r` with it.
    /// Returns what to tell the user when it failed.
    pub fn answer(
        &mut self,
        asked: Query,
        answer: Result<QueryVector, String>,
        r: Option<&Computed>,
        send: impl FnOnce(Query),
    ) -> Option<String> {
        let failed = answer.as_ref().err().map(|e| format!("Search failed: {e}"));
        // A reply to an older query is dropped: the newer one is on its way.
        self.vector.answer(asked, answer)?;
        if failed.is_none() {
            self.rank(r, send);
        }
        failed
    }
}
