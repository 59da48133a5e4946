//! The paraphrase-pairs view: every pair above a threshold, most similar first.

use std::sync::Arc;

use super::ctx::{ViewCtx, edit_view};
use crate::app::command::Command;
use crate::app::paint::waiting_ui;
use crate::app::result::{Computed, JobId};
use crate::app::task::{Task, TaskPoll};
use crate::engine::analysis::{Pair, PairScope, mine_pairs};
use crate::session::Tab;

/// The lowest threshold the slider offers; pairs are mined once at this level and the
/// slider filters them, so dragging it costs nothing.
const FLOOR: f32 = 0.5;
/// At most this many pairs are kept (the most similar).
const MAX_PAIRS: usize = 200_000;

/// What a mining run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MinedFor {
    job: JobId,
    scope: PairScope,
}

/// Mined pairs for one result and scope, and the mining in progress.
#[derive(Default)]
pub struct PairsView {
    mined: Option<(MinedFor, Vec<Pair>)>,
    mining: Option<(MinedFor, Task<Vec<Pair>>)>,
    /// The mining failed (or could not start), for this result and scope.
    failed: Option<(MinedFor, String)>,
}

impl PairsView {
    /// Starts mining in the background when the result or scope changed; picks up
    /// finished work. Returns the pairs when they are ready.
    fn pairs(&mut self, r: &Arc<Computed>, scope: PairScope, ctx: &egui::Context) -> Option<&[Pair]> {
        let want = MinedFor { job: r.job, scope };
        self.collect();
        let have = self.mined.as_ref().is_some_and(|(of, _)| *of == want);
        let running = self.mining.as_ref().is_some_and(|(of, _)| *of == want);
        let failed = self.failed.as_ref().is_some_and(|(of, _)| *of == want);
        if !have && !running && !failed {
            let r2 = r.clone();
            // Chunked: never the full matrix, so this works past the heatmap's limit.
            let task = Task::spawn("simlens-pairs", ctx, move |_| {
                Ok::<_, String>(mine_pairs(&r2.embeddings, &r2.table.groups, FLOOR, scope, MAX_PAIRS))
            });
            self.mining = Some((want, task));
            // A thread that could not start is said at once.
            self.collect();
        }
        self.mined.as_ref().filter(|(of, _)| *of == want).map(|(_, p)| p.as_slice())
    }

    /// Takes a finished mining run, or its failure.
    fn collect(&mut self) {
        let Some((of, task)) = &mut self.mining else { return };
        match task.poll() {
            TaskPoll::Running(_) => return,
            TaskPoll::Done(found) => self.mined = Some((*of, found)),
            TaskPoll::Failed(e) => self.failed = Some((*of, format!("Pairs could not be mined: {e}"))),
            TaskPoll::Idle => {}
        }
        self.mining = None;
    }

    /// Draws the pairs list with its threshold slider and scope switch.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx<'_>, r: &Arc<Computed>, out: &mut Vec<Command>) {
        let settings = &ctx.state.view;
        edit_view(ctx, out, |view| {
            ui.horizontal(|ui| {
                ui.label("Similarity at least");
                ui.add(egui::Slider::new(&mut view.pair_threshold, FLOOR..=1.0).fixed_decimals(2));
                ui.separator();
                ui.selectable_value(&mut view.pair_scope, PairScope::All, "all pairs");
                ui.selectable_value(&mut view.pair_scope, PairScope::Within, "within groups");
                ui.selectable_value(&mut view.pair_scope, PairScope::Across, "across groups");
            });
        });
        if let Some((of, e)) = &self.failed
            && *of == (MinedFor { job: r.job, scope: settings.pair_scope })
        {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
        let Some(all) = self.pairs(r, settings.pair_scope, ui.ctx()) else {
            waiting_ui(ui, "finding pairs…");
            return;
        };
        let shown: Vec<&Pair> = all.iter().take_while(|p| p.score >= settings.pair_threshold).collect();
        ui.label(format!(
            "{} pair(s) at or above {:.2}{}. Click one to select it in the heatmap.",
            shown.len(),
            settings.pair_threshold,
            if all.len() == MAX_PAIRS { " (the 200,000 most similar are kept)" } else { "" }
        ));
        ui.separator();
        let row_h = ui.spacing().interact_size.y * 2.0 + 6.0;
        egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(ui, row_h, shown.len(), |ui, range| {
            for p in &shown[range] {
                if pair_row(ui, r, p).clicked() {
                    out.push(Command::Select(p.i, p.j));
                    let mut view = settings.clone();
                    view.tab = Tab::Heatmap;
                    out.push(Command::SetView(Box::new(view)));
                }
            }
        });
    }
}

/// One pair: its score and both sentences with their groups; the whole row is clickable.
fn pair_row(ui: &mut egui::Ui, r: &Computed, p: &Pair) -> egui::Response {
    let resp = ui
        .horizontal(|ui| {
            ui.add(egui::Label::new(egui::RichText::new(format!("{:.3}", p.score)).monospace()).selectable(false));
            ui.vertical(|ui| {
                for k in [p.i, p.j] {
                    ui.horizontal(|ui| {
                        // Not selectable, so a click anywhere on the row selects the pair.
                        ui.add(
                            egui::Label::new(egui::RichText::new(format!("[{}]", r.table.group_of(k))).weak())
                                .selectable(false),
                        );
                        ui.add(egui::Label::new(&r.table.texts[k]).selectable(false));
                    });
                }
            });
        })
        .response
        .interact(egui::Sense::click());
    resp.on_hover_cursor(egui::CursorIcon::PointingHand)
}
