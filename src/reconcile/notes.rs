//! Writing a pass's outcome as the status note on its commit, and pushing it.
//!
//! A pass stages its bot's section in memory ([`SectionIndex`]: the note of
//! the commit parsed once, the staged sections laid over it) and goes on; a
//! flush shortly after writes every staged section, one notes commit per
//! annotated commit, and pushes once. A pass over N bots therefore costs
//! O(1) in notes, not a read, a parse and a rewrite of an N-section note,
//! and a push, each.
//!
//! Notes are the product's memory, so none is dropped on the way:
//! - a staged status that cannot be written (full disk, a locked ref) stays
//!   staged, and is written first at the next flush or exchange;
//! - a note written while the remote is unreachable stays in the mirror's
//!   notes ref, ahead of the remote's; every exchange (each git refresh, also
//!   after a restart, since refs are files) pushes what the remote lacks;
//! - every exchange pulls the remote's notes too, so a note another writer put
//!   there (a one-off `sync`) is seen, and the next pass rewrites it when it
//!   disagrees with what the daemon knows;
//! - a one-off pass flushes before it ends ([`Notes::flush`]), the daemon
//!   before it stops.
//!
//! Loads, flushes and exchanges are serialised: they share one notes ref.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

use crate::ids::CommitId;
use crate::observe::ObserveState;
use crate::source::GitRemote;
use crate::status::index::{Lookup, SectionIndex};
use crate::status::{BotStatus, Note, NoteStore, StoreError};

use super::error::PassError;
use super::notes_flush::{Exchange, FlushOutcome, flush_blocking};

/// After a flush, the next waits this many times as long as it took, so
/// that writing a large note takes at most a fifth of the time however
/// fast passes stage sections.
const FLUSH_SPACING: u32 = 4;

/// And at least this long: while passes follow each other, their sections
/// are written together, about once a second.
const MIN_SPACING: Duration = Duration::from_secs(1);

/// The shortest wait of a flush put off.
const MIN_FLUSH_DELAY: Duration = Duration::from_millis(10);

/// The longest a staged section waits to be written.
const MAX_FLUSH_DELAY: Duration = Duration::from_secs(5);

/// Where notes go: the mirror's notes ref, pushed to its remote.
#[derive(Debug, Clone)]
pub struct Notes {
    repo: PathBuf,
    remote: Option<(String, Arc<GitRemote>)>,
    /// One git reader or writer of the notes ref at a time.
    writer: Arc<Mutex<()>>,
    /// Held shared by every reader and writer, exclusively by maintenance of
    /// the object store (which removes the files it repacked).
    store: Arc<RwLock<()>>,
    index: Arc<std::sync::Mutex<SectionIndex>>,
    flusher: Arc<Flusher>,
    observe: Option<ObserveState>,
}

/// When flushes run: at once when none ran lately (a lone pass's note is
/// written before the pass ends, as a person reading it expects), otherwise
/// one in the background, spaced after the last.
#[derive(Debug, Default)]
struct Flusher {
    state: std::sync::Mutex<FlushState>,
}

#[derive(Debug, Default)]
struct FlushState {
    /// A flush is under way.
    running: bool,
    /// A background flush is waiting.
    scheduled: bool,
    /// How long the last flush took, and when it ended.
    last_cost: Duration,
    last_end: Option<Instant>,
}

/// Who flushes a section just staged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// The pass that staged it, now.
    Now,
    /// A background flush, after this wait.
    Later(Duration),
    /// The background flush already waiting.
    Waiting,
}

impl Flusher {
    fn lock(&self) -> std::sync::MutexGuard<'_, FlushState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn turn(&self) -> Turn {
        let mut state = self.lock();
        if state.scheduled {
            return Turn::Waiting;
        }
        let spacing = (state.last_cost * FLUSH_SPACING).clamp(MIN_SPACING, MAX_FLUSH_DELAY);
        let since = state.last_end.map_or(Duration::MAX, |end| end.elapsed());
        if !state.running && since >= spacing {
            return Turn::Now;
        }
        state.scheduled = true;
        Turn::Later(spacing.saturating_sub(since).max(MIN_FLUSH_DELAY))
    }

    /// A flush starts: when the returned guard is dropped, it ended (also
    /// when the task running it was cancelled).
    fn start(&self) -> Running<'_> {
        self.lock().running = true;
        Running {
            flusher: self,
            started: Instant::now(),
        }
    }
}

/// A flush under way (see [`Flusher::start`]).
struct Running<'a> {
    flusher: &'a Flusher,
    started: Instant,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut state = self.flusher.lock();
        state.running = false;
        state.last_cost = self.started.elapsed();
        state.last_end = Some(Instant::now());
    }
}

impl Notes {
    /// Notes in the repository at `repo`; pushed to the remote named `remote`
    /// (with its credentials and proxy) when one is given.
    pub fn new(repo: PathBuf, remote: Option<(String, Arc<GitRemote>)>) -> Notes {
        Notes {
            repo,
            remote,
            writer: Arc::new(Mutex::new(())),
            store: Arc::new(RwLock::new(())),
            index: Arc::default(),
            flusher: Arc::default(),
            observe: None,
        }
    }

    /// Background flushes are counted in `observe`'s metrics.
    pub fn with_observe(mut self, observe: ObserveState) -> Notes {
        self.observe = Some(observe);
        self
    }

