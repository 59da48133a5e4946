//! The explorer past its exact limits, driven headless: the UMAP map with its progress
//! and Cancel, box selection that becomes a group, the block-mean heatmap, and vectors
//! opened from a file in place of a model.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ui_common;

use std::sync::Arc;
use std::time::Duration;

use egui_kittest::kittest::Queryable as _;
use egui_kittest::{Harness, HarnessBuilder};
use simlens::app::worker::Loader;
use simlens::app::{AppOptions, Command, ModelStatus, SimlensApp};
use simlens::engine::fake::FakeEmbedder;
use simlens::io::{Group, SentenceSet};
use simlens::session::{MapMethod, Order, State, Tab};
use ui_common::wait_until;

fn options() -> AppOptions {
    let fake = FakeEmbedder::new("fake-model", 48);
    let loader: Loader = Arc::new(move |_: &std::path::Path, _: &simlens::engine::Precision| {
        Ok(Box::new(fake.clone()) as Box<dyn simlens::engine::Embedder>)
    });
    AppOptions {
        loader,
        session_path: None,
        debounce: Duration::ZERO,
        bundled_model: "fake-model".into(),
        cache_dir: None,
    }
}

/// `n` sentences in four groups, each group with its own words (so the fake's bag of
/// words clusters them).
fn topics(n: usize) -> SentenceSet {
    let words = [
        ["rain", "storm", "cloud", "wind", "snow"],
        ["phone", "screen", "battery", "camera", "charger"],
        ["bread", "cheese", "soup", "apple", "pasta"],
        ["train", "ticket", "airport", "hotel", "passport"],
    ];
    let mut set = SentenceSet::default();
    for (g, w) in words.iter().enumerate() {
        let sentences =
            (0..n / 4).map(|i| format!("{} {} {} number {i}", w[i % 5], w[(i / 5) % 5], w[(i / 25) % 5])).collect();
        set.groups.push(Group { name: format!("topic {g}"), sentences });
    }
    set
}

fn harness(state: State) -> Harness<'static, SimlensApp> {
    let app = SimlensApp::with_state(state, options(), vec![]);
    HarnessBuilder::default()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_accessibility_check(false)
        .build_ui_state(|ui, app: &mut SimlensApp| app.ui(ui), app)
}

fn shows(h: &Harness<'_, SimlensApp>, text: &str) -> bool {
    h.query_by_label_contains(text).is_some()
}

#[test]
fn umap_replaces_pca_when_ready_and_cancel_keeps_what_is_shown() {
    let mut state = State { set: topics(2_000), ..State::default() };
    state.view.tab = Tab::Map;
    let mut h = harness(state);
    wait_until(&mut h, "the PCA map", Duration::from_secs(30), |h| shows(h, "PCA of 2,000 vectors"));
    // Cancel: the PCA stays on screen and the choice goes back to it.
    h.get_by_label("UMAP").click();
    wait_until(&mut h, "UMAP progress", Duration::from_secs(10), |h| shows(h, "UMAP of 2,000 points: step"));
    assert!(shows(&h, "PCA of 2,000 vectors"), "the old layout stays while UMAP runs");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert_eq!(h.state().state.view.map_method, MapMethod::Pca);
    assert!(shows(&h, "PCA of 2,000 vectors") && !shows(&h, "UMAP of 2,000 points: step"));
    // Run to the end: the UMAP layout replaces the PCA.
    h.get_by_label("UMAP").click();
    wait_until(&mut h, "the UMAP map", Duration::from_secs(120), |h| shows(h, "UMAP of 2,000 vectors"));
    assert_eq!(h.state().state.view.map_method, MapMethod::Umap);
    assert!(!shows(&h, "PCA of 2,000 vectors"));
    // Another seed, cancelled: the seed goes back to the layout on screen and nothing
    // starts again.
    let shown_seed = h.state().state.view.umap.seed;
    let mut view = h.state().state.view.clone();
    view.umap.seed = shown_seed + 1;
    h.state_mut().push_command(Command::SetView(Box::new(view)));
    wait_until(&mut h, "UMAP progress", Duration::from_secs(10), |h| shows(h, "UMAP of 2,000 points: step"));
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert_eq!(h.state().state.view.umap.seed, shown_seed);
    assert_eq!(h.state().state.view.map_method, MapMethod::Umap);
    for _ in 0..20 {
        h.step();
        assert!(!shows(&h, "UMAP of 2,000 points: step"), "a cancelled UMAP started again");
    }
    assert!(shows(&h, &format!("seed {shown_seed})")));
}

