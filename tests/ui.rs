//! The explorer driven headless with egui_kittest: most tests use the fast fake
//! embedder; the last ones and the snapshots use the real bundled model.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;
mod ui_common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::{Harness, HarnessBuilder};
use simlens::app::worker::{Loader, onnx_loader};
use simlens::app::{AppOptions, Command, ExportKind, ModelStatus, SimlensApp};
use simlens::engine::Pooling;
use simlens::engine::fake::{FakeEmbedder, FakeMode};
use simlens::session::{State, Tab};
use ui_common::wait_until;

fn fake_loader(fake: FakeEmbedder) -> Loader {
    Arc::new(move |dir: &std::path::Path, _: &simlens::engine::Precision| {
        if dir.ends_with("broken-model") {
            Err(simlens::Error::model(dir, "has no model.onnx (looked for model.onnx and onnx/model.onnx)"))
        } else {
            Ok(Box::new(fake.clone()) as Box<dyn simlens::engine::Embedder>)
        }
    })
}

fn options(loader: Loader, model: PathBuf) -> AppOptions {
    AppOptions { loader, session_path: None, debounce: Duration::ZERO, bundled_model: model, cache_dir: None }
}

fn fake_app() -> SimlensApp {
    let fake = FakeEmbedder::new("fake-model", 64).with_pooled_output();
    SimlensApp::with_state(State::default(), options(fake_loader(fake), "fake-model".into()), vec![])
}

fn builder() -> HarnessBuilder<SimlensApp> {
    Harness::builder().with_size(egui::vec2(1280.0, 800.0)).with_accessibility_check(false)
}

fn harness(app: SimlensApp) -> Harness<'static, SimlensApp> {
    builder().build_ui_state(|ui, app: &mut SimlensApp| app.ui(ui), app)
}

/// Steps frames in real time until the app is idle (worker answered), or fails after `limit`.
fn settle(h: &mut Harness<'_, SimlensApp>, limit: Duration) {
    let start = Instant::now();
    loop {
        h.step();
        if !h.state().is_busy() {
            break;
        }
        assert!(start.elapsed() < limit, "app still busy after {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
    // A couple more frames so the UI shows the new result.
    h.step();
    h.step();
}

fn n(h: &Harness<'_, SimlensApp>) -> usize {
    h.state().result().map(|r| r.matrix_len()).unwrap_or(0)
}

#[test]
fn typing_a_sentence_adds_a_row_and_column() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(n(&h), 6);
    let input = h.get_all_by_role_and_label(Role::TextInput, "New:").next().expect("a New: field");
    input.focus();
    input.type_text("My new phone is great");
    h.step();
    h.key_press(egui::Key::Enter);
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(h.state().state.set.groups[0].sentences.len(), 3);
    assert_eq!(n(&h), 7);
    let r = h.state().result().cloned().unwrap();
    assert_eq!(r.table.texts[2], "My new phone is great");
    assert_eq!(r.table.groups[2], 0);
    // Only the new sentence was embedded; the six others came from the cache.
    assert_eq!(r.cost.embedded, 1);
}

#[test]
fn renaming_and_deleting_a_group_updates_labels() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    let name =
        h.get_all_by_role(Role::TextInput).find(|n| n.value().as_deref() == Some("Weather")).expect("name field");
    name.focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_all_by_role(Role::TextInput)
        .find(|n| n.value().as_deref() == Some("Weather"))
        .expect("name field")
        .type_text("Climate");
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(h.state().state.set.groups[1].name, "Climate");
    assert_eq!(h.state().result().unwrap().table.group_names[1], "Climate");

    let delete = h.get_all_by_label("🗑").next().expect("delete buttons");
    delete.click();
    settle(&mut h, Duration::from_secs(10));
    let r = h.state().result().cloned().unwrap();
    assert_eq!(r.table.group_names, vec!["Climate", "Asking about age"]);
    assert_eq!(r.matrix_len(), 4);
}

#[test]
fn picking_int8_reloads_the_model_at_that_precision_and_is_saved() {
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let loader: Loader = Arc::new(move |_dir: &std::path::Path, p: &simlens::engine::Precision| {
        seen.lock().unwrap().push(p.clone());
        let fake = FakeEmbedder::new("fake-model", 32).with_precision(p.clone());
        Ok(Box::new(fake) as Box<dyn simlens::engine::Embedder>)
    });
    let mut h = harness(SimlensApp::with_state(State::default(), options(loader, "fake".into()), vec![]));
    settle(&mut h, Duration::from_secs(10));
    h.get_by_role_and_label(Role::ComboBox, "Precision:").click();
    h.run_steps(3);
    h.get_by_label("int8: fast, approximate").click();
    settle(&mut h, Duration::from_secs(10));
    use simlens::engine::Precision;
    assert_eq!(*asked.lock().unwrap(), vec![Precision::Fp32, Precision::Int8]);
    assert_eq!(h.state().state.precision, Precision::Int8);
    let r = h.state().result().cloned().unwrap();
    assert_eq!(r.model.precision, Precision::Int8, "the result shown is the int8 model's");
}

#[test]
fn changing_pooling_re_embeds() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    let before = h.state().result().cloned().unwrap();
    assert_eq!(before.pooling, Pooling::Mean);
    h.get_by_role_and_label(Role::ComboBox, "Pooling:").click();
    h.run_steps(3);
    h.get_by_label("cls").click();
    settle(&mut h, Duration::from_secs(10));
    let after = h.state().result().cloned().unwrap();
    assert_eq!(after.pooling, Pooling::Cls);
    assert_eq!(after.cost.embedded, 6, "a new pooling is a new cache key");
    assert_ne!(after.matrix().unwrap().data, before.matrix().unwrap().data);
}

