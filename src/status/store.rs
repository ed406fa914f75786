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

    /// Sets one bot's section of the note on `commit`. Nothing is written when
    /// the section already says the same; returns whether a note was written.
    pub fn upsert(
        &self,
        commit: CommitId,
        bot: &str,
        status: &BotStatus,
    ) -> Result<bool, StoreError> {
        let mut note = self.read(commit)?.unwrap_or_default();
        if note
            .bots
            .get(bot)
            .is_some_and(|old| status.adds_nothing_to(old))
        {
            return Ok(false);
        }
        note.bots.insert(bot.to_owned(), status.clone());
        self.write(commit, &note)?;
        Ok(true)
    }

    /// Every annotated commit and its note under `notes_ref` (none when the ref
    /// does not exist yet).
    pub(super) fn all_at(&self, notes_ref: &str) -> Result<Vec<(CommitId, String)>, StoreError> {
        let iter = match self.repo.notes(Some(notes_ref)) {
            Ok(iter) => iter,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in iter {
            let (_, annotated) = entry?;
            let note = self.repo.find_note(Some(notes_ref), annotated)?;
            out.push((
                CommitId::from_oid(annotated),
                note.message().unwrap_or_default().to_owned(),
            ));
        }
        Ok(out)
    }

    /// Makes [`NOTES_REF`] point where `other_ref` points, then re-applies every
    /// note we had on top, section by section (the newest section of a bot
    /// wins). Afterwards our ref descends from theirs, so a push fast-forwards
    /// and neither side's notes are lost.
    pub(super) fn rebase_onto(&self, other_ref: &str) -> Result<(), StoreError> {
        let ours = self.all_at(NOTES_REF)?;
        let target = self.repo.refname_to_id(other_ref)?;
        self.repo
            .reference(NOTES_REF, target, true, "kore-gitops: take remote notes")?;
        for (commit, text) in ours {
            self.reapply(commit, &text)?;
        }
        Ok(())
    }

    fn reapply(&self, commit: CommitId, ours: &str) -> Result<(), StoreError> {
        let theirs = self.read_text(NOTES_REF, commit)?;
        match (Note::parse(ours), theirs) {
            (_, None) => self.write_text(commit, ours),
            (Ok(our_note), Some(text)) => match Note::parse(&text) {
                Ok(mut merged) => {
                    if merged.merge(&our_note) {
                        self.write(commit, &merged)?;
                    }
                    Ok(())
                }
                // Theirs is foreign and ours is not: keep both readable by
                // preferring ours, which is the one this tool maintains.
                Err(_) => self.write(commit, &our_note),
            },
            // Ours is foreign and theirs exists: leave theirs.
            (Err(_), Some(_)) => Ok(()),
        }
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
