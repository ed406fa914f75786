//! Reading and updating status notes in a local repository (blocking: call it
//! from `spawn_blocking`).

use std::path::Path;

use git2::{Repository, Signature};

use super::NOTES_REF;
use super::note::{BotStatus, Note, NoteError};
use crate::ids::CommitId;

/// A failure to read or write notes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// git itself failed (repository missing, object store unwritable, …).
    #[error("git notes: {0}")]
    Git(#[from] git2::Error),
    /// A note on the commit is not one of ours; it is left untouched.
    #[error("note on commit {commit}: {source}")]
    Foreign {
        /// The annotated commit.
        commit: CommitId,
        /// Why it could not be parsed.
        source: NoteError,
    },
    /// Writing failed (a full disk, a locked ref); the status is kept in
    /// memory and written again at the next note write or git refresh.
    #[error("{0}; the status is kept in memory and written at the next note write or git refresh")]
    Deferred(Box<StoreError>),
}

/// The notes of one repository, under [`NOTES_REF`].
pub struct NoteStore {
    repo: Repository,
    author: (String, String),
}

impl std::fmt::Debug for NoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteStore")
            .field("path", &self.repo.path())
            .finish()
    }
}

impl NoteStore {
    /// Opens the repository (bare or not) at `path`.
    pub fn open(path: &Path) -> Result<NoteStore, StoreError> {
        Ok(NoteStore::with_repo(Repository::open(path)?))
    }

    /// Opens the repository containing `path`, searching upwards as `git`
    /// does, so a command run anywhere inside a work tree finds its notes.
    pub fn discover(path: &Path) -> Result<NoteStore, StoreError> {
        Ok(NoteStore::with_repo(Repository::discover(path)?))
    }

    fn with_repo(repo: Repository) -> NoteStore {
        let author = ("kore-gitops".to_owned(), "kore-gitops@localhost".to_owned());
        NoteStore { repo, author }
    }

    /// The commit a revision (`HEAD`, a branch, a tag, `HEAD~2`, an id) names.
    pub fn resolve(&self, revision: &str) -> Result<CommitId, git2::Error> {
        let commit = self.repo.revparse_single(revision)?.peel_to_commit()?;
        Ok(CommitId::from_oid(commit.id()))
    }

    /// The repository, for the notes exchange with a remote.
    pub(super) fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The note on `commit`, if there is one.
    pub fn read(&self, commit: CommitId) -> Result<Option<Note>, StoreError> {
        self.read_at(NOTES_REF, commit)
    }

    /// The note on `commit` as text, with the id of the blob holding it (for
    /// callers that cache parsed notes by blob: a blob never changes).
    pub fn note_text(&self, commit: CommitId) -> Result<Option<(git2::Oid, String)>, StoreError> {
        match self.repo.find_note(Some(NOTES_REF), commit.to_oid()) {
            Ok(note) => Ok(Some((
                note.id(),
                note.message().unwrap_or_default().to_owned(),
            ))),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets one bot's section of the note on `commit`, keeping every other
    /// section and any foreign text. Nothing is written when the section
    /// already says the same; returns whether a note was written.
    pub fn upsert(
        &self,
        commit: CommitId,
        bot: &str,
        status: &BotStatus,
    ) -> Result<bool, StoreError> {
        self.upsert_many(commit, [(bot, status)])
    }

    /// Sets several bots' sections of the note on `commit` at once: one
    /// read, one parse and at most one notes commit for all of them (a pass
    /// over N bots would otherwise rewrite the growing note N times).
    pub fn upsert_many<'a>(
        &self,
        commit: CommitId,
        sections: impl IntoIterator<Item = (&'a str, &'a BotStatus)>,
    ) -> Result<bool, StoreError> {
        let (_, changed) = self.upsert_over(commit, None, sections)?;
        Ok(changed)
    }

    /// Like [`NoteStore::upsert_many`], over `base`, the note on `commit` as
    /// the caller last read it from this notes ref (`None`: read it now).
    /// Returns the note as it now stands and whether it was written.
    pub fn upsert_over<'a>(
        &self,
        commit: CommitId,
        base: Option<Note>,
        sections: impl IntoIterator<Item = (&'a str, &'a BotStatus)>,
    ) -> Result<(Note, bool), StoreError> {
        let mut note = match base {
            Some(note) => note,
            None => self.read_for_update(commit)?.unwrap_or_default(),
        };
        let mut changed = false;
        for (bot, status) in sections {
            if note
                .bots
                .get(bot)
                .is_some_and(|old| status.adds_nothing_to(old))
            {
                continue;
            }
            note.bots.insert(bot.to_owned(), status.clone());
            changed = true;
        }
        if changed {
            self.write(commit, &note)?;
        }
        Ok((note, changed))
    }

    /// The note on `commit` as a writer sees it: a note without a block of
    /// ours is all foreign text, a malformed block of ours is dropped (and
    /// said), to be rewritten from what the daemon knows.
    pub fn read_for_update(&self, commit: CommitId) -> Result<Option<Note>, StoreError> {
        let Some(text) = self.read_text(NOTES_REF, commit)? else {
            return Ok(None);
        };
        let (note, malformed) = Note::parse_for_update(&text);
        if let Some(e) = malformed {
            tracing::warn!(%commit, error = %e, "our section of the note is malformed; rewriting it");
        }
        Ok(Some(note))
    }

