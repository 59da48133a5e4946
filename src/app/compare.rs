//! Comparing two configurations (model, pooling) on the same sentences: both heatmaps,
//! their difference, and the rank correlation of their similarities.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use egui::{Color32, Rect, Sense, Stroke, TextureHandle, TextureOptions, Vec2, vec2};

use super::Command;
use super::worker::{Computed, EmbedJob, Loader, Request, Response, Worker};
use crate::engine::analysis::{Comparison, compare};
use crate::engine::{BUNDLED_MODEL, ModelInfo, Pooling};
use crate::render::{Colormap, matrix_pixels};
use crate::session::ViewSettings;

/// Configuration B and everything needed to show the comparison.
#[derive(Default)]
pub struct CompareView {
    worker: Option<Worker>,
    /// The folder B was loaded from (`None` for nothing loaded yet).
    loaded_dir: Option<PathBuf>,
    model: Option<Result<ModelInfo, String>>,
    result: Option<Arc<Computed>>,
    /// The A job that B's running job answers.
    pending_for: Option<u64>,
    next_job: u64,
    comparison: Option<(u64, u64, Arc<Comparison>)>,
    computing: Option<(u64, u64, Receiver<Option<Comparison>>)>,
    thumbs: [Thumb; 3],
    error: Option<String>,
}

#[derive(Default)]
struct Thumb {
    texture: Option<TextureHandle>,
    key: Option<(u64, u64, u32, u32)>,
}

impl CompareView {
    /// Keeps B loaded, embedded on A's sentences, and the comparison computed.
    fn update(
        &mut self,
        ctx: &egui::Context,
        loader: &Loader,
        cache_dir: Option<&PathBuf>,
        dir_b: PathBuf,
        pooling_b: Option<Pooling>,
        a: &Arc<Computed>,
    ) {
        if self.worker.is_none() {
            let repaint = ctx.clone();
            self.worker = Some(Worker::spawn(loader.clone(), cache_dir.cloned(), move || repaint.request_repaint()));
        }
        let Some(worker) = &self.worker else { return };
        if self.loaded_dir.as_ref() != Some(&dir_b) {
            worker.send(Request::Load(dir_b.clone()));
            self.loaded_dir = Some(dir_b);
            self.model = None;
            self.result = None;
            self.pending_for = None;
        }
        while let Some(r) = worker.try_recv() {
            match r {
                Response::Loaded(Ok(info)) => self.model = Some(Ok(info)),
                Response::Loaded(Err(e)) => self.model = Some(Err(e.to_string())),
                Response::Done(c) => {
                    self.result = Some(Arc::new(*c));
                    self.pending_for = None;
                    self.error = None;
                }
                Response::Failed { error, .. } => {
                    self.error = Some(error.to_string());
                    self.pending_for = None;
                }
                // B's jobs never ask for patches.
                Response::Patched(_)
                | Response::Progress { .. }
                | Response::Tokens(..)
                | Response::Query { .. }
                | Response::ScoreProgress { .. }
                | Response::Scored { .. } => {}
            }
        }
        let Some(Ok(info)) = &self.model else { return };
        let pooling = pooling_b.filter(|p| info.poolings.contains(p)).unwrap_or(info.default_pooling);
        let stale = self
            .result
            .as_ref()
            .is_none_or(|b| b.texts != a.texts || b.pooling != pooling || b.model.fingerprint != info.fingerprint);
        if stale && self.pending_for != Some(a.job) && self.error.is_none() {
            self.next_job += 1;
            worker.send(Request::Embed(EmbedJob {
                id: self.next_job,
                texts: a.texts.clone(),
                groups: a.groups.clone(),
                group_names: a.group_names.clone(),
                pooling,
                map: false,
                cluster: false,
                // B's answers are always whole.
                patch_base: None,
            }));
            self.pending_for = Some(a.job);
        }
        // The comparison (a sort of N²/2 values) runs off the UI thread.
        if let Some((ja, jb, rx)) = &self.computing
            && let Ok(c) = rx.try_recv()
        {
            self.comparison = c.map(|c| (*ja, *jb, Arc::new(c)));
            self.computing = None;
        }
        if let Some(b) = self.result.clone().filter(|b| b.texts == a.texts && a.sim.n >= 3 && b.sim.n == a.sim.n) {
            let key = (a.job, b.job);
            let have = self.comparison.as_ref().is_some_and(|(x, y, _)| (*x, *y) == key);
            let running = self.computing.as_ref().is_some_and(|(x, y, _)| (*x, *y) == key);
            if !have && !running {
                let (tx, rx) = channel();
                let (a2, ctx2) = (a.clone(), ctx.clone());
                std::thread::Builder::new()
                    .name("simlens-compare".into())
                    .spawn(move || {
                        tx.send(compare(&a2.sim, &b.sim)).ok();
                        ctx2.request_repaint();
                    })
                    .ok();
                self.computing = Some((key.0, key.1, rx));
            }
        }
    }
}

