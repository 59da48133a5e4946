//! Frame time of the explorer while the pointer moves over a large heatmap.
//!
//! A headless harness: egui's full CPU pass (layout, painting, tessellation) for every
//! frame, with the pointer sweeping the heatmap so tooltips and highlights are drawn.
//! GPU upload and presentation are not included (there is no window); the texture of
//! the matrix is built once, as in the app.
//!
//! Run: `cargo bench --bench frame_time [-- N] [map]` (default N = 2000 sentences; with
//! `map`, the pointer sweeps the 2-D map tab instead of the heatmap).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use simlens::app::worker::Loader;
use simlens::app::{AppOptions, SimlensApp};
use simlens::engine::fake::FakeEmbedder;
use simlens::io::{Group, SentenceSet};
use simlens::session::State;

fn sentences(n: usize) -> SentenceSet {
    let topics = ["phones", "weather", "age", "food", "travel", "music", "sport", "books", "cars", "health"];
    let verbs = ["likes", "hates", "talks about", "asks about", "reads about", "dreams of"];
    let mut set = SentenceSet::default();
    for g in 0..20 {
        let mut group = Group { name: format!("Topic {g}"), sentences: Vec::new() };
        for i in 0..n / 20 {
            let k = g * 1000 + i;
            group.sentences.push(format!(
                "Person {} {} {} and {} number {}",
                k % 97,
                verbs[k % verbs.len()],
                topics[g % topics.len()],
                topics[(k / 7) % topics.len()],
                k
            ));
        }
        set.groups.push(group);
    }
    set
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2000);
    let map = std::env::args().any(|a| a == "map");
    let fake = FakeEmbedder::new("fake-384", 384);
    let loader: Loader = Arc::new(move |_: &std::path::Path, _: &simlens::engine::Precision| {
        Ok(Box::new(fake.clone()) as Box<dyn simlens::engine::Embedder>)
    });
    let mut state = State { set: sentences(n), ..State::default() };
    if map {
        state.view.tab = simlens::session::Tab::Map;
    }
    let options = AppOptions {
        loader,
        session_path: None,
        debounce: Duration::ZERO,
        bundled_model: "fake".into(),
        cache_dir: None,
    };
    let mut app = SimlensApp::with_state(state, options, vec![]);
    let ctx = egui::Context::default();
    let size = egui::vec2(1600.0, 1000.0);
    let input = |events: Vec<egui::Event>| egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
        // A desktop GPU's limit (egui's default for a bare context is 2048).
        max_texture_side: Some(16_384),
        events,
        ..Default::default()
    };
    let frame = |app: &mut SimlensApp, events: Vec<egui::Event>| {
        let t = Instant::now();
        let out = ctx.run_ui(input(events), |ui| app.ui(ui));
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(prims);
        t.elapsed()
    };
    let start = Instant::now();
    let first_frame_with_result = loop {
        let t = frame(&mut app, vec![]);
        let ready = app.result().is_some_and(|r| {
            r.table.texts.len() == app.state.set.len()
                && if map { r.map.is_some() } else { r.matrix_len() == r.table.texts.len() }
        });
        if ready {
            // This frame received the result and built the heatmap texture.
            break t;
        }
        std::thread::sleep(Duration::from_millis(2));
        assert!(start.elapsed() < Duration::from_secs(120), "no result");
    };
    let max_side = ctx.input(|i| i.max_texture_side);
    if map {
        // The splatted texture of a large map comes from a background thread.
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(3) {
            frame(&mut app, vec![egui::Event::PointerMoved(egui::pos2(10.0, 990.0))]);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // Sweep the pointer diagonally across the heatmap area (centre panel).
    let mut times = Vec::new();
    for k in 0..400 {
        let t = k as f32 / 400.0;
        let pos = egui::pos2(520.0 + t * 700.0, 240.0 + t * 650.0);
        times.push(frame(&mut app, vec![egui::Event::PointerMoved(pos)]));
    }
    // Then scroll the sentence editor (left panel) down and back up, wheel notch by notch,
    // with the pointer over it.
    let mut scroll_times = Vec::new();
    let editor = egui::pos2(150.0, 500.0);
    for k in 0..400 {
        let dy = if k < 200 { -60.0 } else { 60.0 };
        let events = vec![
            egui::Event::PointerMoved(editor),
            egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, dy),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Wheel,
                modifiers: egui::Modifiers::NONE,
            },
        ];
        scroll_times.push(frame(&mut app, events));
    }
    // On the map: press in the middle and drag, panning a few points a frame.
    let mut pan_times = Vec::new();
    if map {
        let mut pos = egui::pos2(800.0, 560.0);
        let button = |pressed| egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        frame(&mut app, vec![egui::Event::PointerMoved(pos), button(true)]);
        for k in 0..300 {
            pos += if k < 150 { egui::vec2(2.0, 1.0) } else { egui::vec2(-2.0, -1.0) };
            pan_times.push(frame(&mut app, vec![egui::Event::PointerMoved(pos)]));
        }
        frame(
            &mut app,
            vec![egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed: false,
                modifiers: egui::Modifiers::NONE,
            }],
        );
        pan_times.sort();
    }
    scroll_times.sort();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let view = if map { format!("2-D map of {n} points") } else { format!("heatmap {n}×{n}") };
    println!("{view}, 1600×1000 points, {} hover frames", times.len());
    println!(
        "frame that receives the result and builds the texture (max side {max_side}): {:.2} ms",
        ms(first_frame_with_result)
    );
    println!(
        "frame time while hovering: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(*times.last().unwrap())
    );
    if !pan_times.is_empty() {
        println!(
            "frame time while panning the map: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms",
            ms(pan_times[pan_times.len() / 2]),
            ms(pan_times[pan_times.len() * 95 / 100]),
            ms(*pan_times.last().unwrap())
        );
    }
    println!(
        "frame time while scrolling the editor: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms",
        ms(scroll_times[scroll_times.len() / 2]),
        ms(scroll_times[scroll_times.len() * 95 / 100]),
        ms(*scroll_times.last().unwrap())
    );
}
