//! The session file: atomic autosave, the previous good version, damaged and newer files.

#![allow(clippy::unwrap_used)]

use simlens::session::{Autosaver, State, ViewSettings, load};

fn state_with(text: &str) -> State {
    let mut s = State::default();
    s.set.groups[0].sentences.push(text.to_owned());
    s
}

#[test]
fn damaged_session_is_kept_aside_and_the_previous_autosave_restored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    {
        let mut saver = Autosaver::new();
        saver.save(&path, &state_with("first"));
        // Saves queued together are coalesced to the newest; let the first land.
        let start = std::time::Instant::now();
        while load(&path).state != state_with("first") {
            assert!(start.elapsed() < std::time::Duration::from_secs(5));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        saver.save(&path, &state_with("second"));
    } // dropping joins the thread after the queue is written
    assert_eq!(load(&path).state, state_with("second"));
    std::fs::write(&path, b"{\"version\": 1, \"set\": [trunc").unwrap();
    let loaded = load(&path);
    assert_eq!(loaded.state, state_with("first"), "the previous autosave");
    let notice = loaded.notice.unwrap();
    assert!(notice.contains("damaged") && notice.contains("Restored the previous autosave"), "{notice}");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".bad-"))
        .collect();
    assert_eq!(aside.len(), 1, "the bad file is kept");
}

#[test]
fn newer_format_is_not_loaded_blindly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    std::fs::write(&path, br#"{"version": 99, "set": {"groups": []}}"#).unwrap();
    let loaded = load(&path);
    assert_eq!(loaded.state, State::default());
    assert!(loaded.notice.unwrap().contains("newer simlens (format 99)"));
}

#[test]
fn older_files_get_defaults_for_new_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    std::fs::write(&path, br#"{"set": {"groups": [{"name": "A", "sentences": ["x"]}]}}"#).unwrap();
    let loaded = load(&path);
    assert!(loaded.notice.is_none());
    assert_eq!(loaded.state.set.groups[0].name, "A");
    assert_eq!(loaded.state.view, ViewSettings::default());
}