#[test]
fn exports_parse_back_to_the_same_matrix() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    let dir = tempfile::tempdir().unwrap();
    let r = h.state().result().cloned().unwrap();
    let (csv_p, json_p, npy_p, png_p) =
        (dir.path().join("m.csv"), dir.path().join("m.json"), dir.path().join("m.npy"), dir.path().join("m.png"));
    for (kind, p) in [
        (ExportKind::MatrixCsv, &csv_p),
        (ExportKind::MatrixJson, &json_p),
        (ExportKind::MatrixNpy, &npy_p),
        (ExportKind::HeatmapPng, &png_p),
    ] {
        h.state_mut().push_command(Command::Export(kind, p.clone()));
    }
    wait_until(&mut h, "the exports", Duration::from_secs(10), |_| {
        png_p.exists() && npy_p.exists() && json_p.exists() && csv_p.exists()
    });
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_p).unwrap()).unwrap();
    assert_eq!(j["model"], "fake-model");
    let m: Vec<f32> = j["matrix"].as_array().unwrap().iter().flat_map(common::f32s).collect();
    assert_eq!(m, r.matrix().unwrap().data);
    let (rows, cols, v) = simlens::io::npy::read_f32(&std::fs::read(&npy_p).unwrap()).unwrap();
    assert_eq!((rows, cols), (6, 6));
    assert_eq!(v, r.matrix().unwrap().data);
    let mut rd = csv::Reader::from_reader(std::fs::File::open(&csv_p).unwrap());
    let vals: Vec<f32> = rd
        .records()
        .flat_map(|rec| rec.unwrap().iter().skip(1).map(|x| x.parse::<f32>().unwrap()).collect::<Vec<_>>())
        .collect();
    assert_eq!(vals, r.matrix().unwrap().data);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_p).unwrap()));
    let info = decoder.read_info().unwrap();
    assert!(info.info().width > 6 * 40 && info.info().height > 6 * 40);

    // An unwritable destination is reported in the window, and nothing else changes.
    h.state_mut().push_command(Command::Export(ExportKind::MatrixCsv, "/nonexistent-simlens/m.csv".into()));
    wait_until(&mut h, "an error message", Duration::from_secs(10), |h| {
        h.state().notifications().iter().any(|n| n.is_error)
    });
    h.step();
    assert!(h.query_by_label_contains("Export failed").is_some());
    assert_eq!(h.state().state.set.len(), 6);
}

#[test]
fn a_bad_model_folder_shows_an_error_and_keeps_the_sentences() {
    let fake = FakeEmbedder::new("fake-model", 64);
    let app = SimlensApp::with_state(State::default(), options(fake_loader(fake), "broken-model".into()), vec![]);
    let mut h = harness(app);
    settle(&mut h, Duration::from_secs(10));
    assert!(matches!(h.state().model_status(), ModelStatus::Failed(_)));
    assert!(h.query_by_label("The model could not be loaded").is_some());
    assert!(h.query_by_label_contains("has no model.onnx").is_some());
    assert_eq!(h.state().state.set.len(), 6);
    // The real loader gives the same kind of message for a real bad folder.
    let dir = tempfile::tempdir().unwrap();
    let app = SimlensApp::with_state(State::default(), options(onnx_loader(), dir.path().to_path_buf()), vec![]);
    let mut h = harness(app);
    settle(&mut h, Duration::from_secs(20));
    assert!(h.query_by_label_contains("has no model.onnx").is_some());
    // Switching to a good model recovers.
    h.get_by_label("Use the bundled model").click();
    h.state_mut().push_command(Command::LoadModel(Some(common::minilm_dir())));
    settle(&mut h, Duration::from_secs(60));
    assert!(matches!(h.state().model_status(), ModelStatus::Ready(_)));
    assert_eq!(n(&h), 6);
}

#[test]
fn a_panicking_model_is_reported_and_the_worker_recovers() {
    let panicked = Arc::new(AtomicBool::new(false));
    let flag = panicked.clone();
    let loader: Loader = Arc::new(move |_dir: &std::path::Path, _: &simlens::engine::Precision| {
        let mut fake = FakeEmbedder::new("fake-model", 32);
        if !flag.swap(true, Ordering::SeqCst) {
            fake.mode = FakeMode::Panic;
        }
        Ok(Box::new(fake) as Box<dyn simlens::engine::Embedder>)
    });
    let mut h = harness(SimlensApp::with_state(State::default(), options(loader, "fake".into()), vec![]));
    settle(&mut h, Duration::from_secs(10));
    assert!(h.state().notifications().iter().any(|n| n.is_error && n.text.contains("crashed")));
    assert!(h.state().result().is_none());
    // The next job reloads the model and works.
    h.state_mut().push_command(Command::AddSentence(0, "Another phone sentence".into()));
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(n(&h), 7);
}

#[test]
fn selecting_a_cell_shows_tokens_and_neighbours() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().push_command(Command::Select(4, 5));
    settle(&mut h, Duration::from_secs(10));
    // The tokens come from the worker a moment after the selection.
    wait_for_label(&mut h, "[CLS]", Duration::from_secs(10));
    assert!(h.query_by_label("Most similar to the row sentence").is_some());
    assert!(h.query_by_label("segment").is_some());
}