#[test]
fn a_box_selection_becomes_a_new_group_in_one_undo_step() {
    let mut state = State { set: topics(400), ..State::default() };
    state.view.tab = Tab::Map;
    let mut h = harness(state);
    wait_until(&mut h, "the PCA map", Duration::from_secs(30), |h| shows(h, "PCA of 400 vectors"));
    h.get_by_label("select a box").click();
    h.run_steps(2);
    // Zoom far out over the middle of the map, so every point sits near its centre…
    let centre = egui::pos2(640.0, 480.0);
    h.event(egui::Event::PointerMoved(centre));
    for _ in 0..10 {
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -120.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    h.run_steps(20);
    // …then drag a box around the middle.
    let (from, to) = (centre - egui::vec2(150.0, 150.0), centre + egui::vec2(150.0, 150.0));
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    h.event(egui::Event::PointerMoved(from));
    h.event(button(from, true));
    h.step();
    for k in 1..=10 {
        h.event(egui::Event::PointerMoved(from + (to - from) * (k as f32 / 10.0)));
        h.step();
    }
    h.event(button(to, false));
    h.run_steps(3);
    assert!(shows(&h, "400 selected"), "every point selected");
    h.get_by_label("New group from selection").click();
    h.run_steps(2);
    let set = &h.state().state.set;
    assert_eq!(set.groups.len(), 5);
    assert_eq!(set.groups[4].sentences.len(), 400);
    assert!(set.groups[..4].iter().all(|g| g.sentences.is_empty()));
    h.state_mut().push_command(Command::Undo);
    h.run_steps(2);
    let set = &h.state().state.set;
    assert_eq!(set.groups.len(), 4);
    assert!(set.groups.iter().all(|g| g.sentences.len() == 100), "undo puts every sentence back");
}

#[test]
fn past_the_exact_limit_the_heatmap_shows_block_means_and_a_kmeans_order() {
    let n = simlens::app::worker::MAX_APP_MATRIX + 400;
    let mut h = harness(State { set: topics(n), ..State::default() });
    wait_until(&mut h, "the block heatmap", Duration::from_secs(120), |h| {
        shows(h, "each pixel is the exact mean cosine")
    });
    assert!(h.state().result().unwrap().sim.is_none(), "no N × N matrix");
    // Hover the middle of the plot: the tooltip says what a pixel is.
    h.event(egui::Event::PointerMoved(egui::pos2(640.0, 400.0)));
    wait_until(&mut h, "the block tooltip", Duration::from_secs(10), |h| shows(h, "pairs: "));
    h.state_mut().state.view.order = Order::Clustered;
    wait_until(&mut h, "the k-means order", Duration::from_secs(120), |h| shows(h, "Order: k-means"));
    let order = h.state().result().unwrap().cluster_order.clone().expect("an order");
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..n).collect::<Vec<_>>());
}

#[test]
fn vectors_from_a_file_stand_in_for_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let set = topics(40);
    let text_path = dir.path().join("mine.txt");
    let text: String = set.groups.iter().map(|g| format!("# {}\n{}\n", g.name, g.sentences.join("\n"))).collect();
    std::fs::write(&text_path, text).unwrap();
    // Vectors: 40 × 3, unnormalised (the app normalises them).
    let d = 3;
    let data: Vec<f32> = (0..40 * d).map(|k| ((k * 7919) % 13) as f32 - 6.0 + 0.5).collect();
    let npy = dir.path().join("mine.npy");
    let mut bytes = Vec::new();
    simlens::io::npy::write_f32(&mut bytes, 40, d, &data).unwrap();
    std::fs::write(&npy, bytes).unwrap();
    let mut h = harness(State::default());
    wait_until(&mut h, "the first result", Duration::from_secs(30), |h| h.state().result().is_some());
    h.state_mut().push_command(Command::OpenVectors(npy.clone()));
    wait_until(&mut h, "the file's vectors", Duration::from_secs(30), |h| {
        h.state().result().is_some_and(|r| r.table.len() == 40 && r.model.name == "vectors from mine.npy")
    });
    assert!(matches!(h.state().model_status(), ModelStatus::Ready(_)));
    let r = h.state().result().unwrap().clone();
    assert_eq!(r.embeddings.dim, 3);
    for i in 0..40 {
        let v = &data[i * d..(i + 1) * d];
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        for (got, want) in r.embeddings.row(i).iter().zip(v) {
            assert!((got - want / norm).abs() < 1e-6, "row {i} is the file's, normalised");
        }
    }
    // A sentence the file has no vector for: a clear error, the sentences kept.
    h.state_mut().state.set.groups[0].sentences[0] = "a brand new sentence".into();
    h.state_mut().push_command(Command::Edited);
    wait_until(&mut h, "the error", Duration::from_secs(30), |h| {
        h.state().notifications().iter().any(|n| n.is_error && n.text.contains("has no vector in"))
    });
    assert_eq!(h.state().state.set.len(), 40);
    // A file of another length names both counts.
    let short = dir.path().join("short.npy");
    let mut bytes = Vec::new();
    simlens::io::npy::write_f32(&mut bytes, 3, d, &data[..9]).unwrap();
    std::fs::write(&short, bytes).unwrap();
    h.state_mut().push_command(Command::OpenVectors(short));
    wait_until(
        &mut h,
        "the count error",
        Duration::from_secs(30),
        |h| matches!(h.state().model_status(), ModelStatus::Failed(e) if e.contains("has 3 vectors but the input has 40 sentences")),
    );
}

#[test]
fn a_first_umap_shows_the_pca_meanwhile() {
    let mut state = State { set: topics(2_000), ..State::default() };
    state.view.tab = Tab::Map;
    state.view.map_method = MapMethod::Umap;
    let mut h = harness(state);
    // Not an empty canvas while the UMAP runs: the PCA that came with the result.
    wait_until(&mut h, "the PCA or the UMAP", Duration::from_secs(60), |h| {
        shows(h, "PCA of 2,000 vectors") || shows(h, "UMAP of 2,000 vectors")
    });
    assert!(shows(&h, "PCA of 2,000 vectors"), "the PCA stands in");
    assert!(shows(&h, "UMAP of 2,000 points: step"), "with the UMAP's progress above it");
    wait_until(&mut h, "the UMAP map", Duration::from_secs(120), |h| shows(h, "UMAP of 2,000 vectors"));
    assert!(!shows(&h, "PCA of 2,000 vectors"));
    assert_eq!(h.state().state.view.map_method, MapMethod::Umap);
}
