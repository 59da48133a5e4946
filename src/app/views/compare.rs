//! Comparing two configurations (model, pooling) on the same sentences: both heatmaps,
//! their difference, and the rank correlation of their similarities.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Color32, Rect, Sense, Stroke, TextureHandle, Vec2, vec2};

use super::ctx::ViewCtx;
use crate::app::command::Command;
use crate::app::paint::{matrix_image, max_texture_side, pointer_tooltip, range_of, truncate, upload, waiting_ui};
use crate::app::result::{Computed, JobId};
use crate::app::task::{Task, TaskPoll};
use crate::app::worker::{EmbedJob, ModelChoice, Request, Response, Worker};
use crate::engine::analysis::{Comparison, compare};
use crate::engine::{BUNDLED_MODEL, ModelInfo, Pooling, SimMatrix};
use crate::render::Colormap;

/// Which two answers a comparison is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pairing {
    a: JobId,
    b: JobId,
}

/// Configuration B and everything needed to show the comparison.
#[derive(Default)]
pub struct CompareView {
    worker: Option<Worker>,
    /// The folder and graph B was loaded from (`None` for nothing loaded yet).
    loaded: Option<ModelChoice>,
    model: Option<Result<ModelInfo, String>>,
    result: Option<Arc<Computed>>,
    /// The A job that B's running job answers.
    pending_for: Option<JobId>,
    next_job: JobId,
    comparison: Option<(Pairing, Arc<Comparison>)>,
    computing: Option<(Pairing, Task<Option<Comparison>>)>,
    thumbs: [Thumb; 3],
    error: Option<String>,
}

/// What a thumbnail shows: which matrix (A, B or the difference of a pairing), its size
/// and colour range.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ThumbKey {
    shows: Pairing,
    n: usize,
    lo: f32,
    hi: f32,
}

#[derive(Default)]
struct Thumb {
    texture: Option<TextureHandle>,
    key: Option<ThumbKey>,
}

/// One of the three matrices to draw.
struct Panel<'a> {
    title: &'static str,
    sim: &'a SimMatrix,
    lo: f32,
    hi: f32,
    cmap: Colormap,
    key: Pairing,
}

/// B's pooling: the chosen one if B's model allows it, else its default.
fn pooling_b(model: Option<&Result<ModelInfo, String>>, chosen: Option<Pooling>) -> Pooling {
    match (model, chosen) {
        (Some(Ok(info)), Some(p)) if info.poolings.contains(&p) => p,
        (Some(Ok(info)), _) => info.default_pooling,
        (_, Some(p)) => p,
        _ => Pooling::Mean,
    }
}