#[test]
fn opening_a_sentence_file_through_the_path_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mine.txt");
    std::fs::write(&p, "# Fruit\nI like apples\nBananas are yellow\n# Cars\nMy car is fast\n").unwrap();
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.get_by_label("File").click();
    // Popups and modals take a frame to size themselves before they take clicks.
    h.run_steps(3);
    h.get_by_label("Open sentences…").click();
    h.run_steps(3);
    assert!(h.query_by_label("Open sentences").is_some(), "the prompt is open");
    let field =
        h.get_all_by_role(Role::TextInput).find(|n| n.value().is_some_and(|v| v.starts_with('/'))).expect("path field");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_all_by_role(Role::TextInput)
        .find(|n| n.value().is_some_and(|v| v.starts_with('/')))
        .unwrap()
        .type_text(p.to_str().unwrap());
    h.run_steps(1);
    h.get_by_label("Open").click();
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(h.state().state.set.group_names(), vec!["Fruit", "Cars"]);
    assert_eq!(n(&h), 3);
    // A missing file is reported; the sentences stay.
    h.state_mut().push_command(Command::OpenSet(dir.path().join("missing.txt")));
    h.run_steps(2);
    assert!(h.query_by_label_contains("cannot read").is_some());
    assert_eq!(h.state().state.set.len(), 3);
}

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropping_a_file_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dropped.csv");
    std::fs::write(&p, "group,text\nA,first sentence\nB,second sentence\nB,third one\n").unwrap();
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.input_mut().dropped_files.push(Arc::new(Dropped(p)));
    h.step();
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(h.state().state.set.group_names(), vec!["A", "B"]);
    assert_eq!(n(&h), 3);
}

#[test]
fn pasting_a_hundred_thousand_lines_stays_responsive() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    let lines: String = (0..100_000).map(|i| format!("pasted line {i} about {}\n", i % 13)).collect();
    h.state_mut().push_command(Command::PasteLines(1, lines));
    h.step();
    // While the worker embeds, frames stay short: the editor lays out only visible rows.
    let mut worst = Duration::ZERO;
    let start = Instant::now();
    while h.state().is_busy() {
        let t = Instant::now();
        h.step();
        worst = worst.max(t.elapsed());
        assert!(start.elapsed() < Duration::from_secs(60), "still busy");
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run_steps(2);
    assert_eq!(h.state().state.set.len(), 100_006);
    let r = h.state().result().cloned().unwrap();
    assert_eq!(r.table.texts.len(), 100_006);
    assert_eq!(r.matrix_len(), 0, "no 100,000² matrix");
    assert!(r.group_matrix[4].is_some(), "group means still computed");
    assert!(h.query_by_label_contains("shown as block means").is_some());
    // Generous, for a loaded CI machine running the debug build.
    assert!(worst < Duration::from_millis(1000), "a frame took {worst:?}");
}

/// Options for a fake-model app autosaving to `session`, made afresh for each app.
fn session_options(session: &std::path::Path) -> impl Fn() -> AppOptions {
    let (fake, session) = (FakeEmbedder::new("fake-model", 64), session.to_path_buf());
    move || AppOptions {
        session_path: Some(session.clone()),
        ..options(fake_loader(fake.clone()), "fake-model".into())
    }
}

#[test]
fn the_session_is_autosaved_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("session.json");
    let opts = session_options(&session);
    let mut h = harness(SimlensApp::new(opts()));
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().push_command(Command::AddSentence(2, "When is your birthday?".into()));
    h.state_mut().state.view.tab = Tab::Groups;
    settle(&mut h, Duration::from_secs(10));
    // Autosave batches changes for a second.
    wait_until(&mut h, "the autosave", Duration::from_secs(10), |_| session.exists());
    drop(h); // joins the autosave thread
    let restored = SimlensApp::new(opts());
    assert_eq!(restored.state.set.groups[2].sentences.last().unwrap(), "When is your birthday?");
    assert_eq!(restored.state.view.tab, Tab::Groups);
    assert!(restored.notifications().is_empty());
}

// ---- the real bundled model -----------------------------------------------------

fn real_app() -> SimlensApp {
    SimlensApp::with_state(State::default(), options(onnx_loader(), common::minilm_dir()), vec![])
}

#[test]
fn seed_example_with_the_bundled_model_matches_the_reference() {
    let mut h = harness(real_app());
    settle(&mut h, Duration::from_secs(60));
    let r = h.state().result().cloned().expect("a result");
    let want: Vec<f32> = common::read_json(&common::data("minilm_reference.json"))["similarity"]["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(common::f32s)
        .collect();
    assert!(common::max_abs_diff(&r.matrix().unwrap().data, &want) < 1e-4);
    assert_eq!(r.model.name, "all-MiniLM-L6-v2");
}

#[test]
fn snapshots_of_the_seed_heatmap_and_group_view() {
    let mut h = builder().wgpu().build_ui_state(|ui, app: &mut SimlensApp| app.ui(ui), real_app());
    settle(&mut h, Duration::from_secs(60));
    h.state_mut().push_command(Command::Select(4, 5));
    settle(&mut h, Duration::from_secs(10));
    // The tokens come from the worker a moment later.
    wait_until(&mut h, "the tokens", Duration::from_secs(10), |h| h.query_by_label("[CLS]").is_some());
    wait_until(&mut h, "the explanation", Duration::from_secs(10), |h| h.state().explanation().is_some());
    h.run_steps(2);
    // The status line carries the run time, which differs between runs.
    h.mask(egui::Rect::from_min_max(egui::pos2(0.0, 770.0), egui::pos2(1280.0, 800.0)));
    h.snapshot("seed_heatmap");
    h.state_mut().state.view.tab = Tab::Groups;
    h.run_steps(2);
    h.mask(egui::Rect::from_min_max(egui::pos2(0.0, 770.0), egui::pos2(1280.0, 800.0)));
    h.snapshot("seed_groups");
}

// ---- analyses ---------------------------------------------------------------------

fn mixed_state() -> State {
    // "how old are you" put into Weather: a misfit by construction, also for the fake's
    // bag of words (it shares its words with the Age group).
    let set = simlens::io::SentenceSet::parse(
        b"# Weather\nhow old are you\nrain and storms today\nstorms and rain tomorrow\n# Age\nhow old are you now\nare you old\n",
        simlens::io::sentences::SetFormat::Text,
    )
    .unwrap();
    State { set, ..State::default() }
}

#[test]
fn search_ranks_and_marks_sentences() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().push_command(Command::Search("my phone".into()));
    settle(&mut h, Duration::from_secs(10));
    wait_until(&mut h, "the search results", Duration::from_secs(10), |h| h.state().search_hits().is_some());
    h.run_steps(2);
    let hits = h.state().search_hits().unwrap().to_vec();
    let r = h.state().result().cloned().unwrap();
    assert!(r.table.texts[hits[0].0].to_lowercase().contains("phone"), "{:?}", r.table.texts[hits[0].0]);
    assert!(hits.windows(2).all(|w| w[0].1 >= w[1].1), "best first");
    assert!(h.query_by_label("Most similar to “my phone”").is_some());
}

