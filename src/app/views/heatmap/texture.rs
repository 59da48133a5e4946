//! The heatmap's texture: built once per result and look, patched row by row after small
//! edits, and refined from a background thread past [`PREVIEW_SIDE`] rows.

use std::sync::Arc;

use egui::{Color32, TextureHandle, TextureOptions};

use crate::app::paint::{matrix_image, max_texture_side, rgb, upload};
use crate::app::result::{Computed, JobId};
use crate::app::task::{Task, TaskPoll};
use crate::engine::SimMatrix;
use crate::render::Colormap;

/// Past this many rows, the full-resolution texture is built in the background and a
/// preview of at most this many pixels a side is shown meanwhile.
const PREVIEW_SIDE: usize = 2048;

/// What the texture shows: a job's matrix in a colour range, colormap and order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextureKey {
    /// The result's job.
    pub job: JobId,
    /// Colour range.
    pub lo: f32,
    /// Colour range.
    pub hi: f32,
    /// Colour map.
    pub cmap: Colormap,
    /// Rows and columns in a clustering order.
    pub permuted: bool,
}

impl TextureKey {
    /// Same colours and order, whatever the job: a patch can be drawn into the texture.
    fn same_look(&self, other: &TextureKey) -> bool {
        (self.lo, self.hi, self.cmap, self.permuted) == (other.lo, other.hi, other.cmap, other.permuted)
    }
}

/// Rows (= columns) changed by patches since the texture was drawn, and the job that
/// brings them up to date.
struct PendingRows {
    job: JobId,
    rows: Vec<usize>,
}

/// A full-resolution texture on its way from a background thread.
struct Refining {
    /// What it was built for.
    key: TextureKey,
    task: Task<egui::ColorImage>,
    /// Rows patched since it started, to draw again once it lands.
    rows: Vec<usize>,
}

/// The texture and what is under way for it.
#[derive(Default)]
pub struct HeatmapTexture {
    texture: Option<TextureHandle>,
    key: Option<TextureKey>,
    pending: Option<PendingRows>,
    refining: Option<Refining>,
    /// Why the background build could not start, until shown.
    note: Option<String>,
}

impl HeatmapTexture {
    /// A problem to tell the user about, once.
    pub fn take_note(&mut self) -> Option<String> {
        self.note.take()
    }

    /// Forces the texture to be rebuilt on the next frame.
    pub fn invalidate(&mut self) {
        self.key = None;
        self.pending = None;
    }

    /// Whether the texture is at its final resolution (no background build pending).
    pub fn is_final(&self) -> bool {
        self.refining.is_none()
    }

    /// The result became `job` by changing sentences `changed`: only their rows and
    /// columns of the texture are redrawn.
    pub fn patched(&mut self, job: JobId, changed: &[usize]) {
        if self.key.is_none() {
            return;
        }
        let mut rows = self.pending.take().map(|p| p.rows).unwrap_or_default();
        rows.extend_from_slice(changed);
        self.pending = Some(PendingRows { job, rows });
    }

    /// The texture for `key`, showing `sim` (the result's matrix, or its permutation):
    /// patched rows are drawn in place, a finished background build is taken, and a new
    /// key builds the texture again.
    pub fn update(
        &mut self,
        ctx: &egui::Context,
        r: &Arc<Computed>,
        sim: &SimMatrix,
        key: TextureKey,
    ) -> Option<&TextureHandle> {
        let n = sim.n;
        let paint_rows = |texture: &mut TextureHandle, rows: &[usize]| {
            // One row and one column of pixels per changed sentence.
            let color = crate::render::cell_color(key.lo, key.hi, key.cmap, rgb);
            for &i in rows {
                let pixels: Vec<Color32> = sim.row(i).iter().map(|&v| color(v)).collect();
                texture.set_partial([0, i], egui::ColorImage::new([n, 1], pixels.clone()), TextureOptions::NEAREST);
                texture.set_partial([i, 0], egui::ColorImage::new([1, n], pixels), TextureOptions::NEAREST);
            }
        };
        if let Some(p) = self.pending.take()
            && p.job == key.job
            && !key.permuted
            && self.key.is_some_and(|k| k.same_look(&key))
        {
            if let Some(refining) = self.refining.as_mut().filter(|f| f.key.same_look(&key)) {
                // The preview stays until the full texture lands; these rows are redrawn then.
                refining.rows.extend(p.rows);
                self.key = Some(key);
            } else if let Some(texture) = self.texture.as_mut().filter(|t| t.size() == [n, n]) {
                paint_rows(texture, &p.rows);
                self.key = Some(key);
            }
        }
        if let Some(refining) = &self.refining {
            if !refining.key.same_look(&key) || self.key != Some(key) {
                self.refining = None;
            } else {
                self.take_refined(&paint_rows);
            }
        }
        if self.key != Some(key) || self.texture.is_none() {
            self.rebuild(ctx, r, sim, key);
        }
        self.texture.as_ref()
    }

    /// Takes the finished full-resolution texture, or says once why there is none.
    fn take_refined(&mut self, paint_rows: &dyn Fn(&mut TextureHandle, &[usize])) {
        let Some(refining) = self.refining.as_mut() else { return };
        match refining.task.poll() {
            TaskPoll::Running(_) => return,
            TaskPoll::Done(image) => {
                if let Some(t) = &mut self.texture {
                    // Built from the result as it was; rows patched since are drawn again.
                    t.set(image, TextureOptions::NEAREST);
                    paint_rows(t, &refining.rows);
                }
            }
            // The preview stays: a coarser picture, never a missing one.
            TaskPoll::Failed(e) => {
                self.note = Some(format!("The full-resolution heatmap could not be built ({e}); a preview is shown."))
            }
            TaskPoll::Idle => {}
        }
        self.refining = None;
    }

    /// Draws the texture anew. A large matrix shows a preview at once; its full
    /// resolution follows from a background thread.
    fn rebuild(&mut self, ctx: &egui::Context, r: &Arc<Computed>, sim: &SimMatrix, key: TextureKey) {
        let max_side = max_texture_side(ctx);
        let refine = !key.permuted && sim.n > PREVIEW_SIDE && max_side > PREVIEW_SIDE;
        let side_now = if refine { PREVIEW_SIDE } else { max_side };
        upload(&mut self.texture, ctx, "simlens-heatmap", matrix_image(sim, key.lo, key.hi, key.cmap, side_now));
        self.key = Some(key);
        self.refining = None;
        if !refine {
            return;
        }
        let r = Arc::clone(r);
        let task = Task::spawn("simlens-heatmap", ctx, move |_| {
            let sim = r.sim.as_ref().ok_or("the result has no matrix")?;
            Ok::<_, &str>(matrix_image(sim, key.lo, key.hi, key.cmap, max_side))
        });
        self.refining = Some(Refining { key, task, rows: Vec::new() });
        // A thread that could not start is said at once.
        self.take_refined(&|_, _| {});
    }
}
