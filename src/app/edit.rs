//! Edits of the sentences and groups, and their undo history.
//!
//! [`apply_edit`] is the reducer for every command that changes the sentences; [`History`]
//! wraps it so that each edit is one undoable step. A step keeps a snapshot of the
//! sentences (and the drafts typed into the "New:" fields) from before it; undo puts that
//! back and keeps the current one for redo. Undo costs no inference: the worker's store
//! still holds the vectors of the sentences that come back.
//!
//! The history is bounded: at most [`MAX_STEPS`] steps, holding at most
//! [`MAX_SENTENCES`] sentences between them; the oldest steps go first.

use std::time::{Duration, Instant};

use super::command::Command;
pub use super::refs::{SentenceRef, StepId};
use crate::io::{Group, SentenceSet};
use crate::session::State;

/// Most undo steps kept.
pub const MAX_STEPS: usize = 100;
/// Most sentences the kept steps hold between them (a step holds a whole set).
pub const MAX_SENTENCES: usize = 1_000_000;
/// Typing into one field within this pause of the last keystroke is one step.
const PAUSE: Duration = Duration::from_secs(1);

/// What an applied edit did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The step's name in the Edit menu ("delete group “Weather” (2 sentences)").
    pub label: String,
    /// A message for the user, if the edit deserves one.
    pub note: Option<String>,
    /// Whether the change is large enough that a notification offers Undo.
    pub offer_undo: bool,
    /// Whether it replaced the sentences wholesale (no typing pause to wait for).
    pub replaced: bool,
}

impl Applied {
    fn quiet(label: String) -> Self {
        Self { label, note: None, offer_undo: false, replaced: false }
    }
}

/// The field a typing command edits, to coalesce keystrokes into one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    GroupName(usize),
    Sentence(SentenceRef),
}

fn field_of(c: &Command) -> Option<Field> {
    match c {
        Command::RenameGroup { group, .. } => Some(Field::GroupName(*group)),
        Command::EditSentence { group, index, .. } => {
            Some(Field::Sentence(SentenceRef { group: *group, index: *index }))
        }
        _ => None,
    }
}

fn quote(name: &str) -> String {
    if name.is_empty() { "(unnamed)".to_owned() } else { format!("“{name}”") }
}

fn draft_slot(drafts: &mut Vec<String>, g: usize) -> &mut String {
    if drafts.len() <= g {
        drafts.resize(g + 1, String::new());
    }
    &mut drafts[g]
}