#[test]
fn pairs_tab_lists_pairs_above_the_threshold_and_selects_them() {
    let fake = FakeEmbedder::new("fake-model", 64);
    let mut h = harness(SimlensApp::with_state(mixed_state(), options(fake_loader(fake), "fake-model".into()), vec![]));
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().state.view.tab = Tab::Pairs;
    h.state_mut().state.view.pair_threshold = 0.5;
    wait_until(&mut h, "the pair list", Duration::from_secs(10), |h| {
        h.query_by_label_contains("pair(s) at or above").is_some()
    });
    let r = h.state().result().cloned().unwrap();
    let want = (0..5)
        .flat_map(|i| (i + 1..5).map(move |j| (i, j)))
        .filter(|&(i, j)| r.matrix().unwrap().get(i, j) >= 0.5)
        .count();
    assert!(h.query_by_label_contains(&format!("{want} pair(s) at or above 0.50")).is_some());
    assert!(want > 0, "the example has similar pairs");
    // Clicking a pair selects it and shows the heatmap.
    h.get_all_by_label("how old are you now").next().expect("a pair row").click();
    h.run_steps(2);
    assert!(h.state().selection().is_some());
    assert_eq!(h.state().state.view.tab, Tab::Heatmap);
}

#[test]
fn misfits_are_marked_and_listed() {
    let fake = FakeEmbedder::new("fake-model", 64);
    let app = SimlensApp::with_state(mixed_state(), options(fake_loader(fake), "fake-model".into()), vec![]);
    let mut h = harness(app);
    settle(&mut h, Duration::from_secs(10));
    let r = h.state().result().cloned().unwrap();
    assert!(
        r.misfits
            .iter()
            .any(|m| r.table.texts[m.index] == "how old are you" && r.table.group_names[m.closer_group] == "Age"),
        "{:?}",
        r.misfits
    );
    assert!(h.query_by_label("⚠").is_some(), "a marker in the editor");
    h.state_mut().state.view.tab = Tab::Groups;
    h.run_steps(2);
    assert!(h.query_by_label("Sentences in the wrong group?").is_some());
}

#[test]
fn map_and_clustered_order_are_computed_when_shown() {
    let fake = FakeEmbedder::new("fake-model", 64);
    let app = SimlensApp::with_state(mixed_state(), options(fake_loader(fake), "fake-model".into()), vec![]);
    let mut h = harness(app);
    settle(&mut h, Duration::from_secs(10));
    assert!(h.state().result().unwrap().map.is_none(), "not computed until shown");
    h.state_mut().state.view.tab = Tab::Map;
    h.step();
    settle(&mut h, Duration::from_secs(10));
    let r = h.state().result().cloned().unwrap();
    let map = r.map.as_ref().expect("the map");
    assert_eq!(map.points.len(), 5);
    assert!(map.explained[0] >= map.explained[1] && map.explained[0] + map.explained[1] <= 1.0 + 1e-6);
    wait_until(&mut h, "the map's caption", Duration::from_secs(10), |h| {
        h.query_by_label_contains("PCA of 5 vectors").is_some()
    });
    assert_eq!(r.cost.embedded, 0, "vectors came from the cache");

    h.state_mut().state.view.tab = Tab::Heatmap;
    h.state_mut().state.view.order = simlens::session::Order::Clustered;
    h.step();
    settle(&mut h, Duration::from_secs(10));
    let order = h.state().result().unwrap().cluster_order.clone().expect("a clustering");
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
}

#[test]
fn compare_tab_shows_the_rank_correlation_of_two_poolings() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().state.compare_pooling = Some(Pooling::Cls);
    h.state_mut().state.view.tab = Tab::Compare;
    wait_until(&mut h, "the comparison", Duration::from_secs(20), |h| {
        h.query_by_label_contains("Spearman rank correlation").is_some()
    });
    // The same numbers computed directly from the fake embedder.
    use simlens::engine::Embedder as _;
    let r = h.state().result().cloned().unwrap();
    let texts: Vec<&str> = r.table.texts.iter().map(String::as_str).collect();
    let mut fake = FakeEmbedder::new("fake-model", 64).with_pooled_output();
    let b = simlens::engine::similarity_matrix(&fake.embed(&texts, Pooling::Cls, &mut |_, _| true).unwrap());
    let want = simlens::engine::analysis::compare(r.matrix().unwrap(), &b).unwrap();
    let label = format!("Spearman rank correlation of the pair similarities: {:.3}", want.spearman);
    assert!(h.query_by_label(&label).is_some(), "expected “{label}”");
}

