//! One flush of the staged note sections (blocking: run it on the blocking
//! pool): each commit's note written once over the note the index kept, then
//! the remote told.

use std::path::Path;
use std::sync::Arc;

use crate::source::GitRemote;
use crate::status::index::Batch;
use crate::status::{NoteStore, StoreError, exchange_notes, notes_pending, push_notes};

use super::error::PassError;

/// What a write does with the remote afterwards.
#[derive(Debug, Clone, Copy)]
pub(super) enum Exchange {
    /// Push when a note was written or one is unpushed.
    PushIfDue,
    /// Pull the remote's notes, then push what it lacks.
    PullAndPush,
}

/// Where the notes ref stood around a flush.
#[derive(Debug, Clone, Copy)]
pub(super) struct Refs {
    /// Before the flush wrote anything.
    pub before: Option<git2::Oid>,
    /// After its writes.
    pub after: Option<git2::Oid>,
    /// After the exchange with the remote (a pull may have moved it).
    pub end: Option<git2::Oid>,
}

/// What a flush did.
#[derive(Debug)]
pub(super) struct FlushOutcome {
    /// The batches written (or found already said), each with the commit's
    /// whole note as git now holds it; those that failed are not here and
    /// stay staged.
    pub written: Vec<Batch>,
    /// `None`: the repository could not be opened (nothing was touched).
    pub refs: Option<Refs>,
    /// The push's rounds, or the first failure.
    pub result: Result<Option<usize>, PassError>,
}

/// Writes `batches` over their kept notes (read again from git when the
/// notes ref is no longer at `valid_at`, where they were read), then talks
/// to the remote.
pub(super) fn flush_blocking(
    repo: &Path,
    batches: Vec<Batch>,
    valid_at: Option<Option<git2::Oid>>,
    remote: Option<(String, Arc<GitRemote>)>,
    mode: Exchange,
) -> FlushOutcome {
    let store = match NoteStore::open(repo) {
        Ok(store) => store,
        Err(e) => {
            return FlushOutcome {
                written: Vec::new(),
                refs: None,
                result: Err(deferred(e)),
            };
        }
    };
    let before = store.notes_ref();
    let bases_hold = valid_at == Some(before);
    let (mut written, mut wrote, mut failure) = (Vec::new(), false, None);
    for mut batch in batches {
        let base = match (bases_hold, batch.base.take()) {
            (true, Some(note)) => Some(Arc::unwrap_or_clone(note)),
            _ => None,
        };
        let sections = batch.sections.iter().map(|(bot, s)| (bot.as_str(), s));
        match store.upsert_over(batch.commit, base, sections) {
            Ok((note, changed)) => {
                wrote |= changed;
                batch.base = Some(Arc::new(note));
                written.push(batch);
            }
            Err(e) => {
                failure.get_or_insert(deferred(e));
            }
        }
    }
    let after = store.notes_ref();
    let pushed = match remote {
        None => Ok(None),
        Some((name, connection)) => match mode {
            Exchange::PullAndPush => exchange_notes(&store, &name, connection.as_ref()),
            Exchange::PushIfDue if wrote || notes_pending(&store).unwrap_or(true) => {
                push_notes(&store, &name, connection.as_ref()).map(Some)
            }
            Exchange::PushIfDue => Ok(None),
        },
    };
    let result = match failure {
        Some(e) => Err(e),
        None => pushed.map_err(PassError::from),
    };
    let end = store.notes_ref();
    FlushOutcome {
        written,
        refs: Some(Refs { before, after, end }),
        result,
    }
}

fn deferred(error: StoreError) -> PassError {
    PassError::Notes(StoreError::Deferred(Box::new(error)))
}
