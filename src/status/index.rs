//! The sections of the notes being written, in memory.
//!
//! A note holds one section per bot, so it grows with the repository: at a
//! thousand bots it is about 400 KB of TOML. Reading a bot's section out of
//! it on every pass, and parsing and rewriting it for every section a pass
//! changes, costs O(bots) per pass and O(bots²) per commit. The index parses
//! the note of a commit once, keeps its sections, takes the sections passes
//! write (staged: readers see them at once), and hands them to a flush that
//! writes one notes commit per annotated commit for many passes.
//!
//! It holds no git handle: the caller loads notes and flushes (blocking
//! work), and tells the index which notes ref its notes were read at, so
//! that a ref moved by someone else (a pull of the remote's notes) drops
//! what may be stale.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::note::{BotStatus, Note};
use crate::ids::CommitId;

/// How many commits' notes are kept parsed (the head, and a few an
/// environment that follows another was promoted to).
pub const KEPT_NOTES: usize = 4;

/// Sections staged and not yet written, by commit and bot.
pub type Staged = BTreeMap<(CommitId, String), BotStatus>;

/// What the index knows of a bot's section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // a return value, matched at once
pub enum Lookup {
    /// The section (`None`: the note has no section for the bot).
    Known(Option<BotStatus>),
    /// The commit's note is not loaded: read it from git.
    NotLoaded,
}

/// The parsed notes of a few commits and the sections staged over them.
#[derive(Debug, Default)]
pub struct SectionIndex {
    loaded: HashMap<CommitId, Loaded>,
    staged: Staged,
    /// The notes ref (`None`: no notes yet) at which `loaded` is what git
    /// holds; `Some` once anything was loaded or written.
    valid_at: Option<Option<git2::Oid>>,
    /// A counter for least-recently-used eviction.
    clock: u64,
}

#[derive(Debug)]
struct Loaded {
    note: Arc<Note>,
    used: u64,
}

impl SectionIndex {
    /// `bot`'s section on `commit`: the staged one first.
    pub fn section(&mut self, commit: CommitId, bot: &str) -> Lookup {
        if let Some(status) = self.staged.get(&(commit, bot.to_owned())) {
            return Lookup::Known(Some(status.clone()));
        }
        self.clock += 1;
        match self.loaded.get_mut(&commit) {
            Some(loaded) => {
                loaded.used = self.clock;
                Lookup::Known(loaded.note.bots.get(bot).cloned())
            }
            None => Lookup::NotLoaded,
        }
    }

    /// Whether `commit`'s note is loaded.
    pub fn is_loaded(&self, commit: CommitId) -> bool {
        self.loaded.contains_key(&commit)
    }

    /// The notes ref the loaded notes were read at (`None`: nothing loaded).
    pub fn valid_at(&self) -> Option<Option<git2::Oid>> {
        self.valid_at
    }

    /// Takes `note` (`None`: the commit has none) as `commit`'s, read from
    /// git with the notes ref at `at`. Notes read at another ref are dropped.
    pub fn load(&mut self, commit: CommitId, note: Option<Note>, at: Option<git2::Oid>) {
        self.seen_ref(at);
        self.insert(commit, Arc::new(note.unwrap_or_default()));
    }

    /// Stages `status` as `bot`'s section on `commit`, unless it adds nothing
    /// to the section there (the caller loaded the note first). Returns
    /// whether it was staged.
    pub fn stage(&mut self, commit: CommitId, bot: &str, status: &BotStatus) -> bool {
        if let Lookup::Known(Some(old)) = self.section(commit, bot)
            && status.adds_nothing_to(&old)
        {
            return false;
        }
        self.staged.insert((commit, bot.to_owned()), status.clone());
        true
    }

    /// Whether sections wait to be written.
    pub fn has_staged(&self) -> bool {
        !self.staged.is_empty()
    }

    /// What a flush writes: every staged section, grouped by commit, with
    /// the commit's loaded note to write them over (`None`: read it from
    /// git). They stay staged (readers still see them) until
    /// [`SectionIndex::written`].
    pub fn batch(&self) -> Vec<Batch> {
        let mut batches: Vec<Batch> = Vec::new();
        for ((commit, bot), status) in &self.staged {
            if batches.last().is_none_or(|b| b.commit != *commit) {
                batches.push(Batch {
                    commit: *commit,
                    base: self.loaded.get(commit).map(|l| l.note.clone()),
                    sections: Vec::new(),
                });
            }
            let batch = batches.last_mut().expect("pushed above");
            batch.sections.push((bot.clone(), status.clone()));
        }
        batches
    }

    /// A flush found the notes ref at `before`, wrote `batches` (each with
    /// `base` now the commit's whole note as git holds it) and left the ref
    /// at `after`: their sections are no longer staged (unless restaged
    /// meanwhile), and the notes are kept. Loaded notes stay valid only if
    /// they were read at `before` (our own writes change no other note).
    pub fn written(
        &mut self,
        batches: Vec<Batch>,
        before: Option<git2::Oid>,
        after: Option<git2::Oid>,
    ) {
        if self.valid_at != Some(before) {
            self.loaded.clear();
        }
        self.valid_at = Some(after);
        for batch in batches {
            for (bot, status) in batch.sections {
                let key = (batch.commit, bot);
                if self.staged.get(&key) == Some(&status) {
                    self.staged.remove(&key);
                }
            }
            if let Some(note) = batch.base {
                self.insert(batch.commit, note);
            }
        }
    }