fn wait_for_label(h: &mut Harness<'_, SimlensApp>, label: &str, limit: Duration) {
    wait_until(h, label, limit, |h| h.query_by_label(label).is_some());
}

#[test]
fn quality_check_on_the_users_own_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pairs.csv");
    std::fs::write(
        &p,
        "text1,text2,score\nmy phone is good,my phone is great,4.5\nmy phone is good,the weather is cold,0.5\nhow old are you,what is your age,4.8\nthe weather is cold,it is cold today,4.0\nhow old are you,my phone is good,0.2\n",
    )
    .unwrap();
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().push_command(Command::CheckQuality(p.clone()));
    // The same computation, directly.
    let pairs = simlens::io::pairs::read_pairs(&p).unwrap();
    let mut fake = FakeEmbedder::new("fake-model", 64).with_pooled_output();
    let want = simlens::engine::eval::score_pairs(&mut fake, Pooling::Mean, &pairs, &mut |_, _| true).unwrap();
    wait_for_label(&mut h, &format!("ρ×100 {:.2}", want.spearman), Duration::from_secs(20));
    assert_eq!(h.state().state.quality.len(), 1);
    assert_eq!(h.state().state.quality_file.as_deref(), Some(p.as_path()));
}

#[test]
fn quality_check_on_the_sts_benchmark_with_the_bundled_model() {
    let Some(file) = common::stsb_file() else {
        eprintln!("SKIPPED: ../shared/testdata/stsb/sts-test.csv is not present (its licence forbids bundling it)");
        return;
    };
    let mut h = harness(real_app());
    settle(&mut h, Duration::from_secs(60));
    h.state_mut().push_command(Command::CheckQuality(file));
    wait_for_label(&mut h, "ρ×100 82.03", Duration::from_secs(120));
}

#[test]
fn blank_sentences_are_skipped_with_a_note() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().state.set.groups[0].sentences.push("   ".into());
    h.state_mut().push_command(Command::Edited);
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(n(&h), 6, "the blank sentence is not embedded");
    assert!(h.query_by_label("1 empty sentence(s) skipped").is_some());
}

fn many_sentences(n: usize, groups: usize) -> simlens::io::SentenceSet {
    let mut set = simlens::io::SentenceSet::default();
    for g in 0..groups {
        set.groups.push(simlens::io::Group { name: format!("G{g}"), sentences: Vec::new() });
    }
    for i in 0..n {
        set.groups[i % groups].sentences.push(format!("sentence {i} about topic {}", i % 7));
    }
    set
}

#[test]
fn an_edit_is_answered_with_a_patch_equal_to_a_full_recomputation() {
    let fake = FakeEmbedder::new("fake-model", 64);
    let state = State { set: many_sentences(400, 5), ..State::default() };
    let mut h = harness(SimlensApp::with_state(state, options(fake_loader(fake), "fake-model".into()), vec![]));
    settle(&mut h, Duration::from_secs(20));
    let first = h.state().result().cloned().unwrap();
    assert_eq!(first.matrix_len(), 400);
    for (k, (g, i)) in [(1, 3), (4, 70), (1, 3)].into_iter().enumerate() {
        h.state_mut().state.set.groups[g].sentences[i].push_str(" edited");
        h.state_mut().push_command(Command::Edited);
        let before = h.state().result().unwrap().job;
        wait_until(&mut h, "the patched result", Duration::from_secs(20), |h| {
            h.state().result().is_some_and(|r| r.job != before)
        });
        let r = h.state().result().cloned().unwrap();
        assert_eq!(r.cost.embedded, 1, "only the edited sentence is embedded");
        assert_eq!(h.state().patches(), k as u64 + 1, "answered with a patch");
        assert!(r.table.texts.iter().any(|t| t.ends_with(" edited")));
        // The patched answer equals what a full job computes from the same vectors.
        let full = simlens::engine::similarity_matrix(&r.embeddings);
        let worst = full.data.iter().zip(&r.matrix().unwrap().data).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-6, "matrix differs by {worst}");
        for i in 0..r.matrix_len() {
            for j in 0..r.matrix_len() {
                assert_eq!(r.matrix().unwrap().get(i, j).to_bits(), r.matrix().unwrap().get(j, i).to_bits());
            }
        }
        assert_eq!(
            r.group_matrix,
            simlens::engine::group_matrix(&r.embeddings, &r.table.groups, r.table.group_names.len())
        );
        assert_eq!(
            r.misfits,
            simlens::engine::analysis::misfits(&r.embeddings, &r.table.groups, r.table.group_names.len())
        );
        let mut fake = FakeEmbedder::new("fake-model", 64);
        let texts: Vec<&str> = r.table.texts.iter().map(String::as_str).collect();
        let direct = simlens::engine::Embedder::embed(&mut fake, &texts, Pooling::Mean, &mut |_, _| true).unwrap();
        assert_eq!(direct.data, r.embeddings.data);
    }
}

