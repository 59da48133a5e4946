//! The Duplicates view: near-duplicate clusters at a threshold, biggest first, with what a
//! deduplication would drop and *Keep one of each* (one undo step).

use std::sync::Arc;

use super::ctx::{ViewCtx, edit_view, sentence_refs};
use crate::app::command::Command;
use crate::app::neighbours::{FLOOR, Facts, FactsKey, NeighbourFacts, Neighbours};
use crate::app::paint::waiting_ui;
use crate::app::result::Computed;
use crate::app::task::{Task, TaskPoll};
use crate::engine::duplicates::{Duplicates, Keep, Linkage, duplicates};
use crate::session::Tab;

/// Sentences listed under a cluster before "and N more".
const SHOWN_MEMBERS: usize = 6;

/// What a clustering is of.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ClusteredFor {
    facts: FactsKey,
    threshold: f32,
    complete: bool,
}

/// Duplicate clusters and their members, biggest cluster first.
pub struct Clustered {
    /// Per-row answers.
    pub dup: Duplicates,
    /// Each cluster's rows (representative first, then row order), biggest first.
    pub clusters: Vec<Vec<u32>>,
    /// Each cluster's different texts: a row that has it and how many rows do, the kept
    /// row's text first.
    variants: Vec<Vec<(u32, u32)>>,
    /// The list's lines, in order.
    lines: Vec<Line>,
}

/// A line of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// A cluster's heading.
    Head(u32),
    /// A cluster's k-th different text.
    Member(u32, u32),
    /// How many different texts are not shown.
    More(u32),
}

/// Clusters of the shown result at the chosen threshold, made on a background task.
#[derive(Default)]
pub struct DuplicatesView {
    ready: Option<(ClusteredFor, Arc<Clustered>)>,
    running: Option<(ClusteredFor, Task<Clustered>)>,
}

impl DuplicatesView {
    /// Draws the view; the neighbour facts come from the room shared with the map.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &ViewCtx<'_>,
        r: &Arc<Computed>,
        neighbours: &mut Neighbours,
        out: &mut Vec<Command>,
    ) {
        let settings = &ctx.state.view;
        edit_view(ctx, out, |view| {
            ui.horizontal(|ui| {
                ui.label("Duplicates at similarity ≥");
                ui.add(egui::Slider::new(&mut view.duplicate_threshold, FLOOR..=1.0).fixed_decimals(3));
                ui.separator();
                ui.checkbox(&mut view.complete_linkage, "no chains")
                    .on_hover_text("Complete linkage: every pair inside a cluster is at or above the threshold. Without it a cluster is every sentence linked by a chain of such pairs.");
            });
        });
        let facts = match neighbours.facts(ui.ctx(), r, settings.umap.params()) {
            Facts::Ready(f) => f,
            Facts::Working(stage) => {
                waiting_ui(ui, &format!("{}…", stage.label()));
                return;
            }
            Facts::Failed(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
                return;
            }
        };
        let want = ClusteredFor {
            facts: facts.key,
            threshold: settings.duplicate_threshold.max(FLOOR),
            complete: settings.complete_linkage,
        };
        let Some(found) = self.clustered(ui.ctx(), r, &facts, want) else {
            waiting_ui(ui, "clustering…");
            return;
        };
        let dropped = found.dup.dropped();
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} cluster(s) of near-duplicates; keeping one of each drops {} of {} sentences.",
                crate::render::count(found.clusters.len()),
                crate::render::count(dropped),
                crate::render::count(r.table.len())
            ));
            let refs = sentence_refs(ctx, r, &drop_rows(&found.dup));
            let keep = ui.add_enabled(refs.is_some() && dropped > 0, egui::Button::new("Keep one of each"));
            let keep = if refs.is_none() {
                keep.on_disabled_hover_text(
                    "The sentences changed since these clusters were found; wait for the new result.",
                )
            } else {
                keep.on_hover_text(
                    "Deletes every member but each cluster's most central sentence (undo puts them back).",
                )
            };
            if keep.clicked()
                && let Some(refs) = refs
            {
                out.push(Command::DeleteSentences(refs));
            }
        });
        if facts.pairs.dense_skipped > 0 {
            ui.weak(format!(
                "{} dense cluster(s) larger than {} were not scored pair by pair: some of their pairs may be missing.",
                facts.pairs.dense_skipped,
                crate::render::count(crate::engine::duplicates::DENSE_LIMIT)
            ));
        }
        ui.separator();
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
        // One line each: a cluster of 5,000 copies costs its shown members only.
        egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(
            ui,
            row_h,
            found.lines.len(),
            |ui, range| {
                for &line in &found.lines[range] {
                    line_ui(ui, r, &found, line, settings, out);
                }
            },
        );
    }

    /// The clusters for `want`, started on a task when not ready; `None` while it runs.
    fn clustered(
        &mut self,
        ctx: &egui::Context,
        r: &Arc<Computed>,
        facts: &Arc<NeighbourFacts>,
        want: ClusteredFor,
    ) -> Option<Arc<Clustered>> {
        if let Some((of, task)) = &mut self.running {
            match task.poll() {
                TaskPoll::Running(_) => {}
                TaskPoll::Done(c) => {
                    self.ready = Some((*of, Arc::new(c)));
                    self.running = None;
                }
                TaskPoll::Failed(e) => {
                    log::warn!("duplicate clusters: {e}");
                    self.running = None;
                }
                TaskPoll::Idle => self.running = None,
            }
        }
        let have = self.ready.as_ref().filter(|(of, _)| *of == want).map(|(_, c)| Arc::clone(c));
        if have.is_none() && !self.running.as_ref().is_some_and(|(of, _)| *of == want) {
            let (r, facts) = (Arc::clone(r), Arc::clone(facts));
            let task = Task::spawn("simlens-duplicates", ctx, move |_| {
                let t = std::time::Instant::now();
                let linkage = if want.complete { Linkage::Complete } else { Linkage::Single };
                let dup = duplicates(&r.embeddings, &facts.graph, &facts.pairs, want.threshold, linkage, Keep::Central);
                log::debug!("duplicate clusters: found in {:?}", t.elapsed());
                let listed = cluster_lists(dup, &r.table.texts);
                log::info!(
                    "duplicate clusters of {} rows at {}: {} in {:.2} s",
                    r.table.len(),
                    want.threshold,
                    listed.clusters.len(),
                    t.elapsed().as_secs_f64()
                );
                Ok::<_, String>(listed)
            });
            self.running = Some((want, task));
        }
        // While the new threshold's clusters are made, the last ones stay on screen.
        have.or_else(|| self.ready.as_ref().filter(|(of, _)| of.facts == want.facts).map(|(_, c)| Arc::clone(c)))
    }
}