    /// The notes ref is now at `at`; when it moved since the loaded notes
    /// were read (a pull, another writer), they may be stale: dropped, to be
    /// read again. Staged sections stay.
    pub fn seen_ref(&mut self, at: Option<git2::Oid>) {
        if self.valid_at != Some(at) {
            self.loaded.clear();
            self.valid_at = Some(at);
        }
    }

    fn insert(&mut self, commit: CommitId, note: Arc<Note>) {
        self.clock += 1;
        let used = self.clock;
        self.loaded.insert(commit, Loaded { note, used });
        while self.loaded.len() > KEPT_NOTES {
            let oldest = self.loaded.iter().min_by_key(|(_, l)| l.used);
            let Some(oldest) = oldest.map(|(commit, _)| *commit) else {
                break;
            };
            self.loaded.remove(&oldest);
        }
    }
}

/// The staged sections of one commit, and its loaded note.
#[derive(Debug)]
pub struct Batch {
    /// The annotated commit.
    pub commit: CommitId,
    /// Its note as loaded (`None`: not loaded).
    pub base: Option<Arc<Note>>,
    /// The sections to write over it.
    pub sections: Vec<(String, BotStatus)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Phase;

    fn commit(n: u8) -> CommitId {
        CommitId::from_bytes([n; 20])
    }

    fn oid(n: u8) -> Option<git2::Oid> {
        Some(git2::Oid::from_bytes(&[n; 20]).unwrap())
    }

    fn note(bots: &[(&str, Phase)]) -> Note {
        let mut note = Note::default();
        for (bot, phase) in bots {
            note.bots
                .insert((*bot).to_owned(), BotStatus::new(*phase, "x"));
        }
        note
    }

    #[test]
    fn a_staged_section_is_read_at_once_and_stays_until_written() {
        let mut index = SectionIndex::default();
        assert_eq!(index.section(commit(1), "a"), Lookup::NotLoaded);
        index.load(commit(1), Some(note(&[("a", Phase::Failed)])), oid(1));
        let synced = BotStatus::new(Phase::Synced, "in sync");
        assert!(index.stage(commit(1), "a", &synced));
        assert_eq!(
            index.section(commit(1), "a"),
            Lookup::Known(Some(synced.clone()))
        );
        assert!(!index.stage(commit(1), "a", &synced), "adds nothing");
        let mut batch = index.batch();
        assert_eq!(batch.len(), 1);
        assert!(batch[0].base.is_some());
        assert_eq!(batch[0].sections, vec![("a".to_owned(), synced.clone())]);
        let mut after = note(&[]);
        after.bots.insert("a".into(), synced.clone());
        batch[0].base = Some(Arc::new(after));
        index.written(batch, oid(1), oid(2));
        assert!(!index.has_staged());
        assert_eq!(index.section(commit(1), "a"), Lookup::Known(Some(synced)));
        assert_eq!(index.section(commit(1), "b"), Lookup::Known(None));
    }

    #[test]
    fn a_section_restaged_during_a_flush_stays_staged() {
        let mut index = SectionIndex::default();
        index.load(commit(1), None, None);
        let first = BotStatus::new(Phase::Importing, "importing");
        index.stage(commit(1), "a", &first);
        let mut batch = index.batch();
        let newer = BotStatus::new(Phase::Synced, "done");
        index.stage(commit(1), "a", &newer);
        let mut after = note(&[]);
        after
            .bots
            .insert("a".into(), batch[0].sections[0].1.clone());
        batch[0].base = Some(Arc::new(after));
        index.written(batch, None, oid(2));
        assert_eq!(index.section(commit(1), "a"), Lookup::Known(Some(newer)));
        assert!(index.has_staged());
    }

    #[test]
    fn a_ref_moved_by_someone_else_drops_the_loaded_notes_but_not_the_staged() {
        let mut index = SectionIndex::default();
        index.load(commit(1), Some(note(&[("a", Phase::Synced)])), oid(1));
        index.load(commit(2), None, oid(1));
        index.stage(commit(2), "b", &BotStatus::new(Phase::Failed, "no"));
        index.seen_ref(oid(1));
        assert!(index.is_loaded(commit(1)), "the same ref keeps them");
        index.seen_ref(oid(9));
        assert_eq!(index.section(commit(1), "a"), Lookup::NotLoaded);
        assert!(matches!(
            index.section(commit(2), "b"),
            Lookup::Known(Some(_))
        ));
    }

    #[test]
    fn only_a_few_commits_are_kept_parsed() {
        let mut index = SectionIndex::default();
        for n in 0..10 {
            index.load(commit(n), None, oid(1));
            index.section(commit(0), "keep the first one in use");
        }
        assert!(index.loaded.len() <= KEPT_NOTES);
        assert!(index.is_loaded(commit(0)) && index.is_loaded(commit(9)));
    }
}