#[test]
fn a_reopened_session_reads_its_vectors_from_the_disk_cache() {
    let cache = tempfile::tempdir().unwrap();
    let open = || {
        let fake = FakeEmbedder::new("fake-model", 64);
        let state = State { set: many_sentences(300, 3), ..State::default() };
        let opts = AppOptions {
            cache_dir: Some(cache.path().to_path_buf()),
            ..options(fake_loader(fake), "fake-model".into())
        };
        let mut h = harness(SimlensApp::with_state(state, opts, vec![]));
        settle(&mut h, Duration::from_secs(20));
        h.state().result().cloned().unwrap()
    };
    let first = open();
    assert_eq!(first.cost.embedded, 300);
    let second = open();
    assert_eq!(second.cost.embedded, 0, "nothing is embedded again");
    assert_eq!(first.embeddings, second.embeddings);
    assert_eq!(first.sim, second.sim);
}

#[test]
fn a_large_heatmap_is_refined_in_the_background_and_then_patched_in_place() {
    let fake = FakeEmbedder::new("fake-model", 32);
    let state = State { set: many_sentences(2300, 4), ..State::default() };
    let mut h = harness(SimlensApp::with_state(state, options(fake_loader(fake), "fake-model".into()), vec![]));
    // A desktop GPU's texture limit (a bare egui context says 2048, which would downsample).
    h.input_mut().max_texture_side = Some(4096);
    settle(&mut h, Duration::from_secs(60));
    assert_eq!(h.state().result().unwrap().matrix_len(), 2300);
    // The preview is on screen at once; the full-resolution texture follows.
    wait_until(&mut h, "the full-resolution heatmap", Duration::from_secs(60), |h| h.state().heatmap_is_final());
    h.state_mut().state.set.groups[2].sentences[10].push_str(" edited");
    h.state_mut().push_command(Command::Edited);
    wait_until(&mut h, "the patch", Duration::from_secs(30), |h| h.state().patches() == 1);
    h.step();
    assert!(h.state().heatmap_is_final(), "a patch redraws rows in place, with no new background build");
}

// ---- undo, redo and fast editing ----------------------------------------------------

fn group_names(h: &Harness<'_, SimlensApp>) -> Vec<String> {
    h.state().state.set.group_names()
}

#[test]
fn deleting_a_group_asks_nothing_and_ctrl_z_brings_it_back_without_inference() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    let weather = h.state().state.set.groups[1].clone();
    h.get_all_by_label("🗑").nth(1).expect("delete buttons").click();
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(group_names(&h), vec!["Smartphones", "Asking about age"]);
    let note = h.state().notifications().last().cloned().expect("a notification");
    assert!(note.text.contains("Deleted group “Weather” (2 sentences)"), "{}", note.text);
    assert!(note.undo.is_some(), "the notification offers Undo");
    assert_eq!(h.state().undo_label(), Some("delete group “Weather” (2 sentences)"));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(group_names(&h), vec!["Smartphones", "Weather", "Asking about age"]);
    assert_eq!(h.state().state.set.groups[1], weather);
    let r = h.state().result().cloned().unwrap();
    assert_eq!(r.matrix_len(), 6);
    assert_eq!(r.cost.embedded, 0, "undo takes the vectors from the cache");
    // Redo, both ways.
    h.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::Z);
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(group_names(&h).len(), 2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(group_names(&h).len(), 2);
}

#[test]
fn the_notification_s_undo_button_and_the_edit_menu_name_the_step() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.get_all_by_label("🗑").next().unwrap().click();
    settle(&mut h, Duration::from_secs(10));
    h.get_by_label("Edit").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Undo delete group “Smartphones” (2 sentences)").is_some());
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    h.get_by_label("Undo").click();
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(group_names(&h), vec!["Smartphones", "Weather", "Asking about age"]);
}

#[test]
fn every_kind_of_edit_is_undone_and_redone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("other.txt");
    std::fs::write(&file, "# Fruit\napple\npear\n").unwrap();
    let edits = vec![
        Command::AddGroup,
        Command::MoveGroup(0, 1),
        Command::RenameGroup { group: 1, name: "Climate".into() },
        Command::AddSentence(0, "A new sentence".into()),
        Command::PasteLines(2, "one\ntwo\n\nthree".into()),
        Command::EditSentence { group: 0, index: 0, text: "edited".into() },
        Command::DeleteSentence(1, 1),
        Command::DeleteGroup(2),
        Command::MoveSentences { from: vec![simlens::app::edit::SentenceRef { group: 0, index: 0 }], to: 1 },
        Command::ClearSentences,
        Command::OpenSet(file.clone()),
        Command::LoadExample,
    ];
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    for c in edits {
        let before = h.state().state.set.clone();
        h.state_mut().push_command(c.clone());
        settle(&mut h, Duration::from_secs(10));
        let after = h.state().state.set.clone();
        assert_ne!(before, after, "{c:?} changed nothing");
        h.state_mut().push_command(Command::Undo);
        settle(&mut h, Duration::from_secs(10));
        assert_eq!(h.state().state.set, before, "undo of {c:?}");
        h.state_mut().push_command(Command::Redo);
        settle(&mut h, Duration::from_secs(10));
        assert_eq!(h.state().state.set, after, "redo of {c:?}");
        assert_eq!(h.state().result().unwrap().table.len(), after.len() - blank(&after));
    }
}

fn blank(set: &simlens::io::SentenceSet) -> usize {
    set.groups.iter().flat_map(|g| &g.sentences).filter(|s| s.trim().is_empty()).count()
}

