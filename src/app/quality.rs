//! The quality check's progress and its answer turned into commands.

use std::path::Path;

use super::command::Command;
use super::notice::Notification;
use crate::engine::eval::PairScore;
use crate::engine::{ModelInfo, Pooling};
use crate::session;

/// Progress of a quality check.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scoring {
    /// Sentences embedded.
    pub done: usize,
    /// Sentences to embed (0 until the worker reports).
    pub total: usize,
}

/// A finished quality check: its score as a notification and a record to keep, or why not.
pub fn scored(model: ModelInfo, pooling: Pooling, file: &Path, result: crate::Result<PairScore>) -> Vec<Command> {
    let score = match result {
        Ok(score) => score,
        Err(e) => return vec![Command::Notify(Notification::error(format!("Quality check failed: {e}")))],
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    vec![
        Command::Notify(Notification::info(format!(
            "Quality check of {} ({pooling}) on {name}: Spearman × 100 = {:.2} over {} pairs.",
            model.name, score.spearman, score.pairs
        ))),
        Command::RecordQuality(session::QualityScore {
            fingerprint: model.fingerprint,
            model: model.name,
            pooling,
            file: file.to_path_buf(),
            spearman: score.spearman,
            pearson: score.pearson,
            pairs: score.pairs,
        }),
    ]
}
