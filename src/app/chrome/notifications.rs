//! Notifications above the central view, and the box shown when the model failed to load.

use std::time::{Duration, Instant};

use crate::app::command::Command;
use crate::app::notice::Notification;
use crate::app::options::ModelStatus;

/// How long a success message stays.
const FADE: Duration = Duration::from_secs(8);

/// Draws the messages, newest last; successes fade, errors stay until dismissed.
pub fn notifications_ui(ui: &mut egui::Ui, notifications: &mut Vec<Notification>, out: &mut Vec<Command>) {
    let now = Instant::now();
    // Fading is time passing, not a change of state: it is done here, where it is seen.
    notifications.retain(|n| n.is_error || now.duration_since(n.at) < FADE);
    for (i, n) in notifications.iter().enumerate() {
        let color = if n.is_error { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(color, if n.is_error { "⚠" } else { "✔" });
            ui.colored_label(color, &n.text);
            if let Some(step) = n.undo
                && ui.small_button("Undo").on_hover_text("Ctrl+Z").clicked()
            {
                out.push(Command::UndoStep(step));
            }
            if ui.small_button("✖").on_hover_text("Dismiss").clicked() {
                out.push(Command::Dismiss(i));
            }
        });
    }
    if notifications.iter().any(|n| !n.is_error) {
        ui.ctx().request_repaint_after(Duration::from_secs(1));
    }
}

/// The box that says why the model could not be loaded and offers the ways out.
pub fn model_error_ui(ui: &mut egui::Ui, model: &ModelStatus, out: &mut Vec<Command>) {
    let ModelStatus::Failed(msg) = model else { return };
    egui::Frame::group(ui.style()).fill(ui.visuals().extreme_bg_color).show(ui, |ui| {
        ui.colored_label(ui.visuals().error_fg_color, "The model could not be loaded");
        ui.label(egui::RichText::new(msg).monospace());
        ui.label("Your sentences are kept. Fix the cause, then retry, or choose another model.");
        ui.horizontal(|ui| {
            if ui.button("Retry").clicked() {
                out.push(Command::Retry);
            }
            if ui.button("Use the bundled model").clicked() {
                out.push(Command::LoadModel(None));
            }
            if ui.button("Open model folder…").clicked() {
                out.push(Command::PickModelFolder);
            }
        });
    });
}
