//! The status line: what is running, how many sentences, and the last run's figures.

use std::time::Duration;

use crate::app::jobs::JobScheduler;
use crate::app::options::ModelStatus;
use crate::app::paint::progress_ui;
use crate::session::State;

/// Draws the status line.
pub fn status_ui(ui: &mut egui::Ui, jobs: &JobScheduler, state: &State) {
    ui.horizontal(|ui| {
        activity_ui(ui, jobs);
        ui.separator();
        ui.label(format!("{} sentences in {} groups", state.set.len(), state.set.groups.len()));
        if jobs.skipped_empty > 0 {
            ui.separator();
            ui.colored_label(ui.visuals().warn_fg_color, format!("{} empty sentence(s) skipped", jobs.skipped_empty));
        }
        if let Some(r) = &jobs.result {
            ui.separator();
            ui.label(format!(
                "last run: {} · {} · {} · {} embedded, {} cached · {:.0} ms",
                r.model.name,
                r.pooling,
                r.model.precision,
                r.cost.embedded,
                r.table.len() - r.cost.embedded.min(r.table.len()),
                r.cost.elapsed.as_secs_f64() * 1000.0
            ));
        }
    });
}

/// What is running. Progress bars, not spinners, for long work: a spinner repaints every
/// frame, which on a software-rendered display costs the worker a whole core.
fn activity_ui(ui: &mut egui::Ui, jobs: &JobScheduler) {
    if let Some(s) = jobs.scoring {
        progress_ui(ui, s.done, s.total);
        ui.label(if s.total > 0 {
            format!("checking quality {}/{}…", s.done, s.total)
        } else {
            "checking quality…".to_owned()
        });
        ui.separator();
    }
    if let Some(r) = jobs.running {
        if r.total > 0 {
            progress_ui(ui, r.done, r.total);
            ui.label(format!("embedding {}/{}… {:.1} s", r.done, r.total, r.started.elapsed().as_secs_f32()));
        } else {
            slow_busy_ui(ui, &format!("comparing… {:.1} s", r.started.elapsed().as_secs_f32()));
        }
    } else if matches!(jobs.model, ModelStatus::Loading(_)) {
        slow_busy_ui(ui, "loading model…");
    } else if matches!(jobs.model, ModelStatus::Failed(_)) {
        ui.colored_label(ui.visuals().error_fg_color, "no model loaded");
    } else if jobs.is_waiting() {
        ui.spinner();
        ui.label("waiting for typing to pause…");
    } else {
        ui.label("ready");
    }
}

/// A busy label that repaints four times a second, not every frame like a spinner: the
/// work it waits for needs the cores more than the animation.
fn slow_busy_ui(ui: &mut egui::Ui, text: &str) {
    ui.label(format!("⏳ {text}"));
    ui.ctx().request_repaint_after(Duration::from_millis(250));
}
