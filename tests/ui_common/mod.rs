//! What the app's UI tests share: stepping frames in real time until a condition holds.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use simlens::app::SimlensApp;

/// Steps frames in real time until `done` holds, then one frame more so what it waited for
/// is drawn; fails after `limit` naming `what`.
pub fn wait_until(
    h: &mut Harness<'_, SimlensApp>,
    what: &str,
    limit: Duration,
    done: impl Fn(&Harness<'_, SimlensApp>) -> bool,
) {
    let start = Instant::now();
    while !done(h) {
        h.step();
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
    h.step();
}