/// Draws the comparison tab.
#[expect(clippy::too_many_arguments, reason = "one call site; the pieces come from different owners")]
pub fn compare_ui(
    ui: &mut egui::Ui,
    view: &mut CompareView,
    a: &Arc<Computed>,
    options: &super::AppOptions,
    settings: &ViewSettings,
    compare_model: &mut Option<PathBuf>,
    compare_pooling: &mut Option<Pooling>,
    recent: &[PathBuf],
    commands: &mut Vec<Command>,
) {
    let dir_b = compare_model.clone().unwrap_or_else(|| options.bundled_model.clone());
    view.update(ui.ctx(), &options.loader, options.cache_dir.as_ref(), dir_b.clone(), *compare_pooling, a);

    ui.horizontal(|ui| {
        ui.strong("A");
        ui.label(format!("{} · {}", a.model.name, a.pooling));
        ui.separator();
        ui.strong("B");
        let name = |d: &std::path::Path| d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        egui::ComboBox::from_id_salt("compare-model").selected_text(name(&dir_b)).show_ui(ui, |ui| {
            if ui.selectable_label(compare_model.is_none(), format!("Bundled: {BUNDLED_MODEL}")).clicked() {
                *compare_model = None;
            }
            for d in recent {
                if ui.selectable_label(compare_model.as_ref() == Some(d), d.display().to_string()).clicked() {
                    *compare_model = Some(d.clone());
                }
            }
            if ui.button("Open model folder…").clicked() {
                commands.push(Command::PickCompareModel);
            }
        });
        let poolings = match &view.model {
            Some(Ok(info)) => info.poolings.clone(),
            _ => Vec::new(),
        };
        let current = match (&view.model, *compare_pooling) {
            (Some(Ok(info)), Some(p)) if info.poolings.contains(&p) => p,
            (Some(Ok(info)), _) => info.default_pooling,
            (_, Some(p)) => p,
            _ => Pooling::Mean,
        };
        egui::ComboBox::from_id_salt("compare-pooling").selected_text(current.as_str()).show_ui(ui, |ui| {
            for p in Pooling::ALL {
                if ui.add_enabled(poolings.contains(&p), egui::Button::selectable(current == p, p.as_str())).clicked() {
                    *compare_pooling = Some(p);
                    view.error = None;
                }
            }
        });
    });
    match &view.model {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("loading B…");
            });
            return;
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("B could not be loaded: {e}"));
            return;
        }
        Some(Ok(_)) => {}
    }
    if let Some(e) = &view.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
        if ui.button("Retry").clicked() {
            view.error = None;
        }
        return;
    }
    if a.sim.n < 3 || a.sim.n != a.texts.len() {
        ui.label("Comparing needs at least 3 sentences and a full matrix (at most 12,000 sentences).");
        return;
    }
    let current = |b: &Arc<Computed>| view.comparison.clone().filter(|(x, y, _)| (*x, *y) == (a.job, b.job));
    let b = view.result.clone().filter(|b| b.texts == a.texts);
    let (Some(b), Some((_, _, cmp))) = (b.clone(), b.as_ref().and_then(current)) else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("embedding with B and comparing…");
        });
        return;
    };
    let (d, i, j) = cmp.max_abs_diff;
    ui.label(
        egui::RichText::new(format!("Spearman rank correlation of the pair similarities: {:.3}", cmp.spearman))
            .strong(),
    )
    .on_hover_text("Off-diagonal entries, each pair once. 1 = both rank the pairs the same way.");
    ui.label(format!(
        "mean |B − A| = {:.3}; largest {d:.3} for “{}” / “{}”",
        cmp.mean_abs_diff,
        super::groups::truncate(&a.texts[i], 40),
        super::groups::truncate(&a.texts[j], 40)
    ));
    ui.separator();
    let (lo, hi) = super::heatmap::range_of(a, settings.range);
    let span = d.max(1e-3);
    let size = ((ui.available_width() - 40.0) / 3.0).min(ui.available_height() - 60.0).max(80.0);
    let mut hovered = None;
    ui.horizontal(|ui| {
        let items: [(&str, &crate::engine::SimMatrix, f32, f32, Colormap, u64); 3] = [
            ("A", &a.sim, lo, hi, settings.colormap, a.job),
            ("B", &b.sim, lo, hi, settings.colormap, b.job),
            ("B − A", &cmp.diff, -span, span, Colormap::Diverging, a.job ^ (b.job << 32)),
        ];
        for (k, (title, sim, lo, hi, cmap, job)) in items.into_iter().enumerate() {
            ui.vertical(|ui| {
                ui.label(format!("{title}  ({lo:+.2} … {hi:+.2})"));
                if let Some(cell) = thumb_ui(ui, &mut view.thumbs[k], job, sim, lo, hi, cmap, size) {
                    hovered = Some(cell);
                }
            });
        }
    });
    if let Some((i, j)) = hovered {
        egui::Tooltip::always_open(
            ui.ctx().clone(),
            ui.layer_id(),
            ui.make_persistent_id("compare-tip"),
            egui::PopupAnchor::Pointer,
        )
        .show(|ui| {
            ui.set_max_width(420.0);
            ui.label(&a.texts[i]);
            ui.label(&a.texts[j]);
            ui.monospace(format!(
                "A {:.3}   B {:.3}   B − A {:+.3}",
                a.sim.get(i, j),
                b.sim.get(i, j),
                cmp.diff.get(i, j)
            ));
        });
    }
}