/// Applies an edit to the sentences. `None` when `c` is not an edit or changes nothing
/// (an index past the end, a blank sentence).
pub fn apply_edit(state: &mut State, c: Command) -> Option<Applied> {
    let groups = &mut state.set.groups;
    let drafts = &mut state.drafts;
    match c {
        Command::AddGroup => {
            let mut k = groups.len() + 1;
            while groups.iter().any(|g| g.name == format!("Group {k}")) {
                k += 1;
            }
            // A draft left past the old end must not appear in the new group.
            drafts.truncate(groups.len());
            groups.push(Group { name: format!("Group {k}"), sentences: Vec::new() });
            Some(Applied::quiet("add group".to_owned()))
        }
        Command::MoveGroup(g, delta) => {
            let to = usize::try_from(g as isize + delta).ok().filter(|&t| t < groups.len() && g < groups.len())?;
            let label = format!("move group {} {}", quote(&groups[g].name), if delta < 0 { "up" } else { "down" });
            groups.swap(g, to);
            draft_slot(drafts, g.max(to));
            drafts.swap(g, to);
            Some(Applied::quiet(label))
        }
        Command::DeleteGroup(g) => {
            let group = (g < groups.len()).then(|| groups.remove(g))?;
            if g < drafts.len() {
                drafts.remove(g);
            }
            let label = format!("delete group {} ({} sentences)", quote(&group.name), group.sentences.len());
            let note = format!("Deleted group {} ({} sentences).", quote(&group.name), group.sentences.len());
            Some(Applied { label, note: Some(note), offer_undo: true, replaced: false })
        }
        Command::RenameGroup { group, name } => {
            let g = groups.get_mut(group).filter(|g| g.name != name)?;
            g.name = name;
            Some(Applied::quiet(format!("rename group {}", quote(&g.name))))
        }
        Command::AddSentence(g, text) => {
            let text = text.trim().to_owned();
            let group = groups.get_mut(g).filter(|_| !text.is_empty())?;
            group.sentences.push(text);
            draft_slot(drafts, g).clear();
            Some(Applied::quiet(format!("add a sentence to {}", quote(&group.name))))
        }
        Command::PasteLines(g, text) => {
            let group = groups.get_mut(g)?;
            let before = group.sentences.len();
            group.sentences.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
            let added = group.sentences.len() - before;
            let note = format!("Added {added} sentence(s) to {}.", group.name);
            let label = format!("paste {added} sentence(s) into {}", quote(&group.name));
            Some(Applied { label, note: Some(note), offer_undo: false, replaced: false })
        }
        Command::EditSentence { group, index, text } => {
            let s = groups.get_mut(group).and_then(|g| g.sentences.get_mut(index)).filter(|s| **s != text)?;
            *s = text;
            Some(Applied::quiet("edit a sentence".to_owned()))
        }
        Command::DeleteSentence(g, i) => {
            let group = groups.get_mut(g).filter(|group| i < group.sentences.len())?;
            group.sentences.remove(i);
            Some(Applied::quiet(format!("delete a sentence of {}", quote(&group.name))))
        }
        Command::DeleteSentences(refs) => delete_sentences(&mut state.set, &refs),
        Command::MoveSentences { from, to } => move_sentences(&mut state.set, &from, to),
        Command::NewGroupFrom { from, name } => new_group_from(state, &from, name),
        Command::ClearSentences => {
            let n = state.set.len();
            (n > 0 || !state.set.groups.is_empty()).then_some(())?;
            state.set = SentenceSet::default();
            state.drafts.clear();
            let note = format!("Cleared {n} sentences.");
            Some(Applied { label: format!("clear {n} sentences"), note: Some(note), offer_undo: true, replaced: true })
        }
        Command::ReplaceSet { set, what } => {
            let offer_undo = !state.set.is_empty();
            state.set = *set;
            state.drafts.clear();
            Some(Applied { label: what, note: None, offer_undo, replaced: true })
        }
        _ => None,
    }
}

/// Valid, distinct references in `refs`, in order.
fn valid(set: &SentenceSet, refs: &[SentenceRef]) -> Vec<SentenceRef> {
    let mut ok: Vec<SentenceRef> =
        refs.iter().copied().filter(|r| set.groups.get(r.group).is_some_and(|g| r.index < g.sentences.len())).collect();
    ok.sort_unstable();
    ok.dedup();
    ok
}

/// Takes the sentences `refs` out of `set`, in order.
fn take(set: &mut SentenceSet, refs: &[SentenceRef]) -> Vec<String> {
    let taken: Vec<String> = refs.iter().map(|r| set.groups[r.group].sentences[r.index].clone()).collect();
    // From the back, so the indices still to remove stay valid.
    for r in refs.iter().rev() {
        set.groups[r.group].sentences.remove(r.index);
    }
    taken
}

fn delete_sentences(set: &mut SentenceSet, refs: &[SentenceRef]) -> Option<Applied> {
    let refs = valid(set, refs);
    (!refs.is_empty()).then_some(())?;
    take(set, &refs);
    let n = refs.len();
    Some(Applied {
        label: format!("delete {n} sentence(s)"),
        note: (n > 1).then(|| format!("Deleted {n} sentences.")),
        offer_undo: n > 1,
        replaced: false,
    })
}

fn move_sentences(set: &mut SentenceSet, from: &[SentenceRef], to: usize) -> Option<Applied> {
    let refs: Vec<SentenceRef> = valid(set, from).into_iter().filter(|r| r.group != to).collect();
    (to < set.groups.len() && !refs.is_empty()).then_some(())?;
    let moved = take(set, &refs);
    let n = moved.len();
    let name = quote(&set.groups[to].name);
    set.groups[to].sentences.extend(moved);
    Some(Applied::quiet(format!("move {n} sentence(s) to {name}")))
}