    /// `bot`'s section of the note on `commit`, if any: the one staged, else
    /// the kept note's, else cut out of the note's text in git without
    /// parsing the other sections (older commits, read by promotions).
    pub async fn read_section(
        &self,
        commit: CommitId,
        bot: &str,
    ) -> Result<Option<BotStatus>, PassError> {
        if let Lookup::Known(section) = self.lock_index().section(commit, bot) {
            return Ok(section);
        }
        let _shared = self.store.read().await;
        let (repo, bot) = (self.repo.clone(), bot.to_owned());
        let section = tokio::task::spawn_blocking(move || {
            let Some((_, text)) = NoteStore::open(&repo)?.note_text(commit)? else {
                return Ok(None);
            };
            // A note without a section of ours reads as none.
            Ok::<_, StoreError>(Note::section(&text, &bot).ok().flatten())
        });
        Ok(section.await??)
    }

    /// Records `status` as `bot`'s section on `commit`, unless the section
    /// already says the same: staged at once (the next read sees it), and
    /// written and pushed now when no flush ran lately, else by a flush in
    /// the background shortly after (with the sections other passes staged
    /// meanwhile). Returns the push's rounds when it flushed (`None`:
    /// nothing pushed, or left to the background flush); on a failed write
    /// the section stays staged and the error says so.
    pub async fn record(
        &self,
        commit: CommitId,
        bot: &str,
        status: &BotStatus,
    ) -> Result<Option<usize>, PassError> {
        let is_loaded = self.lock_index().is_loaded(commit);
        let loaded = match is_loaded {
            true => Ok(()),
            false => self.load(commit).await,
        };
        if !self.lock_index().stage(commit, bot, status) {
            return Ok(None);
        }
        // A note that cannot be read: the section stays staged (nothing is
        // lost) and is written at the next flush or git refresh.
        loaded?;
        match self.flusher.turn() {
            Turn::Now => self.flush().await,
            Turn::Later(delay) => {
                self.flush_later(delay);
                Ok(None)
            }
            Turn::Waiting => Ok(None),
        }
    }

    /// Writes every staged section and pushes when a note changed or an
    /// earlier one is still unpushed. Returns the push's fetch-merge rounds
    /// (`None`: nothing pushed). On a failed write the sections stay staged
    /// and the error says so.
    pub async fn flush(&self) -> Result<Option<usize>, PassError> {
        let result = self.write_out(Exchange::PushIfDue).await;
        if !matches!(result, Ok(None)) {
            let rounds = result.as_ref().ok().copied().flatten();
            super::telemetry::record_push(self.observe.as_ref(), rounds);
        }
        result
    }

    /// Writes what is staged, pulls the remote's notes and pushes ours if the
    /// remote lacks any (on every git refresh: the remote may be back).
    pub async fn exchange(&self) -> Result<Option<usize>, PassError> {
        if self.remote.is_none() && !self.lock_index().has_staged() {
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

    fn lock_index(&self) -> std::sync::MutexGuard<'_, SectionIndex> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Parses the note on `commit` into the index (once per commit).
    async fn load(&self, commit: CommitId) -> Result<(), PassError> {
        let _one_writer = self.writer.lock().await;
        if self.lock_index().is_loaded(commit) {
            return Ok(()); // another pass loaded it meanwhile
        }
        let _shared = self.store.read().await;
        let repo = self.repo.clone();
        let (note, at) = tokio::task::spawn_blocking(move || {
            let store = NoteStore::open(&repo)?;
            let at = store.notes_ref();
            Ok::<_, StoreError>((store.read_for_update(commit)?, at))
        })
        .await??;
        self.lock_index().load(commit, note, at);
        Ok(())
    }

    /// A flush after `delay`, in the background.
    fn flush_later(&self, delay: Duration) {
        let notes = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            notes.flusher.lock().scheduled = false;
            if let Err(e) = notes.flush().await {
                tracing::warn!(error = %e, "could not write or push the status notes");
            }
        });
    }

    async fn write_out(&self, mode: Exchange) -> Result<Option<usize>, PassError> {
        let _one_writer = self.writer.lock().await;
        let _shared = self.store.read().await;
        let running = self.flusher.start();
        let (batches, valid_at) = {
            let index = self.lock_index();
            (index.batch(), index.valid_at())
        };
        let (repo, remote) = (self.repo.clone(), self.remote.clone());
        let outcome = tokio::task::spawn_blocking(move || {
            flush_blocking(&repo, batches, valid_at, remote, mode)
        })
        .await;
        drop(running);
        let FlushOutcome {
            written,
            refs,
            result,
        } = outcome?;
        if let Some(refs) = refs {
            let mut index = self.lock_index();
            index.written(written, refs.before, refs.after);
            // A pull may have merged the remote's notes in.
            index.seen_ref(refs.end);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_lone_section_is_flushed_at_once_and_a_burst_in_spaced_batches() {
        let flusher = Flusher::default();
        assert_eq!(flusher.turn(), Turn::Now, "nothing ran lately");
        drop(flusher.start());
        // Right after a flush: the next one waits, and only one waits.
        assert_eq!(flusher.turn(), Turn::Later(MIN_SPACING));
        assert_eq!(flusher.turn(), Turn::Waiting);
        flusher.lock().scheduled = false;
        {
            let _running = flusher.start();
            tokio::time::advance(Duration::from_secs(2)).await;
            assert!(
                matches!(flusher.turn(), Turn::Later(_)),
                "not while one runs"
            );
            flusher.lock().scheduled = false;
        }
        // That flush took 2 s: the next waits four times as long, at most 5 s.
        assert_eq!(flusher.turn(), Turn::Later(Duration::from_secs(5)));
        flusher.lock().scheduled = false;
        tokio::time::advance(MAX_FLUSH_DELAY).await;
        assert_eq!(flusher.turn(), Turn::Now);
    }
}
