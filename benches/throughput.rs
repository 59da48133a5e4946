//! Steady-state embedding throughput of simlens on a corpus, for comparison with the
//! Python peer (`benches/peer_onnxruntime.py`); `scripts/bench` runs both side by side.
//!
//! Run: `cargo bench --bench throughput -- [CORPUS] [PASSES]`. Prints one JSON line.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use simlens::engine::{self, Embedder as _, LoadOptions, Pooling};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let corpus = args
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{}/../shared/testdata/bench_sentences_1000.txt", env!("CARGO_MANIFEST_DIR")));
    let passes: usize = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(3);
    let text = std::fs::read_to_string(&corpus).expect("corpus");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = Instant::now();
    // Batch shape overrides, for exploring the settings: SIMLENS_BENCH_BATCH, SIMLENS_BENCH_TOKENS.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    let defaults = LoadOptions::default();
    let options = LoadOptions {
        batch_size: env("SIMLENS_BENCH_BATCH").unwrap_or(defaults.batch_size),
        max_batch_tokens: env("SIMLENS_BENCH_TOKENS").unwrap_or(defaults.max_batch_tokens),
        threads: env("SIMLENS_BENCH_THREADS").unwrap_or(defaults.threads),
        // SIMLENS_BENCH_PRECISION: fp32 (default), int8 or shipped:NAME.
        precision: std::env::var("SIMLENS_BENCH_PRECISION")
            .ok()
            .map_or(defaults.precision.clone(), |p| p.parse().expect("precision")),
        ..defaults
    };
    let mut m = engine::load_model(engine::bundled_model_dir(), options).expect("model");
    let load_s = start.elapsed().as_secs_f64();
    let tokens: usize = lines.iter().map(|l| m.tokens(l).unwrap().ids.len()).sum();
    // Warm-up: the first run pays for allocator growth and kernel selection.
    m.embed(&lines[..lines.len().min(64)], Pooling::Mean, &mut |_, _| true).unwrap();
    let mut times = Vec::new();
    for _ in 0..passes {
        let t = Instant::now();
        let e = m.embed(&lines, Pooling::Mean, &mut |_, _| true).unwrap();
        times.push(t.elapsed().as_secs_f64());
        assert_eq!(e.len(), lines.len());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{{\"pipeline\": \"simlens\", \"precision\": \"{}\", \"sentences\": {}, \"tokens\": {tokens}, \"load_s\": {load_s:.3}, \"times_s\": {times:?}, \"median_s\": {median:.3}, \"sentences_per_s\": {:.1}, \"tokens_per_s\": {:.0}}}",
        m.info().precision,
        lines.len(),
        lines.len() as f64 / median,
        tokens as f64 / median
    );
}