#[test]
fn typing_into_a_sentence_is_one_undo_step() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    let field = h.get_all_by_role(Role::TextInput).find(|n| n.value().as_deref() == Some("I like my phone")).unwrap();
    field.focus();
    h.step();
    for k in [" a", "n", "d"] {
        h.get_all_by_role(Role::TextInput)
            .find(|n| n.value().as_deref().is_some_and(|v| v.starts_with("I like my phone")))
            .unwrap()
            .type_text(k);
        h.step();
    }
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(h.state().state.set.groups[0].sentences[0], "I like my phone and");
    assert_eq!(h.state().undo_label(), Some("edit a sentence"));
    h.state_mut().push_command(Command::Undo);
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(h.state().state.set.groups[0].sentences[0], "I like my phone", "one step for the whole word");
    assert!(h.state().undo_label().is_none());
}

/// Drags the handle of sentence `(g, i)` onto the name field of group `to`.
fn drag_sentence(h: &mut Harness<'_, SimlensApp>, handle_index: usize, to_group: &str) {
    let from = h.get_all_by_label("☰").nth(handle_index).expect("a handle").rect().center();
    let to =
        h.get_all_by_role(Role::TextInput).find(|n| n.value().as_deref() == Some(to_group)).unwrap().rect().center();
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for k in 1..=6 {
        h.hover_at(from + (to - from) * (k as f32 / 6.0));
        h.step();
    }
    h.drop_at(to);
    h.step();
}

#[test]
fn a_sentence_dragged_onto_another_group_moves_there() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    drag_sentence(&mut h, 0, "Asking about age");
    settle(&mut h, Duration::from_secs(10));
    let set = &h.state().state.set;
    assert_eq!(set.groups[0].sentences, vec!["My phone is not good."]);
    assert_eq!(set.groups[2].sentences.last().unwrap(), "I like my phone");
    let r = h.state().result().cloned().unwrap();
    assert_eq!(
        r.table.group_of(r.table.texts.iter().position(|t| t == "I like my phone").unwrap()),
        "Asking about age"
    );
}

#[test]
fn several_selected_sentences_move_and_delete_together() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    // Frames after each click: the selection bar appears above the list and moves it.
    h.get_all_by_label("☰").next().unwrap().click();
    h.run_steps(3);
    h.get_all_by_label("☰").nth(2).unwrap().click_modifiers(egui::Modifiers::COMMAND);
    h.run_steps(3);
    assert!(h.query_by_label("2 selected").is_some());
    // Dragging one of them carries both.
    drag_sentence(&mut h, 0, "Asking about age");
    settle(&mut h, Duration::from_secs(10));
    let set = &h.state().state.set;
    assert_eq!(set.groups[2].sentences.len(), 4);
    assert!(set.groups[2].sentences.contains(&"Recently a lot of hurricanes have hit the US".to_owned()));
    // Shift-click selects a range; Delete removes it in one step.
    h.get_all_by_label("☰").nth(2).unwrap().click();
    h.run_steps(3);
    h.get_all_by_label("☰").nth(4).unwrap().click_modifiers(egui::Modifiers::SHIFT);
    h.run_steps(3);
    assert!(h.query_by_label("3 selected").is_some());
    h.get_by_label("🗑 Delete").click();
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(h.state().state.set.len(), 3);
    h.state_mut().push_command(Command::Undo);
    settle(&mut h, Duration::from_secs(10));
    assert_eq!(h.state().state.set.len(), 6);
}

#[test]
fn a_misfit_moves_to_its_closest_group_in_one_click() {
    let fake = FakeEmbedder::new("fake-model", 64);
    let app = SimlensApp::with_state(mixed_state(), options(fake_loader(fake), "fake-model".into()), vec![]);
    let mut h = harness(app);
    settle(&mut h, Duration::from_secs(10));
    h.get_by_label("⚠").click();
    settle(&mut h, Duration::from_secs(10));
    let set = &h.state().state.set;
    assert!(!set.groups[0].sentences.contains(&"how old are you".to_owned()));
    assert_eq!(set.groups[1].sentences.last().unwrap(), "how old are you");
    assert!(h.state().result().unwrap().misfits.is_empty(), "no misfit left");
}

#[test]
fn a_draft_is_kept_with_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("session.json");
    let opts = session_options(&session);
    let mut h = harness(SimlensApp::new(opts()));
    settle(&mut h, Duration::from_secs(10));
    let input = h.get_all_by_role_and_label(Role::TextInput, "New:").nth(1).expect("a New: field");
    input.focus();
    input.type_text("half a thought");
    h.step();
    assert_eq!(h.state().state.drafts.get(1).map(String::as_str), Some("half a thought"));
    wait_until(&mut h, "the autosave", Duration::from_secs(10), |_| {
        std::fs::read_to_string(&session).is_ok_and(|s| s.contains("half a thought"))
    });
    drop(h);
    let mut h = harness(SimlensApp::new(opts()));
    h.run_steps(2);
    assert!(h.get_all_by_role(Role::TextInput).any(|n| n.value().as_deref() == Some("half a thought")));
}

// ---- explanations -----------------------------------------------------------------

#[test]
fn selecting_a_cell_shows_the_token_heatmap_and_the_top_pairs() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().push_command(Command::Select(0, 1));
    wait_until(&mut h, "the explanation", Duration::from_secs(10), |h| h.state().explanation().is_some());
    h.run_steps(2);
    let x = h.state().explanation().cloned().unwrap();
    let r = h.state().result().cloned().unwrap();
    let e = &r.embeddings;
    let cell: f32 = e.row(0).iter().zip(e.row(1)).map(|(a, b)| a * b).sum();
    assert!((x.score - cell).abs() < 1e-5, "{} vs {cell}", x.score);
    assert!(h.query_by_label_contains("exact. The token-pair contributions add up").is_some());
    assert!(h.query_by_label("Top token pairs").is_some());
    assert!(h.query_by_label_contains("phone ↔ phone").is_some(), "the shared word leads");
    // Hiding special tokens says what they still carry.
    h.get_by_label("Hide special tokens").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Special tokens still count").is_some());
}

