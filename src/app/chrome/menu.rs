//! The menu bar: File and Model menus, then the model, pooling and colour settings.

use crate::app::command::Command;
use crate::app::export::ExportKind;
use crate::app::options::ModelStatus;
use crate::app::views::ctx::{ViewCtx, edit_view};
use crate::engine::int8::ShippedGraph;
use crate::engine::{self, Pooling, Precision};
use crate::session::ColorRange;

/// Draws the menu bar.
pub fn menu_ui(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| file_menu(ui, out));
        ui.menu_button("Edit", |ui| edit_menu(ui, ctx, out));
        ui.menu_button("Model", |ui| model_menu(ui, ctx, out));
        ui.separator();
        model_label(ui, ctx);
        ui.separator();
        pooling_box(ui, ctx, out);
        precision_box(ui, ctx, out);
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
    if ui
        .button("Open vectors…")
        .on_hover_text("Sentences with vectors made elsewhere (NPY or Parquet): no model needed")
        .clicked()
    {
        out.push(Command::PickOpenVectors);
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

/// Undo and Redo name their step; the keys work anywhere but in a text field, which
/// has its own undo.
fn edit_menu(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
    let undo = ctx.history.undo_label();
    let item = |label: &str, step: Option<&str>, keys: &str| {
        egui::Button::new(match step {
            Some(s) => format!("{label} {s}"),
            None => format!("Nothing to {}", label.to_lowercase()),
        })
        .shortcut_text(keys.to_owned())
    };
    if ui.add_enabled(undo.is_some(), item("Undo", undo, "Ctrl+Z")).clicked() {
        out.push(Command::Undo);
    }
    let redo = ctx.history.redo_label();
    if ui.add_enabled(redo.is_some(), item("Redo", redo, "Ctrl+Shift+Z")).clicked() {
        out.push(Command::Redo);
    }
    ui.separator();
    if ui.add_enabled(!ctx.state.set.groups.is_empty(), egui::Button::new("Clear all sentences")).clicked() {
        out.push(Command::ClearSentences);
    }
}

/// Ctrl+Z undoes; Ctrl+Shift+Z and Ctrl+Y redo. Not while a text field has the keyboard:
/// there the keys undo typing in that field.
pub fn shortcuts(ctx: &egui::Context, out: &mut Vec<Command>) {
    use egui::{Key, KeyboardShortcut, Modifiers};
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    let redo = [
        KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z),
        KeyboardShortcut::new(Modifiers::COMMAND, Key::Y),
    ];
    // Redo first: Ctrl+Z would also match Ctrl+Shift+Z.
    if ctx.input_mut(|i| redo.iter().any(|k| i.consume_shortcut(k))) {
        out.push(Command::Redo);
    } else if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Z))) {
        out.push(Command::Undo);
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
    if !ctx.hub_models.is_empty() {
        ui.separator();
        ui.label("Hugging Face cache");
        for m in ctx.hub_models {
            let button = ui.add_enabled(m.has_onnx, egui::Button::new(&m.id));
            let button = if let Some(problem) = &m.problem {
                button.on_disabled_hover_text(format!("Cannot be loaded: {problem}"))
            } else if m.has_onnx {
                button.on_hover_text(m.snapshot.display().to_string())
            } else {
                button.on_disabled_hover_text(format!("No ONNX graph. Export one with:\n{}", m.export_command()))
            };
            if button.clicked() {
                out.push(Command::LoadModel(Some(std::path::PathBuf::from(&m.id))));
            }
        }
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

fn precision_box(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, out: &mut Vec<Command>) {
    let shipped = match ctx.model {
        ModelStatus::Ready(info) => info.shipped.clone(),
        _ => Vec::new(),
    };
    let label = ui.label("Precision:");
    if let Some(p) = precision_choice(ui, "precision", Some(label.id), &ctx.state.precision, &shipped) {
        out.push(Command::SetPrecision(p));
    }
    label.on_hover_text(
        "fp32: the model's own graph. int8: a quantized graph simlens makes once per model: 1.6–1.8× as fast, \
         cosines within about 0.01 of fp32, and a sentence gets the same vector in any batch.",
    );
}

/// A precision picker: fp32, int8 and the folder's shipped quantized files; the new choice
/// when the user picked another.
pub fn precision_choice(
    ui: &mut egui::Ui,
    id: &str,
    label: Option<egui::Id>,
    current: &Precision,
    shipped: &[ShippedGraph],
) -> Option<Precision> {
    let mut picked = None;
    let short = |p: &Precision| match p {
        Precision::Fp32 => "fp32".to_owned(),
        Precision::Int8 => "int8".to_owned(),
        Precision::Shipped(stem) => stem.clone(),
    };
    let combo = egui::ComboBox::from_id_salt(id).selected_text(short(current)).show_ui(ui, |ui| {
        let mut choices = vec![(Precision::Fp32, None), (Precision::Int8, None)];
        for g in shipped {
            let why = g.batch_dependent.then_some(
                "Dynamically quantized with one scale per batch: a sentence's vector changes with the other sentences in its batch.",
            );
            choices.push((Precision::Shipped(g.stem.clone()), why));
        }
        for (p, why) in choices {
            let mut text = p.label();
            if why.is_some() {
                text.push_str(", batch-dependent");
            }
            let resp = ui.add(egui::Button::selectable(*current == p, text));
            let resp = match why {
                Some(w) => resp.on_hover_text(w),
                None => resp,
            };
            if resp.clicked() && *current != p {
                picked = Some(p);
            }
        }
    });
    if let Some(id) = label {
        combo.response.labelled_by(id);
    }
    picked
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