impl CompareView {
    /// Keeps B loaded, embedded on A's sentences, and the comparison computed.
    fn update(&mut self, ctx: &egui::Context, view: &ViewCtx<'_>, dir_b: PathBuf, a: &Arc<Computed>) {
        if self.worker.is_none() && self.error.is_none() {
            let repaint = ctx.clone();
            let options = view.options;
            match Worker::spawn(options.loader.clone(), options.cache_dir.clone(), move || repaint.request_repaint()) {
                Ok(w) => self.worker = Some(w),
                Err(e) => self.error = Some(format!("B's embedding thread could not start: {e}")),
            }
        }
        let Some(worker) = &self.worker else { return };
        let choice = ModelChoice { dir: dir_b, precision: view.state.compare_precision.clone() };
        if self.loaded.as_ref() != Some(&choice) {
            worker.send(Request::Load(choice.clone()));
            self.loaded = Some(choice);
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
                // B's jobs never ask for patches, tokens, queries, scores or vectors files.
                Response::Patched(_)
                | Response::VectorsSentences { .. }
                | Response::Progress { .. }
                | Response::Tokens(..)
                | Response::Explained(..)
                | Response::Note(_)
                | Response::GroupsExplained(..)
                | Response::Query { .. }
                | Response::ScoreProgress { .. }
                | Response::Scored { .. } => {}
            }
        }
        let Some(Ok(info)) = &self.model else { return };
        let pooling = pooling_b(self.model.as_ref(), view.state.compare_pooling);
        let stale = self.result.as_ref().is_none_or(|b| {
            b.table.texts != a.table.texts || b.pooling != pooling || b.model.fingerprint != info.fingerprint
        });
        if stale && self.pending_for != Some(a.job) && self.error.is_none() {
            self.next_job = self.next_job.next();
            worker.send(Request::Embed(EmbedJob {
                id: self.next_job,
                table: a.table.clone(),
                pooling,
                map: false,
                cluster: false,
                // B's answers are always whole.
                patch_base: None,
            }));
            self.pending_for = Some(a.job);
        }
        self.update_comparison(ctx, a);
    }

    /// The comparison (a sort of N²/2 values) runs off the UI thread.
    fn update_comparison(&mut self, ctx: &egui::Context, a: &Arc<Computed>) {
        self.collect();
        let Some(b) = self.result.clone().filter(|b| b.table.texts == a.table.texts) else { return };
        let (Some(sa), Some(sb)) = (&a.sim, &b.sim) else { return };
        if sa.n < 3 || sb.n != sa.n {
            return;
        }
        let key = Pairing { a: a.job, b: b.job };
        let have = self.comparison.as_ref().is_some_and(|(k, _)| *k == key);
        let running = self.computing.as_ref().is_some_and(|(k, _)| *k == key);
        if have || running {
            return;
        }
        let a2 = a.clone();
        let task = Task::spawn("simlens-compare", ctx, move |_| match (&a2.sim, &b.sim) {
            (Some(sa), Some(sb)) => Ok(compare(sa, sb)),
            _ => Err("a matrix is missing"),
        });
        self.computing = Some((key, task));
        // A thread that could not start is said at once.
        self.collect();
    }

    /// Takes a finished comparison, or its failure.
    fn collect(&mut self) {
        let Some((key, task)) = &mut self.computing else { return };
        match task.poll() {
            TaskPoll::Running(_) => return,
            TaskPoll::Done(c) => self.comparison = c.map(|c| (*key, Arc::new(c))),
            TaskPoll::Failed(e) => self.error = Some(format!("The comparison could not start: {e}")),
            TaskPoll::Idle => {}
        }
        self.computing = None;
    }

    /// Draws the comparison tab.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, a: &Arc<Computed>, out: &mut Vec<Command>) {
        let chosen = ctx.state.compare_model.clone();
        let dir_b = chosen.clone().unwrap_or_else(|| ctx.options.bundled_model.clone());
        self.update(ui.ctx(), ctx, dir_b.clone(), a);
        self.chooser_ui(ui, ctx, a, &dir_b, out);
        if !self.ready_ui(ui, a) {
            return;
        }
        let b = self.result.clone().filter(|b| b.table.texts == a.table.texts);
        let cmp = b.as_ref().and_then(|b| {
            self.comparison.clone().filter(|(k, _)| *k == Pairing { a: a.job, b: b.job }).map(|(_, c)| c)
        });
        let (Some(b), Some(cmp)) = (b, cmp) else {
            waiting_ui(ui, "embedding with B and comparing…");
            return;
        };
        self.comparison_ui(ui, ctx, a, &b, &cmp);
    }

    /// A, and B's model and pooling pickers.
    fn chooser_ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, a: &Computed, dir_b: &Path, out: &mut Vec<Command>) {
        let chosen = &ctx.state.compare_model;
        ui.horizontal(|ui| {
            ui.strong("A");
            ui.label(format!("{} · {} · {}", a.model.name, a.pooling, a.model.precision));
            ui.separator();
            ui.strong("B");
            let name = |d: &Path| d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            egui::ComboBox::from_id_salt("compare-model").selected_text(name(dir_b)).show_ui(ui, |ui| {
                if ui.selectable_label(chosen.is_none(), format!("Bundled: {BUNDLED_MODEL}")).clicked() {
                    out.push(Command::UseCompareModel(None));
                }
                for d in &ctx.state.recent_models {
                    if ui.selectable_label(chosen.as_ref() == Some(d), d.display().to_string()).clicked() {
                        out.push(Command::UseCompareModel(Some(d.clone())));
                    }
                }
                if ui.button("Open model folder…").clicked() {
                    out.push(Command::PickCompareModel);
                }
            });
            let poolings = match &self.model {
                Some(Ok(info)) => info.poolings.clone(),
                _ => Vec::new(),
            };
            let current = pooling_b(self.model.as_ref(), ctx.state.compare_pooling);
            egui::ComboBox::from_id_salt("compare-pooling").selected_text(current.as_str()).show_ui(ui, |ui| {
                for p in Pooling::ALL {
                    let button = egui::Button::selectable(current == p, p.as_str());
                    if ui.add_enabled(poolings.contains(&p), button).clicked() {
                        out.push(Command::SetComparePooling(Some(p)));
                        self.error = None;
                    }
                }
            });
            let shipped = match &self.model {
                Some(Ok(info)) => info.shipped.clone(),
                _ => Vec::new(),
            };
            let chosen = &ctx.state.compare_precision;
            if let Some(p) = crate::app::chrome::precision_choice(ui, "compare-precision", None, chosen, &shipped) {
                out.push(Command::SetComparePrecision(p));
                self.error = None;
            }
        });
    }

    /// Says why there is nothing to compare yet; `true` when there is.
    fn ready_ui(&mut self, ui: &mut egui::Ui, a: &Computed) -> bool {
        match &self.model {
            None if self.error.is_none() => {
                waiting_ui(ui, "loading B…");
                return false;
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("B could not be loaded: {e}"));
                return false;
            }
            _ => {}
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
            if ui.button("Retry").clicked() {
                self.error = None;
            }
            return false;
        }
        if a.matrix_len() < 3 || a.matrix_len() != a.table.len() {
            ui.label("Comparing needs at least 3 sentences and a full matrix (at most 12,000 sentences).");
            return false;
        }
        true
    }

    /// The figures, the three thumbnails and a tooltip for the hovered cell.
    fn comparison_ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, a: &Computed, b: &Computed, cmp: &Comparison) {
        let (Some(sa), Some(sb)) = (&a.sim, &b.sim) else { return };
        let (d, i, j) = cmp.max_abs_diff;
        ui.label(
            egui::RichText::new(format!("Spearman rank correlation of the pair similarities: {:.3}", cmp.spearman))
                .strong(),
        )
        .on_hover_text("Off-diagonal entries, each pair once. 1 = both rank the pairs the same way.");
        ui.label(format!(
            "mean |B − A| = {:.3}; largest {d:.3} for “{}” / “{}”",
            cmp.mean_abs_diff,
            truncate(&a.table.texts[i], 40),
            truncate(&a.table.texts[j], 40)
        ));
        ui.separator();
        let (lo, hi) = range_of(a, ctx.state.view.range);
        let span = d.max(1e-3);
        let size = ((ui.available_width() - 40.0) / 3.0).min(ui.available_height() - 60.0).max(80.0);
        let cmap = ctx.state.view.colormap;
        let pairing = Pairing { a: a.job, b: b.job };
        let panels = [
            Panel { title: "A", sim: sa, lo, hi, cmap, key: Pairing { a: a.job, b: a.job } },
            Panel { title: "B", sim: sb, lo, hi, cmap, key: Pairing { a: b.job, b: b.job } },
            Panel { title: "B − A", sim: &cmp.diff, lo: -span, hi: span, cmap: Colormap::Diverging, key: pairing },
        ];
        let mut hovered = None;
        ui.horizontal(|ui| {
            for (thumb, panel) in self.thumbs.iter_mut().zip(&panels) {
                ui.vertical(|ui| {
                    ui.label(format!("{}  ({:+.2} … {:+.2})", panel.title, panel.lo, panel.hi));
                    if let Some(cell) = thumb_ui(ui, thumb, panel, size) {
                        hovered = Some(cell);
                    }
                });
            }
        });
        if let Some((i, j)) = hovered {
            pointer_tooltip(ui, "compare-tip", |ui| {
                ui.label(&a.table.texts[i]);
                ui.label(&a.table.texts[j]);
                ui.monospace(format!(
                    "A {:.3}   B {:.3}   B − A {:+.3}",
                    sa.get(i, j),
                    sb.get(i, j),
                    cmp.diff.get(i, j)
                ));
            });
        }
    }
}