#[expect(clippy::too_many_arguments, reason = "a private drawing helper")]
fn thumb_ui(
    ui: &mut egui::Ui,
    thumb: &mut Thumb,
    job: u64,
    sim: &crate::engine::SimMatrix,
    lo: f32,
    hi: f32,
    cmap: Colormap,
    size: f32,
) -> Option<(usize, usize)> {
    let key = (job, sim.n as u64, lo.to_bits(), hi.to_bits());
    if thumb.key != Some(key) || thumb.texture.is_none() {
        let max_side = ui.ctx().input(|i| i.max_texture_side).max(256);
        let (side, px) = matrix_pixels(sim, lo, hi, cmap, max_side, |c| Color32::from_rgb(c[0], c[1], c[2]));
        let image = egui::ColorImage::new([side, side], px);
        match &mut thumb.texture {
            Some(t) => t.set(image, TextureOptions::NEAREST),
            None => thumb.texture = Some(ui.ctx().load_texture("simlens-compare", image, TextureOptions::NEAREST)),
        }
        thumb.key = Some(key);
    }
    let (rect, resp) = ui.allocate_exact_size(Vec2::splat(size), Sense::hover());
    if let Some(t) = &thumb.texture {
        ui.painter().image(
            t.id(),
            rect,
            Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
            Color32::WHITE,
        );
    }
    ui.painter().rect_stroke(rect, 0.0, Stroke::new(1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Outside);
    let n = sim.n;
    resp.hover_pos().and_then(|p| {
        let rel = (p - rect.min) / size;
        let (i, j) = ((rel.y * n as f32) as usize, (rel.x * n as f32) as usize);
        if i < n && j < n {
            let cell = Rect::from_min_size(
                rect.min + vec2(j as f32, i as f32) * size / n as f32,
                Vec2::splat(size / n as f32),
            );
            ui.painter().rect_stroke(cell, 0.0, Stroke::new(1.5, Color32::WHITE), egui::StrokeKind::Inside);
            Some((i, j))
        } else {
            None
        }
    })
}
