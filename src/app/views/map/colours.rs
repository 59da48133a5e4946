//! What colours the map's points: each sentence's group, or a score (near-duplicate,
//! outlier) on a ramp with its colour bar; made once per result and colouring, and shared
//! with the splat thread.

use std::sync::Arc;

use egui::{Color32, Rect, Sense, pos2, vec2};

use super::MapView;
use crate::app::neighbours::{Facts, Neighbours};
use crate::app::paint::group_color;
use crate::app::result::{Computed, JobId};
use crate::app::views::ctx::ViewCtx;
use crate::session::MapColour;

/// Each point's colour class (its group, or its score's step on a ramp) and the classes'
/// colours, for one result and colouring.
pub(super) struct Colours {
    pub(super) job: JobId,
    /// What the classes are: the groups, or a score.
    pub(super) by: MapColour,
    pub(super) groups: Arc<Vec<usize>>,
    pub(super) colors: Arc<Vec<Color32>>,
    /// Sentences per group, for the legend.
    pub(super) counts: Vec<usize>,
    /// A score's ramp, for the colour bar.
    pub(super) ramp: Option<Ramp>,
}

/// A score coloured on a ramp: its name, range and values.
pub(super) struct Ramp {
    pub(super) name: &'static str,
    pub(super) lo: f32,
    pub(super) hi: f32,
    /// Each point's score, for the hover.
    pub(super) values: Vec<Option<f32>>,
}

/// Steps of a score's ramp.
const RAMP_STEPS: usize = 64;

/// A score per point and what it is called.
pub(super) struct Scores {
    pub(super) by: MapColour,
    pub(super) name: &'static str,
    pub(super) values: Vec<Option<f32>>,
}

impl MapView {
    /// The scores the colouring asks for, when they are ready; a note while they are made.
    pub(super) fn scores_wanted(
        &self,
        ui: &mut egui::Ui,
        ctx: &ViewCtx<'_>,
        r: &Arc<Computed>,
        neighbours: &mut Neighbours,
    ) -> Option<Scores> {
        let by = ctx.state.view.map_colour;
        if by == MapColour::Groups {
            return None;
        }
        if self.colours.as_ref().is_some_and(|c| c.job == r.job && c.by == by) {
            // Made already: the facts are not needed again.
            return Some(Scores { by, name: "", values: Vec::new() });
        }
        match neighbours.facts(ui.ctx(), r, ctx.state.view.umap.params()) {
            Facts::Ready(f) => {
                let (name, values) = match by {
                    MapColour::NearDuplicate => ("near-duplicate score", f.near_duplicate.clone()),
                    _ => ("outlier score", f.outliers.score.clone()),
                };
                Some(Scores { by, name, values })
            }
            Facts::Working(stage) => {
                crate::app::paint::waiting_ui(ui, &format!("Colouring by score: {}…", stage.label()));
                None
            }
            Facts::Failed(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
                None
            }
        }
    }

    /// Each point's colour class and the classes' colours, made once per result and
    /// colouring: the groups, or `scores` on a ramp.
    pub(super) fn colours_of(&mut self, r: &Computed, scores: Option<Scores>) {
        let by = scores.as_ref().map_or(MapColour::Groups, |s| s.by);
        let fresh =
            self.colours.as_ref().is_some_and(|c| c.job == r.job && c.by == by && c.groups.len() == r.table.len());
        if fresh {
            return;
        }
        let mut counts = vec![0usize; r.table.group_names.len()];
        for &g in &r.table.groups {
            counts[g] += 1;
        }
        self.colours = Some(match scores.filter(|s| s.values.len() == r.table.len()) {
            None => Colours {
                job: r.job,
                by: MapColour::Groups,
                groups: Arc::new(r.table.groups.clone()),
                colors: Arc::new((0..r.table.group_names.len()).map(group_color).collect()),
                counts,
                ramp: None,
            },
            Some(s) => {
                let present = s.values.iter().flatten();
                let lo = present.clone().copied().fold(f32::INFINITY, f32::min);
                let hi = present.copied().fold(f32::NEG_INFINITY, f32::max);
                let (lo, hi) = if lo < hi { (lo, hi) } else { (lo.min(0.0), hi.max(1.0)) };
                // Class RAMP_STEPS is "no score": grey.
                let classes = s
                    .values
                    .iter()
                    .map(|v| match v {
                        Some(v) => (((v - lo) / (hi - lo)) * (RAMP_STEPS - 1) as f32)
                            .round()
                            .clamp(0.0, (RAMP_STEPS - 1) as f32) as usize,
                        None => RAMP_STEPS,
                    })
                    .collect();
                let mut colors: Vec<Color32> =
                    (0..RAMP_STEPS).map(|k| ramp_color(k as f32 / (RAMP_STEPS - 1) as f32)).collect();
                colors.push(Color32::from_gray(110));
                Colours {
                    job: r.job,
                    by: s.by,
                    groups: Arc::new(classes),
                    colors: Arc::new(colors),
                    counts,
                    ramp: Some(Ramp { name: s.name, lo, hi, values: s.values }),
                }
            }
        });
    }

    /// The colour classes and colours made by [`Self::colours_of`], shared with the splat thread.
    pub(super) fn shared_colours(&self) -> (Arc<Vec<usize>>, Arc<Vec<Color32>>) {
        match &self.colours {
            Some(c) => (Arc::clone(&c.groups), Arc::clone(&c.colors)),
            None => (Arc::new(Vec::new()), Arc::new(Vec::new())),
        }
    }
}

/// The score ramp (viridis): dark for low, bright for high.
fn ramp_color(t: f32) -> Color32 {
    crate::app::paint::rgb(crate::render::Colormap::Viridis.rgb(t))
}

/// A score's colour bar: its name, the low end, the ramp, the high end.
pub(super) fn ramp_legend(ui: &mut egui::Ui, ramp: &Ramp) {
    ui.horizontal(|ui| {
        ui.label(format!("{}:", ramp.name));
        // + 0.0: a low end of -0 reads as 0.
        ui.weak(format!("{:.3}", ramp.lo + 0.0));
        let (rect, _) = ui.allocate_exact_size(vec2(160.0, 10.0), Sense::hover());
        let steps = 32;
        for k in 0..steps {
            let x0 = rect.left() + rect.width() * k as f32 / steps as f32;
            let x1 = rect.left() + rect.width() * (k + 1) as f32 / steps as f32;
            let r = Rect::from_min_max(pos2(x0, rect.top()), pos2(x1, rect.bottom()));
            ui.painter().rect_filled(r, 0.0, ramp_color(k as f32 / (steps - 1) as f32));
        }
        ui.weak(format!("{:.3}", ramp.hi));
    });
}

/// Group colours, names and sizes, for the first 40 groups.
pub(super) fn legend(ui: &mut egui::Ui, r: &Computed, counts: &[usize]) {
    ui.horizontal_wrapped(|ui| {
        for (g, name) in r.table.group_names.iter().enumerate().take(40) {
            let (rect, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
            ui.painter().rect_filled(rect, 2.0, group_color(g));
            ui.label(format!("{name} ({})", counts[g]));
        }
        if r.table.group_names.len() > 40 {
            ui.weak(format!("and {} more groups", r.table.group_names.len() - 40));
        }
    });
}