/// Every cluster's rows, representative first, biggest cluster first (ties: first row).
fn cluster_lists(dup: Duplicates, texts: &[String]) -> Clustered {
    let mut clusters: Vec<Vec<u32>> = vec![Vec::new(); dup.clusters];
    for (row, c) in dup.cluster.iter().enumerate() {
        if let Some(c) = c {
            clusters[*c as usize].push(row as u32);
        }
    }
    for members in &mut clusters {
        let rep = dup.representative[members[0] as usize];
        members.sort_by_key(|&m| (m != rep, m));
    }
    clusters.sort_by_key(|m| (std::cmp::Reverse(m.len()), m.iter().min().copied()));
    // Each cluster's different texts, the kept one first, with how often each occurs: a
    // cluster of 100 copies of one sentence is one line, not a hundred.
    use rayon::prelude::*;
    let variants: Vec<Vec<(u32, u32)>> = clusters
        .par_iter()
        .map(|members| {
            let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
            let mut out: Vec<(u32, u32)> = Vec::new();
            for &m in members {
                let k = *at.entry(texts[m as usize].as_str()).or_insert_with(|| {
                    out.push((m, 0));
                    out.len() - 1
                });
                out[k].1 += 1;
            }
            out
        })
        .collect();
    let mut lines = Vec::new();
    for (c, v) in variants.iter().enumerate() {
        let c = c as u32;
        lines.push(Line::Head(c));
        lines.extend((0..v.len().min(SHOWN_MEMBERS) as u32).map(|k| Line::Member(c, k)));
        if v.len() > SHOWN_MEMBERS {
            lines.push(Line::More(c));
        }
    }
    Clustered { dup, clusters, variants, lines }
}

/// The rows *Keep one of each* deletes: every member that does not stand for its cluster.
fn drop_rows(dup: &Duplicates) -> Vec<usize> {
    (0..dup.representative.len()).filter(|&i| dup.representative[i] as usize != i).collect()
}

/// One line of the list: a cluster's heading (a click selects its first two sentences in
/// the heatmap), one of its sentences (the kept one marked), or how many more it has.
fn line_ui(
    ui: &mut egui::Ui,
    r: &Computed,
    found: &Clustered,
    line: Line,
    settings: &crate::session::ViewSettings,
    out: &mut Vec<Command>,
) {
    match line {
        Line::Head(c) => {
            let (members, variants) = (&found.clusters[c as usize], &found.variants[c as usize]);
            let head = ui.add(
                egui::Label::new(
                    egui::RichText::new(format!(
                        "Cluster {} · {} sentences · {} distinct",
                        c + 1,
                        crate::render::count(members.len()),
                        crate::render::count(variants.len())
                    ))
                    .strong(),
                )
                .sense(egui::Sense::click()),
            );
            if head.on_hover_text("Select its first two sentences in the heatmap").clicked() && members.len() >= 2 {
                out.push(Command::Select(members[0] as usize, members[1] as usize));
                let mut view = settings.clone();
                view.tab = Tab::Heatmap;
                out.push(Command::SetView(Box::new(view)));
            }
        }
        Line::Member(c, k) => {
            let (m, copies) = found.variants[c as usize][k as usize];
            let m = m as usize;
            ui.horizontal(|ui| {
                ui.add_space(12.0);
                let mark = if k == 0 { "keep" } else { "drop" };
                ui.add(egui::Label::new(egui::RichText::new(mark).small().weak()).selectable(false));
                ui.weak(format!("[{}]", r.table.group_of(m)));
                ui.label(crate::render::truncate(&r.table.texts[m], 160));
                if copies > 1 {
                    ui.weak(format!("× {}", crate::render::count(copies as usize)));
                }
            });
        }
        Line::More(c) => {
            let v = &found.variants[c as usize];
            let rows: u32 = v[SHOWN_MEMBERS..].iter().map(|x| x.1).sum();
            ui.weak(format!(
                "      and {} more distinct ({} sentences)",
                crate::render::count(v.len() - SHOWN_MEMBERS),
                crate::render::count(rows as usize)
            ));
        }
    }
}