    /// Where [`NOTES_REF`] points (`None`: no notes yet).
    pub fn notes_ref(&self) -> Option<git2::Oid> {
        self.repo.refname_to_id(NOTES_REF).ok()
    }

    /// Makes [`NOTES_REF`] hold both its notes and those of `other_ref`.
    ///
    /// Proportional to what changed, not to every note ever written: when one
    /// side descends from the other the ref fast-forwards (or stays); when
    /// both moved, our ref takes theirs and only the notes we changed since
    /// the two last met are re-applied on top, section by section (the newest
    /// section of a bot wins). Afterwards our ref descends from theirs, so a
    /// push fast-forwards and neither side's notes are lost.
    pub(super) fn rebase_onto(&self, other_ref: &str) -> Result<(), StoreError> {
        let theirs = self.repo.refname_to_id(other_ref)?;
        let ours = match self.repo.refname_to_id(NOTES_REF) {
            Ok(ours) if ours != theirs => ours,
            Ok(_) => return Ok(()),
            Err(_) => return self.point_at(theirs),
        };
        let base = self.repo.merge_base(ours, theirs).ok();
        if base == Some(theirs) {
            return Ok(()); // ours already holds theirs: only a push is due
        }
        if base == Some(ours) {
            return self.point_at(theirs);
        }
        let changed = self.changed_since(base, ours)?;
        self.point_at(theirs)?;
        for (commit, text) in changed {
            self.reapply(commit, &text)?;
        }
        Ok(())
    }

    /// Whether [`NOTES_REF`] holds notes that `other_ref` does not (notes
    /// written since the last exchange): a push is due.
    pub(super) fn ahead_of(&self, other_ref: &str) -> Result<bool, StoreError> {
        let Ok(ours) = self.repo.refname_to_id(NOTES_REF) else {
            return Ok(false);
        };
        let Ok(theirs) = self.repo.refname_to_id(other_ref) else {
            return Ok(true);
        };
        Ok(ours != theirs && !self.repo.graph_descendant_of(theirs, ours)?)
    }

    fn point_at(&self, target: git2::Oid) -> Result<(), StoreError> {
        self.repo
            .reference(NOTES_REF, target, true, "kore-gitops: take remote notes")?;
        Ok(())
    }

    /// The notes added or changed between the notes commits `base` (none: the
    /// empty tree) and `tip`, with their text. A tree diff skips every
    /// subtree both sides share, so this reads only what changed.
    fn changed_since(
        &self,
        base: Option<git2::Oid>,
        tip: git2::Oid,
    ) -> Result<Vec<(CommitId, String)>, StoreError> {
        let tree_of = |oid: git2::Oid| self.repo.find_commit(oid).and_then(|c| c.tree());
        let old = base.map(tree_of).transpose()?;
        let new = tree_of(tip)?;
        let diff = self
            .repo
            .diff_tree_to_tree(old.as_ref(), Some(&new), None)?;
        let mut out = Vec::new();
        for delta in diff.deltas() {
            if delta.status() == git2::Delta::Deleted {
                continue;
            }
            let file = delta.new_file();
            let Some(annotated) = file.path().and_then(note_target) else {
                continue; // not a note
            };
            let blob = self.repo.find_blob(file.id())?;
            out.push((
                annotated,
                String::from_utf8_lossy(blob.content()).into_owned(),
            ));
        }
        Ok(out)
    }

    /// Merges our text of a note into the one the notes ref now holds: each
    /// bot's newest section, and the foreign text of both.
    fn reapply(&self, commit: CommitId, ours: &str) -> Result<(), StoreError> {
        let Some(theirs) = self.read_text(NOTES_REF, commit)? else {
            return self.write_text(commit, ours);
        };
        if theirs == ours {
            return Ok(());
        }
        let (mut merged, _) = Note::parse_for_update(&theirs);
        let (our_note, _) = Note::parse_for_update(ours);
        if merged.merge(&our_note) {
            self.write(commit, &merged)?;
        }
        Ok(())
    }

    fn read_at(&self, notes_ref: &str, commit: CommitId) -> Result<Option<Note>, StoreError> {
        match self.read_text(notes_ref, commit)? {
            None => Ok(None),
            Some(text) => Note::parse(&text)
                .map(Some)
                .map_err(|source| StoreError::Foreign { commit, source }),
        }
    }

    fn read_text(&self, notes_ref: &str, commit: CommitId) -> Result<Option<String>, StoreError> {
        match self.repo.find_note(Some(notes_ref), commit.to_oid()) {
            Ok(note) => Ok(Some(note.message().unwrap_or_default().to_owned())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn write(&self, commit: CommitId, note: &Note) -> Result<(), StoreError> {
        self.write_text(commit, &note.render())
    }

    fn write_text(&self, commit: CommitId, text: &str) -> Result<(), StoreError> {
        let sig = Signature::now(&self.author.0, &self.author.1)?;
        self.repo
            .note(&sig, &sig, Some(NOTES_REF), commit.to_oid(), text, true)?;
        Ok(())
    }
}

/// The commit a path in a notes tree annotates: its hex id, with git's fan-out
/// folders (`ab/cdef…`) joined back.
fn note_target(path: &Path) -> Option<CommitId> {
    let hex: String = path.to_str()?.chars().filter(|c| *c != '/').collect();
    git2::Oid::from_str(&hex)
        .ok()
        .filter(|_| hex.len() == 40)
        .map(CommitId::from_oid)
}
