//! Click to explanation: from the frame that selects a heatmap cell to the frame whose
//! details panel has the pair's explanation, with the real model and worker, for pairs of
//! about 30-token sentences. Mean pooling (exact), then CLS pooling (occlusion: every
//! token dropped in turn, one run).
//!
//! Run: `cargo bench --bench explain_latency [-- CLICKS]` (default 20 clicks each).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use simlens::app::{AppOptions, Command, SimlensApp};
use simlens::engine::Pooling;
use simlens::io::{Group, SentenceSet};
use simlens::session::State;

/// Sentences of about 30 word pieces each (long lines of the benchmark corpus).
fn sentences() -> SentenceSet {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/corpus/mixed_2000.txt"))
        .expect("benches/corpus/mixed_2000.txt");
    let picked: Vec<String> = text
        .lines()
        .filter(|l| (20..=26).contains(&l.split_whitespace().count()))
        .take(40)
        .map(str::to_owned)
        .collect();
    assert!(picked.len() >= 20, "not enough sentences of about 30 tokens");
    SentenceSet { groups: vec![Group { name: "Long".into(), sentences: picked }] }
}

fn main() {
    let clicks = std::env::args().skip(1).filter_map(|a| a.parse().ok()).next().unwrap_or(20usize).max(1);
    let cache = tempfile::tempdir().unwrap();
    let options = AppOptions {
        session_path: None,
        debounce: Duration::ZERO,
        cache_dir: Some(cache.path().to_path_buf()),
        ..AppOptions::default()
    };
    let mut app = SimlensApp::with_state(State { set: sentences(), ..State::default() }, options, vec![]);
    let ctx = egui::Context::default();
    let size = egui::vec2(1600.0, 1000.0);
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
        ..Default::default()
    };
    let frame = |app: &mut SimlensApp| {
        let out = ctx.run_ui(input(), |ui| app.ui(ui));
        std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point));
    };
    for pooling in [Pooling::Mean, Pooling::Cls] {
        app.push_command(Command::SetPooling(pooling));
        let start = Instant::now();
        while app.result().is_none_or(|r| r.pooling != pooling) || app.is_busy() {
            frame(&mut app);
            std::thread::sleep(Duration::from_millis(2));
            assert!(start.elapsed() < Duration::from_secs(120), "no result");
        }
        let r = app.result().cloned().unwrap();
        let tokens: Vec<usize> = r.table.texts.iter().map(|t| t.split_whitespace().count()).collect();
        let mut times = Vec::new();
        let mut worker = Vec::new();
        for k in 0..clicks {
            let (i, j) = (k % r.table.len(), (k * 7 + 3) % r.table.len());
            let t = Instant::now();
            app.push_command(Command::Select(i, j));
            loop {
                frame(&mut app);
                if let Some((a, b, took)) = app.explanation_asked()
                    && a == r.table.texts[i]
                    && b == r.table.texts[j]
                {
                    worker.push(took);
                    break;
                }
                std::thread::sleep(Duration::from_micros(200));
                assert!(t.elapsed() < Duration::from_secs(30), "click {k} never explained");
            }
            times.push(t.elapsed());
        }
        times.sort();
        worker.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let method = if pooling == Pooling::Mean { "exact" } else { "occlusion" };
        println!(
            "{pooling} pooling ({method}), {clicks} clicks, sentences of {}–{} words: click → explanation median {:.1} ms, p95 {:.1} ms, worst {:.1} ms (worker part: median {:.1} ms)",
            tokens.iter().min().unwrap(),
            tokens.iter().max().unwrap(),
            ms(times[times.len() / 2]),
            ms(times[(times.len() * 95 / 100).min(times.len() - 1)]),
            ms(*times.last().unwrap()),
            ms(worker[worker.len() / 2])
        );
    }
}
