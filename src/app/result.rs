//! What the views read: the latest finished comparison, and the patches that change it.

use std::time::Duration;

use crate::engine::analysis::Misfit;
use crate::engine::project::Projection;
use crate::engine::{Embeddings, ModelInfo, Pooling, SimMatrix};
use crate::io::SentenceSet;
use crate::io::sentences::UNGROUPED;

/// Identifies one embed job; a higher id supersedes lower ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct JobId(pub u64);

impl JobId {
    /// The id after this one.
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

/// The sentences a job works on, in matrix order: blank sentences are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SentenceTable {
    /// The sentences, trimmed.
    pub texts: Vec<String>,
    /// The group index of each sentence.
    pub groups: Vec<usize>,
    /// The group names (`UNGROUPED` for a nameless group).
    pub group_names: Vec<String>,
}

impl SentenceTable {
    /// The non-blank sentences of `set`, and how many blank ones were skipped.
    pub fn from_set(set: &SentenceSet) -> (Self, usize) {
        let mut table = Self::default();
        let mut skipped = 0;
        for (gi, g) in set.groups.iter().enumerate() {
            for s in &g.sentences {
                if s.trim().is_empty() {
                    skipped += 1;
                } else {
                    table.texts.push(s.trim().to_owned());
                    table.groups.push(gi);
                }
            }
        }
        table.group_names =
            set.groups.iter().map(|g| if g.name.is_empty() { UNGROUPED.to_owned() } else { g.name.clone() }).collect();
        (table, skipped)
    }

    /// Number of sentences.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there are no sentences.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The name of sentence `i`'s group.
    pub fn group_of(&self, i: usize) -> &str {
        &self.group_names[self.groups[i]]
    }
}

/// What a job cost: the model's work and the time, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCost {
    /// Sentences that had to be embedded (not found in the cache).
    pub embedded: usize,
    /// Time the job took.
    pub elapsed: Duration,
}

/// A finished comparison.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The job it answers.
    pub job: JobId,
    /// The model used.
    pub model: ModelInfo,
    /// The pooling used.
    pub pooling: Pooling,
    /// The sentences, groups and group names.
    pub table: SentenceTable,
    /// The vectors.
    pub embeddings: Embeddings,
    /// Cosine similarity of every pair; `None` past the app's matrix limit.
    pub sim: Option<SimMatrix>,
    /// Mean similarity between groups (`group_names.len()²`, row-major).
    pub group_matrix: Vec<Option<f32>>,
    /// Sentences closer to another group than to their own.
    pub misfits: Vec<Misfit>,
    /// The PCA map, when asked for.
    pub map: Option<Projection>,
    /// The clustered order, when asked for: average-linkage leaf order up to
    /// [`crate::engine::project::MAX_CLUSTER`] sentences, k-means past it (see
    /// [`Computed::order_name`]).
    pub cluster_order: Option<Vec<usize>>,
    /// What the job cost.
    pub cost: JobCost,
    /// The off-diagonal value range, found once on first use (an N² scan).
    pub auto_range: std::sync::OnceLock<Option<(f32, f32)>>,
}

impl Computed {
    /// The matrix, when there is one.
    pub fn matrix(&self) -> Option<&SimMatrix> {
        self.sim.as_ref()
    }

    /// Sentences in the matrix (0 without one).
    pub fn matrix_len(&self) -> usize {
        self.sim.as_ref().map_or(0, |m| m.n)
    }

    /// What the clustered order is, for the view's caption.
    pub fn order_name(&self) -> String {
        let n = self.table.len();
        if n <= crate::engine::project::MAX_CLUSTER {
            "average-linkage clustering".to_owned()
        } else {
            format!(
                "k-means ({} clusters, in the average-linkage order of their centroids; average linkage itself stops at {} sentences)",
                crate::engine::order::default_clusters(n),
                crate::engine::project::MAX_CLUSTER
            )
        }
    }

    /// Smallest and largest similarity off the diagonal, computed once per result.
    pub fn off_diagonal_range(&self) -> Option<(f32, f32)> {
        *self.auto_range.get_or_init(|| self.sim.as_ref().and_then(SimMatrix::off_diagonal_range))
    }

    /// Applies `patch` in place: texts, vectors, matrix rows and columns, summaries.
    pub fn apply(&mut self, patch: &Patch) {
        let n = self.table.len();
        let dim = self.embeddings.dim;
        for (k, &i) in patch.changed.iter().enumerate() {
            self.table.texts[i].clone_from(&patch.texts[k]);
            self.embeddings.data[i * dim..(i + 1) * dim].copy_from_slice(&patch.vectors[k * dim..(k + 1) * dim]);
            if let (Some(sim), Some(rows)) = (self.sim.as_mut(), patch.rows.as_ref())
                && sim.n == n
            {
                let row = &rows[k * n..(k + 1) * n];
                sim.data[i * n..(i + 1) * n].copy_from_slice(row);
                for (j, &v) in row.iter().enumerate() {
                    sim.data[j * n + i] = v;
                }
            }
        }
        self.embeddings.truncated.clone_from(&patch.truncated);
        self.group_matrix.clone_from(&patch.group_matrix);
        self.misfits.clone_from(&patch.misfits);
        self.job = patch.job;
        self.cost = JobCost { embedded: patch.embedded, elapsed: patch.elapsed };
        // The map and the clustering describe the old vectors; they are asked for again.
        self.map = None;
        self.cluster_order = None;
        self.auto_range = std::sync::OnceLock::new();
    }
}

/// A few sentences changed: their new vectors and matrix rows, against an earlier answer.
#[derive(Debug, Clone)]
pub struct Patch {
    /// The answer this patch applies to.
    pub base: JobId,
    /// The job it answers.
    pub job: JobId,
    /// Indices of the changed sentences, ascending.
    pub changed: Vec<usize>,
    /// Their new texts.
    pub texts: Vec<String>,
    /// Their new vectors (`changed.len() × dim`).
    pub vectors: Vec<f32>,
    /// Their new rows of the matrix (`changed.len() × N`), which are also its columns;
    /// `None` when the answer has no matrix.
    pub rows: Option<Vec<f32>>,
    /// Indices of all truncated sentences after the change.
    pub truncated: Vec<usize>,
    /// New mean similarity between groups.
    pub group_matrix: Vec<Option<f32>>,
    /// New misfits.
    pub misfits: Vec<Misfit>,
    /// Sentences that had to be embedded.
    pub embedded: usize,
    /// Time the job took.
    pub elapsed: Duration,
}
