//! The menu bar: File and Model menus, then the model, pooling and colour settings.

use crate::app::export::ExportKind;
use crate::app::views::{ViewCtx, edit_view};
use crate::app::{Command, ModelStatus};
use crate::engine::{self, Pooling};
use crate::session::ColorRange;

/// Draws the menu bar.
pub fn menu_ui(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| file_menu(ui, out));
        ui.menu_button("Model", |ui| model_menu(ui, ctx, out));
        ui.separator();
        model_label(ui, ctx);
        ui.separator();
        pooling_box(ui, ctx, out);
        ui.separator();
        ui.label("Range:");
        edit_view(ctx, out, |view| {
            egui::ComboBox::from_id_salt("range").selected_text(view.range.name()).show_ui(ui, |ui| {
                for r in ColorRange::ALL {
                    ui.selectable_value(&mut view.range, r, r.name());
                }
            });
            egui::ComboBox::from_id_salt("colormap").selected_text(view.colormap.name()).show_ui(ui, |ui| {
                for c in crate::render::Colormap::ALL {
                    ui.selectable_value(&mut view.colormap, c, c.name());
                }
            });
            ui.checkbox(&mut view.show_values, "Values");
        });
    });
}

fn file_menu(ui: &mut egui::Ui, out: &mut Vec<Command>) {
    if ui.button("Open sentences…").clicked() {
        out.push(Command::PickOpenSet);
    }
    if ui.button("Save sentences…").clicked() {
        out.push(Command::PickExport(ExportKind::Sentences));
    }
    if ui.button("Load the example").clicked() {
        out.push(Command::LoadExample);
    }
    ui.separator();
    ui.label("Export");
    for kind in ExportKind::ALL {
        if kind != ExportKind::Sentences && ui.button(kind.menu_label()).clicked() {
            out.push(Command::PickExport(kind));
        }
    }
}

fn model_menu(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
    if ui.button(format!("Bundled: {}", engine::BUNDLED_MODEL)).clicked() {
        out.push(Command::LoadModel(None));
    }
    for dir in &ctx.state.recent_models {
        if ui.button(dir.display().to_string()).clicked() {
            out.push(Command::LoadModel(Some(dir.clone())));
        }
    }
    if ui.button("Open model folder…").clicked() {
        out.push(Command::PickModelFolder);
    }
    ui.separator();
    if ui.button("Check model quality (STS benchmark or your pairs)…").clicked() {
        out.push(Command::PickQualityFile);
    }
}

/// The model's name, and its quality score for the current pooling when one was checked.
fn model_label(ui: &mut egui::Ui, ctx: &ViewCtx<'_>) {
    let label = match ctx.model {
        ModelStatus::Ready(info) => info.name.clone(),
        ModelStatus::Loading(d) => {
            format!("loading {}…", d.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
        }
        ModelStatus::Failed(_) => "no model".to_owned(),
    };
    ui.label("Model:");
    ui.strong(label);
    let ModelStatus::Ready(info) = ctx.model else { return };
    let found = ctx.state.quality.iter().find(|q| q.fingerprint == info.fingerprint && q.pooling == ctx.pooling);
    if let Some(q) = found {
        let name = q.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        ui.label(egui::RichText::new(format!("ρ×100 {:.2}", q.spearman)).color(ui.visuals().hyperlink_color))
            .on_hover_text(format!(
                "Quality check: Spearman × 100 of cosine similarity vs the gold scores of {name} ({} pairs), pooling {}; Pearson × 100 {:.2}.",
                q.pairs, q.pooling, q.pearson
            ));
    }
}

fn pooling_box(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
    let current = ctx.pooling;
    let allowed = match ctx.model {
        ModelStatus::Ready(info) => info.poolings.clone(),
        _ => Vec::new(),
    };
    let label = ui.label("Pooling:");
    egui::ComboBox::from_id_salt("pooling")
        .selected_text(current.as_str())
        .show_ui(ui, |ui| {
            for p in Pooling::ALL {
                let enabled = allowed.contains(&p);
                let resp = ui.add_enabled(enabled, egui::Button::selectable(current == p, p.as_str()));
                let resp = if enabled || p != Pooling::Pooled {
                    resp
                } else {
                    resp.on_disabled_hover_text("This model has no pooled output (pooler_output)")
                };
                if resp.clicked() && current != p {
                    out.push(Command::SetPooling(p));
                }
            }
        })
        .response
        .labelled_by(label.id);
}
