//! Writing a pass's outcome as the status note on its commit, and pushing it.
//!
//! Notes are the product's memory, so none is dropped on the way:
//! - a status that cannot be written (full disk, a locked ref) stays in memory,
//!   in the backlog, and is written first at the next write or exchange;
//! - a note written while the remote is unreachable stays in the mirror's
//!   notes ref, ahead of the remote's; every exchange (each git refresh, also
//!   after a restart, since refs are files) pushes what the remote lacks;
//! - every exchange pulls the remote's notes too, so a note another writer put
//!   there (a one-off `sync`) is seen, and the next pass rewrites it when it
//!   disagrees with what the daemon knows.
//!
//! Note writes of concurrent passes are serialised: they share one notes ref.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Mutex, RwLock};

use crate::ids::CommitId;
use crate::source::GitRemote;
use crate::status::{
    BotStatus, Note, NoteStore, StoreError, exchange_notes, notes_pending, push_notes,
};

use super::error::PassError;

/// Statuses not yet written, by commit and bot (the newest of each).
type Backlog = BTreeMap<(CommitId, String), BotStatus>;

/// Where notes go: the mirror's notes ref, pushed to its remote.
#[derive(Debug, Clone)]
pub struct Notes {
    repo: PathBuf,
    remote: Option<(String, Arc<GitRemote>)>,
    /// One writer at a time.
    writer: Arc<Mutex<()>>,
    /// Held shared by every reader and writer, exclusively by maintenance of
    /// the object store (which removes the files it repacked).
    store: Arc<RwLock<()>>,
    backlog: Arc<std::sync::Mutex<Backlog>>,
    /// Parsed notes by the id of their blob: every pass of a commit reads
    /// the same note, parsing it once is enough.
    parsed: Arc<std::sync::Mutex<HashMap<git2::Oid, Note>>>,
}

/// How many parsed notes are kept (a few commits' worth); past it the cache
/// starts over.
const PARSED_CACHE: usize = 64;

impl Notes {
    /// Notes in the repository at `repo`; pushed to the remote named `remote`
    /// (with its credentials and proxy) when one is given.
    pub fn new(repo: PathBuf, remote: Option<(String, Arc<GitRemote>)>) -> Notes {
        Notes {
            repo,
            remote,
            writer: Arc::new(Mutex::new(())),
            store: Arc::new(RwLock::new(())),
            backlog: Arc::default(),
            parsed: Arc::default(),
        }
    }

    /// Our section of the note on `commit`, if any, with the statuses still
    /// waiting in the backlog laid over it (foreign text is ignored).
    pub async fn read(&self, commit: CommitId) -> Result<Option<Note>, PassError> {
        let note = self.read_parsed(commit).await?;
        let backlog = self.backlog_of(commit);
        if backlog.is_empty() {
            return Ok(note);
        }
        let mut note = note.unwrap_or_default();
        note.bots.extend(backlog);
        Ok(Some(note))
    }

    /// `bot`'s section of the note on `commit`, if any (the backlog's
    /// first), read without parsing the other bots' sections.
    pub async fn read_section(
        &self,
        commit: CommitId,
        bot: &str,
    ) -> Result<Option<BotStatus>, PassError> {
        let key = (commit, bot.to_owned());
        if let Some(status) = self.lock_backlog().get(&key) {
            return Ok(Some(status.clone()));
        }
        let _shared = self.store.read().await;
        let repo = self.repo.clone();
        let section = tokio::task::spawn_blocking(move || {
            let Some((_, text)) = NoteStore::open(&repo)?.note_text(commit)? else {
                return Ok(None);
            };
            // A note without a section of ours reads as none.
            Ok::<_, StoreError>(Note::section(&text, &key.1).ok().flatten())
        });
        Ok(section.await??)
    }

    async fn read_parsed(&self, commit: CommitId) -> Result<Option<Note>, PassError> {
        let _shared = self.store.read().await;
        let (repo, parsed) = (self.repo.clone(), self.parsed.clone());
        let note = tokio::task::spawn_blocking(move || -> Result<Option<Note>, StoreError> {
            let Some((blob, text)) = NoteStore::open(&repo)?.note_text(commit)? else {
                return Ok(None);
            };
            let mut cache = parsed.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(note) = cache.get(&blob) {
                return Ok(Some(note.clone()));
            }
            // A note without a section of ours reads as none.
            let Ok(note) = Note::parse(&text) else {
                return Ok(None);
            };
            if cache.len() >= PARSED_CACHE {
                cache.clear();
            }
            cache.insert(blob, note.clone());
            Ok(Some(note))
        });
        Ok(note.await??)
    }

    fn backlog_of(&self, commit: CommitId) -> Vec<(String, BotStatus)> {
        let backlog = self.backlog.lock().unwrap_or_else(|e| e.into_inner());
        backlog
            .iter()
            .filter(|((at, _), _)| *at == commit)
            .map(|((_, bot), status)| (bot.clone(), status.clone()))
            .collect()
    }