fn new_group_from(state: &mut State, from: &[SentenceRef], name: String) -> Option<Applied> {
    let refs = valid(&state.set, from);
    (!refs.is_empty()).then_some(())?;
    let moved = take(&mut state.set, &refs);
    let n = moved.len();
    state.set.groups.push(crate::io::Group { name: name.clone(), sentences: moved });
    state.drafts.resize(state.set.groups.len(), String::new());
    let note = format!("Moved {n} sentence(s) into the new group {}.", quote(&name));
    Some(Applied {
        label: format!("new group {} of {n} sentence(s)", quote(&name)),
        note: Some(note),
        offer_undo: true,
        replaced: false,
    })
}

/// What was there before a step.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    set: SentenceSet,
    drafts: Vec<String>,
}

impl Snapshot {
    fn of(state: &State) -> Self {
        Self { set: state.set.clone(), drafts: state.drafts.clone() }
    }

    fn restore(self, state: &mut State) {
        state.set = self.set;
        state.drafts = self.drafts;
    }
}

/// One undoable step.
struct Step {
    id: StepId,
    label: String,
    /// The sentences before the step (for undo) or after it (for redo).
    other: Snapshot,
}

/// The last typing, to coalesce keystrokes.
struct Typing {
    field: Field,
    at: Instant,
}

/// Undo and redo for every edit.
#[derive(Default)]
pub struct History {
    undo: Vec<Step>,
    redo: Vec<Step>,
    typing: Option<Typing>,
    next: u64,
}

impl History {
    /// Applies an edit as one undoable step; keystrokes into one field that follow each
    /// other within a pause join the step they started. `None` when nothing changed.
    pub fn apply(&mut self, state: &mut State, c: Command) -> Option<(Applied, StepId)> {
        let field = field_of(&c);
        let continues = match (&self.typing, field) {
            (Some(t), Some(f)) => t.field == f && t.at.elapsed() < PAUSE && !self.undo.is_empty(),
            _ => false,
        };
        // The snapshot is taken only when a step starts: one clone of the set per step.
        let before = (!continues).then(|| Snapshot::of(state));
        let applied = apply_edit(state, c)?;
        self.typing = field.map(|field| Typing { field, at: Instant::now() });
        self.redo.clear();
        match before {
            Some(other) => {
                self.next += 1;
                let id = StepId(self.next);
                self.undo.push(Step { id, label: applied.label.clone(), other });
                self.trim();
                Some((applied, id))
            }
            None => {
                let id = self.undo.last().map_or(StepId(0), |s| s.id);
                Some((applied, id))
            }
        }
    }

    /// A new typing run starts at the next keystroke (focus moved, Enter pressed).
    pub fn end_typing(&mut self) {
        self.typing = None;
    }

    /// Drops the oldest steps past the bounds.
    fn trim(&mut self) {
        let held = |steps: &[Step]| steps.iter().map(|s| s.other.set.len()).sum::<usize>();
        while self.undo.len() > 1
            && (self.undo.len() > MAX_STEPS || held(&self.undo) + held(&self.redo) > MAX_SENTENCES)
        {
            self.undo.remove(0);
        }
    }

    /// Undoes the last step; returns its label.
    pub fn undo(&mut self, state: &mut State) -> Option<String> {
        self.typing = None;
        let step = self.undo.pop()?;
        let (label, back) = Self::swap(step, state);
        self.redo.push(back);
        Some(label)
    }

    /// Redoes the last undone step; returns its label.
    pub fn redo(&mut self, state: &mut State) -> Option<String> {
        self.typing = None;
        let step = self.redo.pop()?;
        let (label, back) = Self::swap(step, state);
        self.undo.push(back);
        Some(label)
    }

    /// Puts the step's sentences in place; returns its label and the step that goes back.
    fn swap(step: Step, state: &mut State) -> (String, Step) {
        let now = Snapshot::of(state);
        step.other.restore(state);
        (step.label.clone(), Step { id: step.id, label: step.label, other: now })
    }

    /// Whether `id` is the step an undo would undo now.
    pub fn is_last(&self, id: StepId) -> bool {
        self.undo.last().is_some_and(|s| s.id == id)
    }

    /// The name of the step an undo would undo.
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(|s| s.label.as_str())
    }

    /// The name of the step a redo would redo.
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|s| s.label.as_str())
    }

    /// Steps that can be undone.
    pub fn len(&self) -> usize {
        self.undo.len()
    }

    /// Whether nothing can be undone.
    pub fn is_empty(&self) -> bool {
        self.undo.is_empty()
    }
}
