//! Undo and redo as a property: any sequence of edits, undone fully, gives back the
//! starting sentences exactly; redone fully, the final ones.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use simlens::app::Command;
use simlens::app::edit::{History, SentenceRef};
use simlens::io::SentenceSet;
use simlens::session::State;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        "[a-z ]{1,12}",
        Just("a\nb\n\nc".to_owned()),
        Just("東京 café".to_owned()),
    ]
}

/// Edits with indices that may be past the end (those change nothing and add no step).
fn edit() -> impl Strategy<Value = Command> {
    let ix = 0usize..5;
    prop_oneof![
        Just(Command::AddGroup),
        (ix.clone(), prop_oneof![Just(-1isize), Just(1isize)]).prop_map(|(g, d)| Command::MoveGroup(g, d)),
        ix.clone().prop_map(Command::DeleteGroup),
        (ix.clone(), text()).prop_map(|(group, name)| Command::RenameGroup { group, name }),
        (ix.clone(), text()).prop_map(|(g, t)| Command::AddSentence(g, t)),
        (ix.clone(), text()).prop_map(|(g, t)| Command::PasteLines(g, t)),
        (ix.clone(), ix.clone(), text()).prop_map(|(group, index, text)| Command::EditSentence { group, index, text }),
        (ix.clone(), ix.clone()).prop_map(|(g, i)| Command::DeleteSentence(g, i)),
        proptest::collection::vec((ix.clone(), ix.clone()), 0..4).prop_map(|v| Command::DeleteSentences(
            v.into_iter().map(|(group, index)| SentenceRef { group, index }).collect()
        )),
        (proptest::collection::vec((ix.clone(), ix.clone()), 0..4), ix.clone()).prop_map(|(v, to)| {
            Command::MoveSentences {
                from: v.into_iter().map(|(group, index)| SentenceRef { group, index }).collect(),
                to,
            }
        }),
        Just(Command::ClearSentences),
        Just(Command::ReplaceSet { set: Box::new(SentenceSet::seed_example()), what: "load the example".into() }),
        Just(Command::EndTyping),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn undo_all_gives_the_start_and_redo_all_the_end(edits in proptest::collection::vec(edit(), 0..40)) {
        let mut state = State { drafts: vec!["a draft".into()], ..State::default() };
        let start = (state.set.clone(), state.drafts.clone());
        let mut history = History::default();
        for c in edits {
            if c == Command::EndTyping {
                history.end_typing();
            } else {
                history.apply(&mut state, c);
            }
        }
        let end = (state.set.clone(), state.drafts.clone());
        let steps = history.len();
        while history.undo(&mut state).is_some() {}
        prop_assert_eq!((state.set.clone(), state.drafts.clone()), start);
        let mut redone = 0;
        while history.redo(&mut state).is_some() {
            redone += 1;
        }
        prop_assert_eq!(redone, steps);
        prop_assert_eq!((state.set.clone(), state.drafts.clone()), end);
    }
}

#[test]
fn a_step_that_changes_nothing_is_not_recorded() {
    let mut state = State::default();
    let mut history = History::default();
    assert!(history.apply(&mut state, Command::DeleteGroup(99)).is_none());
    assert!(history.apply(&mut state, Command::AddSentence(0, "   ".into())).is_none());
    assert!(history.is_empty());
}

#[test]
fn typing_into_one_field_is_one_step_and_another_field_starts_a_new_one() {
    let mut state = State::default();
    let mut history = History::default();
    let first = state.set.groups[0].sentences[0].clone();
    for k in 1..=5 {
        let text = format!("{first}{}", "!".repeat(k));
        history.apply(&mut state, Command::EditSentence { group: 0, index: 0, text });
    }
    assert_eq!(history.len(), 1, "five keystrokes, one step");
    history.apply(&mut state, Command::EditSentence { group: 0, index: 1, text: "other".into() });
    assert_eq!(history.len(), 2, "another field");
    history.end_typing();
    history.apply(&mut state, Command::EditSentence { group: 0, index: 1, text: "other!".into() });
    assert_eq!(history.len(), 3, "after focus left the field");
    history.undo(&mut state);
    history.undo(&mut state);
    history.undo(&mut state);
    assert_eq!(state.set.groups[0].sentences[0], first);
}

#[test]
fn the_history_is_bounded() {
    let mut state = State::default();
    let mut history = History::default();
    for k in 0..(simlens::app::edit::MAX_STEPS + 20) {
        history.apply(&mut state, Command::AddSentence(0, format!("sentence {k}")));
    }
    assert_eq!(history.len(), simlens::app::edit::MAX_STEPS);
    // A huge set: the bound on held sentences drops old steps.
    let big = SentenceSet::parse(
        (0..400_000).map(|i| format!("line {i}\n")).collect::<String>().as_bytes(),
        simlens::io::sentences::SetFormat::Text,
    )
    .unwrap();
    for k in 0..5 {
        history.apply(&mut state, Command::ReplaceSet { set: Box::new(big.clone()), what: format!("open {k}") });
    }
    assert!(history.len() <= 3, "{} steps of 400,000 sentences kept", history.len());
}
