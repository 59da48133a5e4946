//! The paraphrase-pairs view: every pair above a threshold, most similar first.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use super::Command;
use super::worker::Computed;
use crate::engine::analysis::{Pair, PairScope, mine_pairs};
use crate::session::{Tab, ViewSettings};

/// The lowest threshold the slider offers; pairs are mined once at this level and the
/// slider filters them, so dragging it costs nothing.
const FLOOR: f32 = 0.5;
/// At most this many pairs are kept (the most similar).
const MAX_PAIRS: usize = 200_000;

/// Mined pairs for one result and scope, and the mining in progress.
#[derive(Default)]
pub struct PairsView {
    mined: Option<(u64, PairScope, Vec<Pair>)>,
    pending: Option<(u64, PairScope, Receiver<Vec<Pair>>)>,
}

impl PairsView {
    /// Starts mining in the background when the result or scope changed; picks up
    /// finished work. Returns the pairs when they are ready.
    fn pairs(&mut self, r: &Arc<Computed>, scope: PairScope, ctx: &egui::Context) -> Option<&[Pair]> {
        if let Some((job, s, rx)) = &self.pending
            && let Ok(found) = rx.try_recv()
        {
            self.mined = Some((*job, *s, found));
            self.pending = None;
        }
        let fresh = |j: u64, s: PairScope| j == r.job && s == scope;
        let have = self.mined.as_ref().is_some_and(|(j, s, _)| fresh(*j, *s));
        let running = self.pending.as_ref().is_some_and(|(j, s, _)| fresh(*j, *s));
        if !have && !running {
            let (tx, rx) = channel();
            let r2 = r.clone();
            let ctx = ctx.clone();
            std::thread::Builder::new()
                .name("simlens-pairs".into())
                .spawn(move || {
                    // Chunked: never the full matrix, so this works past the heatmap's limit.
                    tx.send(mine_pairs(&r2.embeddings, &r2.groups, FLOOR, scope, MAX_PAIRS)).ok();
                    ctx.request_repaint();
                })
                .ok();
            self.pending = Some((r.job, scope, rx));
        }
        self.mined.as_ref().filter(|(j, s, _)| fresh(*j, *s)).map(|(_, _, p)| p.as_slice())
    }
}

/// Draws the pairs list with its threshold slider and scope switch.
pub fn pairs_ui(
    ui: &mut egui::Ui,
    view: &mut PairsView,
    r: &Arc<Computed>,
    settings: &mut ViewSettings,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.label("Similarity at least");
        ui.add(egui::Slider::new(&mut settings.pair_threshold, FLOOR..=1.0).fixed_decimals(2));
        ui.separator();
        ui.selectable_value(&mut settings.pair_scope, PairScope::All, "all pairs");
        ui.selectable_value(&mut settings.pair_scope, PairScope::Within, "within groups");
        ui.selectable_value(&mut settings.pair_scope, PairScope::Across, "across groups");
    });
    let Some(all) = view.pairs(r, settings.pair_scope, ui.ctx()) else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("finding pairs…");
        });
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
            let resp = ui
                .horizontal(|ui| {
                    ui.add(
                        egui::Label::new(egui::RichText::new(format!("{:.3}", p.score)).monospace()).selectable(false),
                    );
                    ui.vertical(|ui| {
                        for k in [p.i, p.j] {
                            ui.horizontal(|ui| {
                                // Not selectable, so a click anywhere on the row selects the pair.
                                ui.add(
                                    egui::Label::new(
                                        egui::RichText::new(format!("[{}]", r.group_names[r.groups[k]])).weak(),
                                    )
                                    .selectable(false),
                                );
                                ui.add(egui::Label::new(&r.texts[k]).selectable(false));
                            });
                        }
                    });
                })
                .response
                .interact(egui::Sense::click());
            if resp.clicked() {
                commands.push(Command::Select(p.i, p.j));
                settings.tab = Tab::Heatmap;
            }
            resp.on_hover_cursor(egui::CursorIcon::PointingHand);
        }
    });
}