/// One thumbnail; returns the hovered cell.
fn thumb_ui(ui: &mut egui::Ui, thumb: &mut Thumb, panel: &Panel<'_>, size: f32) -> Option<(usize, usize)> {
    let sim = panel.sim;
    let key = ThumbKey { shows: panel.key, n: sim.n, lo: panel.lo, hi: panel.hi };
    if thumb.key != Some(key) || thumb.texture.is_none() {
        let image = matrix_image(sim, panel.lo, panel.hi, panel.cmap, max_texture_side(ui.ctx()));
        upload(&mut thumb.texture, ui.ctx(), "simlens-compare", image);
        thumb.key = Some(key);
    }
    let (rect, resp) = ui.allocate_exact_size(Vec2::splat(size), Sense::hover());
    if let Some(t) = &thumb.texture {
        let uv = Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        ui.painter().image(t.id(), rect, uv, Color32::WHITE);
    }
    ui.painter().rect_stroke(rect, 0.0, Stroke::new(1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Outside);
    let n = sim.n;
    let p = resp.hover_pos()?;
    let rel = (p - rect.min) / size;
    let (i, j) = ((rel.y * n as f32) as usize, (rel.x * n as f32) as usize);
    if i >= n || j >= n {
        return None;
    }
    let cell = Rect::from_min_size(rect.min + vec2(j as f32, i as f32) * size / n as f32, Vec2::splat(size / n as f32));
    ui.painter().rect_stroke(cell, 0.0, Stroke::new(1.5, Color32::WHITE), egui::StrokeKind::Inside);
    Some((i, j))
}
