//! Time of the full cosine-similarity matrix `E · Eᵀ` and of pair mining, for comparison
//! with numpy (`benches/peer_matrix.py`); `scripts/bench matrix` runs both side by side.
//!
//! Run: `cargo bench --bench matrix -- [N] [PASSES]`. Prints one JSON line.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use simlens::engine::analysis::{PairScope, mine_pairs};
use simlens::engine::{random_unit, similarity_matrix};

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(10_000);
    let passes = args.get(1).copied().unwrap_or(3).max(1);
    let d = 384;
    let emb = random_unit(n, d, 7);
    std::hint::black_box(similarity_matrix(&random_unit(512, d, 1)));
    let times: Vec<f64> = (0..passes)
        .map(|_| {
            let t = Instant::now();
            let m = similarity_matrix(&emb);
            let s = t.elapsed().as_secs_f64();
            std::hint::black_box(&m);
            s
        })
        .collect();
    let mine_n = args.get(2).copied().unwrap_or(50_000);
    let big = random_unit(mine_n, d, 9);
    let t = Instant::now();
    let pairs = mine_pairs(&big, &vec![0; mine_n], 0.3, PairScope::All, 10_000);
    let mine_s = t.elapsed().as_secs_f64();
    println!(
        "{{\"pipeline\": \"simlens\", \"n\": {n}, \"dim\": {d}, \"times_s\": {times:?}, \"median_s\": {:.4}, \"mine_n\": {mine_n}, \"mine_s\": {mine_s:.3}, \"mine_pairs\": {}}}",
        median(times.clone()),
        pairs.len()
    );
}
