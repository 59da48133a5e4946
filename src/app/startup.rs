//! Start-up timing: when the first result arrived and the first heatmap reached the
//! screen, logged so a slow start shows up in the log.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::result::Computed;

static PROCESS_START: OnceLock<Instant> = OnceLock::new();

/// Records when the process started.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// Start-up milestones.
pub struct Startup {
    launched: Instant,
    /// Time from launch to the first result.
    pub first_result_after: Option<Duration>,
    /// Time from launch to the end of the first frame that drew a heatmap.
    first_heatmap_after: Option<Duration>,
    first_heatmap_shown: bool,
}

impl Startup {
    /// Counts from the process start (or now, when it was not marked).
    pub fn new() -> Self {
        Self {
            launched: PROCESS_START.get().copied().unwrap_or_else(Instant::now),
            first_result_after: None,
            first_heatmap_after: None,
            first_heatmap_shown: false,
        }
    }

    /// A frame starts: the one after the first heatmap has been painted (texture uploaded).
    pub fn frame_started(&mut self) {
        if let Some(drawn) = self.first_heatmap_after
            && !self.first_heatmap_shown
        {
            self.first_heatmap_shown = true;
            log::info!(
                "first heatmap on screen {:.0} ms after start (drawn at {:.0} ms)",
                self.launched.elapsed().as_secs_f64() * 1000.0,
                drawn.as_secs_f64() * 1000.0
            );
        }
    }

    /// A frame was drawn with `result`, and a heatmap if `heatmap`.
    pub fn drawn(&mut self, result: Option<&Computed>, heatmap: bool, ctx: &egui::Context) {
        let Some(r) = result else { return };
        if self.first_result_after.is_none() {
            let after = self.launched.elapsed();
            log::info!("first result {:.0} ms after start ({} sentences)", after.as_secs_f64() * 1000.0, r.table.len());
            self.first_result_after = Some(after);
        }
        if heatmap && self.first_heatmap_after.is_none() {
            let after = self.launched.elapsed();
            log::info!(
                "first heatmap drawn {:.0} ms after start ({} sentences; the GPU upload follows)",
                after.as_secs_f64() * 1000.0,
                r.matrix_len()
            );
            self.first_heatmap_after = Some(after);
            // One more frame, to log when this one reached the screen.
            ctx.request_repaint();
        }
    }
}