    /// Records `status` as `bot`'s section on `commit` and pushes when a note
    /// changed or an earlier one is still unpushed. Returns the push's
    /// fetch-merge rounds (`None`: nothing pushed). On a failed write the
    /// status stays in the backlog and the error says so.
    pub async fn record(
        &self,
        commit: CommitId,
        bot: &str,
        status: &BotStatus,
    ) -> Result<Option<usize>, PassError> {
        // Most passes confirm what the note already says: that is seen from
        // the bot's own section, without the writer's whole-note parse (one
        // per pass, O(bots) each, serialised: the quadratic part of a pass).
        // Notes not yet pushed go out at the next exchange (every refresh).
        if let Some(old) = self.read_section(commit, bot).await?
            && status.adds_nothing_to(&old)
        {
            return Ok(None);
        }
        self.lock_backlog()
            .insert((commit, bot.to_owned()), status.clone());
        self.write_out(Exchange::PushIfDue).await
    }

    /// Writes the backlog, pulls the remote's notes and pushes ours if the
    /// remote lacks any (on every git refresh: the remote may be back).
    pub async fn exchange(&self) -> Result<Option<usize>, PassError> {
        if self.remote.is_none() && self.lock_backlog().is_empty() {
            return Ok(None);
        }
        self.write_out(Exchange::PullAndPush).await
    }

    /// Runs `work` on the blocking pool with the object store to itself: no
    /// note is read or written meanwhile (for repacking the mirror).
    pub async fn exclusive<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        let _alone = self.store.write().await;
        tokio::task::spawn_blocking(work).await
    }

    fn lock_backlog(&self) -> std::sync::MutexGuard<'_, Backlog> {
        self.backlog.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn write_out(&self, mode: Exchange) -> Result<Option<usize>, PassError> {
        let _one_writer = self.writer.lock().await;
        let _shared = self.store.read().await;
        let pending = std::mem::take(&mut *self.lock_backlog());
        let (repo, remote) = (self.repo.clone(), self.remote.clone());
        let (left, result) =
            tokio::task::spawn_blocking(move || write_and_push(&repo, pending, remote, mode))
                .await?;
        let mut backlog = self.lock_backlog();
        for (key, status) in left {
            // A newer status recorded meanwhile wins over the one kept.
            backlog.entry(key).or_insert(status);
        }
        result
    }
}

/// What a write does with the remote afterwards.
#[derive(Debug, Clone, Copy)]
enum Exchange {
    /// Push when a note was written or one is unpushed.
    PushIfDue,
    /// Pull the remote's notes, then push what it lacks.
    PullAndPush,
}

/// Writes the backlog, then talks to the remote. Returns what could not be
/// written, and the push's rounds or the first failure.
fn write_and_push(
    repo: &std::path::Path,
    pending: Backlog,
    remote: Option<(String, Arc<GitRemote>)>,
    mode: Exchange,
) -> (Backlog, Result<Option<usize>, PassError>) {
    let store = match NoteStore::open(repo) {
        Ok(store) => store,
        Err(e) => return (pending, Err(deferred(e))),
    };
    let (left, written, failure) = write_backlog(&store, pending);
    let Some((name, connection)) = remote else {
        return (left, failure.map_or(Ok(None), Err));
    };
    let pushed = match mode {
        Exchange::PullAndPush => exchange_notes(&store, &name, connection.as_ref()),
        Exchange::PushIfDue if written || notes_pending(&store).unwrap_or(true) => {
            push_notes(&store, &name, connection.as_ref()).map(Some)
        }
        Exchange::PushIfDue => Ok(None),
    };
    let result = match failure {
        Some(e) => Err(e),
        None => pushed.map_err(PassError::from),
    };
    (left, result)
}

/// Upserts every status, one note write per commit for all its bots; those
/// that fail stay. Returns them, whether a note was written, and the first
/// failure.
fn write_backlog(store: &NoteStore, pending: Backlog) -> (Backlog, bool, Option<PassError>) {
    let (mut left, mut written, mut failure) = (Backlog::new(), false, None);
    let mut by_commit: BTreeMap<CommitId, Vec<(String, BotStatus)>> = BTreeMap::new();
    for ((commit, bot), status) in pending {
        by_commit.entry(commit).or_default().push((bot, status));
    }
    for (commit, sections) in by_commit {
        let refs = sections.iter().map(|(bot, status)| (bot.as_str(), status));
        match store.upsert_many(commit, refs) {
            Ok(wrote) => written |= wrote,
            Err(e) => {
                failure.get_or_insert(deferred(e));
                left.extend(sections.into_iter().map(|(bot, s)| ((commit, bot), s)));
            }
        }
    }
    (left, written, failure)
}

fn deferred(error: StoreError) -> PassError {
    PassError::Notes(StoreError::Deferred(Box::new(error)))
}