#[test]
fn selecting_a_group_cell_explains_it() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().state.view.tab = Tab::Groups;
    h.state_mut().push_command(Command::SelectGroups(0, 0));
    wait_until(&mut h, "the group explanation", Duration::from_secs(10), |h| {
        h.query_by_label_contains("What holds “Smartphones” together").is_some()
    });
    // A grid measures itself in its first frame.
    h.run_steps(2);
    assert!(h.query_by_label("phone").is_some(), "the shared word is listed");
}

#[test]
fn the_embeddings_export_writes_parquet() {
    let mut h = harness(fake_app());
    settle(&mut h, Duration::from_secs(10));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("e.parquet");
    h.state_mut().push_command(Command::Export(ExportKind::EmbeddingsParquet, p.clone()));
    wait_until(&mut h, "the Parquet export", Duration::from_secs(10), |_| p.exists());
    wait_until(&mut h, "the export's message", Duration::from_secs(10), |h| {
        h.state().notifications().iter().any(|n| n.text.contains("Parquet"))
    });
    let got = simlens::io::parquet::read_vectors(&p).unwrap();
    let r = h.state().result().unwrap().clone();
    assert_eq!(got.embeddings.data, r.embeddings.data);
    assert_eq!(got.sentences.unwrap(), h.state().state.set);
    // The map's coordinates ride along, as Embedding Atlas's --x/--y take them.
    let meta: std::collections::HashMap<String, String> =
        simlens::io::parquet::metadata(&p).unwrap().into_iter().collect();
    assert_eq!(meta["simlens.map"], "pca");
    let file = std::fs::File::open(&p).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["text", "group", "embedding", "x", "y"]);
    let batch = reader.build().unwrap().next().unwrap().unwrap();
    let x = batch.column_by_name("x").unwrap();
    let x = x.as_any().downcast_ref::<arrow_array::Float32Array>().unwrap();
    let want = simlens::engine::project::pca_2d(&r.embeddings);
    let want = r.map.as_ref().unwrap_or(&want);
    assert!((x.value(0) - want.points[0][0]).abs() < 1e-6);
}

fn duplicated_state() -> State {
    let set = simlens::io::SentenceSet::parse(
        b"# Age\nhow old are you\nhow old are you now\nhow old are you\n# Weather\nrain and storms today\nhow old are you\nsunny skies all week\nthe phone battery died\nmy phone screen cracked\n",
        simlens::io::sentences::SetFormat::Text,
    )
    .unwrap();
    State { set, ..State::default() }
}

fn sentence_count(h: &Harness<'_, SimlensApp>) -> usize {
    h.state().state.set.groups.iter().map(|g| g.sentences.len()).sum()
}

#[test]
fn duplicates_tab_lists_clusters_and_keep_one_of_each_is_one_undo_step() {
    let fake = FakeEmbedder::new("fake-model", 64);
    let mut h =
        harness(SimlensApp::with_state(duplicated_state(), options(fake_loader(fake), "fake-model".into()), vec![]));
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().state.view.tab = Tab::Duplicates;
    wait_until(&mut h, "the duplicate clusters", Duration::from_secs(20), |h| {
        h.query_by_label_contains("cluster(s) of near-duplicates").is_some()
    });
    // Three copies of one sentence: one cluster, two to drop.
    assert!(
        h.query_by_label("1 cluster(s) of near-duplicates; keeping one of each drops 2 of 8 sentences.").is_some(),
        "the count of clusters and of sentences to drop"
    );
    assert!(h.query_by_label("Cluster 1 · 3 sentences · 1 distinct").is_some());
    assert!(h.query_by_label("× 3").is_some(), "the copies counted on one line");
    h.get_by_label("Keep one of each").click();
    h.run_steps(2);
    assert_eq!(sentence_count(&h), 6);
    let left: Vec<&String> = h.state().state.set.groups.iter().flat_map(|g| &g.sentences).collect();
    assert_eq!(left.iter().filter(|s| s.as_str() == "how old are you").count(), 1);
    h.state_mut().push_command(Command::Undo);
    h.run_steps(2);
    assert_eq!(sentence_count(&h), 8, "one undo brings both back");
    // A lower threshold takes in the near-copy too.
    h.state_mut().state.view.duplicate_threshold = 0.8;
    settle(&mut h, Duration::from_secs(10));
    wait_until(&mut h, "the clusters at 0.8", Duration::from_secs(20), |h| {
        h.query_by_label("Cluster 1 · 4 sentences · 2 distinct").is_some()
    });
}

#[test]
fn the_map_colours_by_outlier_score_with_a_colour_bar() {
    let fake = FakeEmbedder::new("fake-model", 64);
    let mut h =
        harness(SimlensApp::with_state(duplicated_state(), options(fake_loader(fake), "fake-model".into()), vec![]));
    settle(&mut h, Duration::from_secs(10));
    h.state_mut().state.view.tab = Tab::Map;
    h.state_mut().state.view.map_colour = simlens::session::MapColour::Outlier;
    wait_until(&mut h, "the outlier colour bar", Duration::from_secs(20), |h| {
        h.query_by_label("outlier score:").is_some()
    });
    h.state_mut().state.view.map_colour = simlens::session::MapColour::NearDuplicate;
    wait_until(&mut h, "the near-duplicate colour bar", Duration::from_secs(20), |h| {
        h.query_by_label("near-duplicate score:").is_some()
    });
}
