//! Latency of one edit in a large session: from the frame that applies the edit to the
//! frame that shows it in the heatmap, with the real model and worker.
//!
//! A headless harness: the app runs in a bare egui context (no window, no GPU upload);
//! the edit's text is new, so its vector is computed by ONNX Runtime (no cache hit).
//! The typing debounce is set to zero: the figure is the time after the user pauses.
//!
//! Run: `cargo bench --bench edit_latency [-- N EDITS]` (default 5000 sentences, 20 edits).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use simlens::app::{AppOptions, Command, SimlensApp};
use simlens::io::{Group, SentenceSet};
use simlens::session::State;

fn sentences(n: usize) -> SentenceSet {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/corpus/short_1000.txt"))
        .expect("benches/corpus/short_1000.txt");
    let base: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let endings = ["", " today", " again", " at night", " this year"];
    let mut set = SentenceSet::default();
    for g in 0..10 {
        set.groups.push(Group { name: format!("Group {g}"), sentences: Vec::new() });
    }
    for i in 0..n {
        let s = format!("{}{}", base[i % base.len()], endings[(i / base.len()) % endings.len()]);
        set.groups[i * 10 / n].sentences.push(s);
    }
    set
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(5000).max(100);
    let edits = args.get(1).copied().unwrap_or(20).max(1);
    let cache = tempfile::tempdir().unwrap();
    let options = AppOptions {
        session_path: None,
        debounce: Duration::ZERO,
        cache_dir: Some(cache.path().to_path_buf()),
        ..AppOptions::default()
    };
    let mut app = SimlensApp::with_state(State { set: sentences(n), ..State::default() }, options, vec![]);
    let ctx = egui::Context::default();
    let size = egui::vec2(1600.0, 1000.0);
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
        max_texture_side: Some(16_384),
        ..Default::default()
    };
    // One frame; returns whether it updated the heatmap texture in part.
    let frame = |app: &mut SimlensApp| {
        let out = ctx.run_ui(input(), |ui| app.ui(ui));
        let partial = out.textures_delta.set.iter().any(|(_, ds)| ds.iter().any(|d| d.pos.is_some()));
        std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point));
        partial
    };
    let start = Instant::now();
    while app.result().is_none_or(|r| r.matrix_len() != n) || !app.heatmap_is_final() {
        frame(&mut app);
        std::thread::sleep(Duration::from_millis(5));
        assert!(start.elapsed() < Duration::from_secs(600), "no first result");
    }
    frame(&mut app);
    println!("{n} sentences embedded and drawn in {:.1} s", start.elapsed().as_secs_f64());
    let mut times = Vec::new();
    let mut worker = Vec::new();
    for k in 0..edits {
        let (g, i) = ((k * 3) % 10, (k * 37) % (n / 10));
        let before = app.result().unwrap().job;
        let t = Instant::now();
        let text = format!("{} (edited {k})", app.state.set.groups[g].sentences[i]);
        app.push_command(Command::EditSentence { group: g, index: i, text });
        loop {
            let partial = frame(&mut app);
            let r = app.result().unwrap();
            if r.job != before {
                assert!(partial, "the edit redrew the whole texture");
                worker.push(r.cost.elapsed);
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
            assert!(t.elapsed() < Duration::from_secs(30), "edit {k} never arrived");
        }
        times.push(t.elapsed());
    }
    times.sort();
    worker.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "edit → heatmap updated, {edits} edits: median {:.1} ms, p95 {:.1} ms, worst {:.1} ms (worker part: median {:.1} ms)",
        ms(times[times.len() / 2]),
        ms(times[(times.len() * 95 / 100).min(times.len() - 1)]),
        ms(*times.last().unwrap()),
        ms(worker[worker.len() / 2])
    );
}
