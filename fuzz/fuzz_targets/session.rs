//! The session loader on arbitrary bytes: a damaged or foreign file is set aside and
//! the app starts from a good state, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simlens::session;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("simlens-fuzz-session-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join("session.json");
    std::fs::write(&path, data).expect("temp file");
    let loaded = session::load(&path);
    // Whatever was read must be a state that serialises again.
    serde_json::to_string(&loaded.state).expect("state serialises");
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        std::fs::remove_file(entry.path()).ok();
    }
});
