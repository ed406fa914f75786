//! Exchanging the notes ref with a remote (blocking: call it from
//! `spawn_blocking`).
//!
//! Several writers may annotate the same remote (two daemons during a
//! hand-over, a person running `kore-gitops sync`). A push that is refused
//! because the remote moved on is answered by fetching the remote's notes,
//! merging them section by section with ours, and pushing again: no note is
//! lost and none is overwritten by a stale one.

use std::cell::RefCell;

use git2::{FetchOptions, PushOptions};

use super::NOTES_REF;
use super::store::{NoteStore, StoreError};
use crate::source::{Connect, local_repository};

/// Where the remote's notes are fetched to before a merge.
const REMOTE_NOTES_REF: &str = "refs/kore-gitops/remote-notes";

/// How many fetch-merge-push rounds are tried before giving up.
pub const PUSH_ATTEMPTS: usize = 5;

/// A failure to exchange notes with the remote.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// git failed (remote unreachable, authentication refused, …).
    #[error("notes exchange with remote {remote:?}: {source}")]
    Git {
        /// The remote's name in the mirror.
        remote: String,
        /// The cause.
        source: git2::Error,
    },
    /// Reading or merging the local notes failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The lock of a local remote could not be taken.
    #[error("locking {path} for a notes push: {source}")]
    Lock {
        /// The lock file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Other writers kept moving the remote ref.
    #[error("notes push to {remote:?} still refused after {PUSH_ATTEMPTS} fetch-and-merge rounds")]
    Contended {
        /// The remote's name in the mirror.
        remote: String,
    },
}

/// Pushes [`NOTES_REF`] to `remote`, merging in the remote's notes first
/// whenever the push is refused. `connection` gives the credentials,
/// proxy and redaction for each connection. Returns the number of rounds it took.
pub fn push_notes(
    store: &NoteStore,
    remote: &str,
    connection: &dyn Connect,
) -> Result<usize, SyncError> {
    let git_err = |source| SyncError::Git {
        remote: remote.to_owned(),
        source,
    };
    // For a local remote the whole fetch-merge-push exchange is one turn, so
    // the second round always succeeds.
    let _turn = local_turn(store, remote)?;
    for round in 1..=PUSH_ATTEMPTS {
        // Reading the remote ref back catches a push that another writer
        // overwrote at the same instant: it must be exactly ours.
        if try_push(store, remote, connection).map_err(git_err)?
            && remote_has_ours(store, remote, connection)?
        {
            return Ok(round);
        }
        pull_notes(store, remote, connection)?;
    }
    Err(SyncError::Contended {
        remote: remote.to_owned(),
    })
}

/// The lock file, in a local remote's git folder, that writers on this machine
/// take turns on.
const LOCAL_LOCK: &str = "kore-gitops-notes.lock";

/// Writers pushing to a local path take turns: libgit2's local transport
/// moves the ref without compare-and-swap (a git server checks the old value
/// under a lock), so two writers pushing at once could both "succeed", the
/// second erasing the first's note. The turn ends when the file is dropped.
fn local_turn(store: &NoteStore, remote: &str) -> Result<Option<std::fs::File>, SyncError> {
    let url = store
        .repo()
        .find_remote(remote)
        .ok()
        .and_then(|r| r.url().ok().map(str::to_owned));
    let Some(git_dir) = url.as_deref().and_then(local_repository) else {
        return Ok(None);
    };
    let path = git_dir.join(LOCAL_LOCK);
    let lock_err = |source| SyncError::Lock {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(lock_err)?;
    file.lock().map_err(lock_err)?;
    Ok(Some(file))
}

/// Fetches the remote's notes and merges them into ours (a fresh clone does not
/// fetch `refs/notes/*`, so this is also how existing notes are first read).
pub fn pull_notes(
    store: &NoteStore,
    remote: &str,
    connection: &dyn Connect,
) -> Result<(), SyncError> {
    if fetch_remote_notes(store, remote, connection)?.is_none() {
        return Ok(()); // the remote has no notes yet
    }
    store.rebase_onto(REMOTE_NOTES_REF)?;
    Ok(())
}

/// Pulls the remote's notes, then pushes ours if we hold notes the remote
/// does not (written while it was unreachable, or before a restart: the
/// mirror's refs are the record of what is pending). Returns the push's
/// rounds, `None` when nothing was due.
pub fn exchange_notes(
    store: &NoteStore,
    remote: &str,
    connection: &dyn Connect,
) -> Result<Option<usize>, SyncError> {
    pull_notes(store, remote, connection)?;
    if !notes_pending(store)? {
        return Ok(None);
    }
    push_notes(store, remote, connection).map(Some)
}

/// Whether our notes ref holds notes the remote's did not at the last
/// exchange.
pub fn notes_pending(store: &NoteStore) -> Result<bool, SyncError> {
    Ok(store.ahead_of(REMOTE_NOTES_REF)?)
}

/// Whether the remote's notes ref now points where ours does.
fn remote_has_ours(
    store: &NoteStore,
    remote: &str,
    connection: &dyn Connect,
) -> Result<bool, SyncError> {
    let Ok(ours) = store.repo().refname_to_id(NOTES_REF) else {
        return Ok(true);
    };
    Ok(fetch_remote_notes(store, remote, connection)? == Some(ours))
}

/// Fetches the remote's notes ref to [`REMOTE_NOTES_REF`]; where it points,
/// or `None` when the remote has no notes.
fn fetch_remote_notes(
    store: &NoteStore,
    remote: &str,
    connection: &dyn Connect,
) -> Result<Option<git2::Oid>, SyncError> {
    let git_err = |source| SyncError::Git {
        remote: remote.to_owned(),
        source: redacted(connection, &source),
    };
    let repo = store.repo();
    let mut handle = repo.find_remote(remote).map_err(git_err)?;
    connection
        .before_connecting(handle.url().ok())
        .map_err(git_err)?;
    let refspec = format!("+{NOTES_REF}:{REMOTE_NOTES_REF}");
    let mut options = FetchOptions::new();
    options.remote_callbacks(connection.callbacks());
    options.proxy_options(connection.proxy(handle.url().ok()));
    handle
        .fetch(&[refspec.as_str()], Some(&mut options), None)
        .map_err(git_err)?;
    Ok(repo.refname_to_id(REMOTE_NOTES_REF).ok())
}

/// One push attempt: Ok(true) when the remote took it, Ok(false) when it was
/// refused because the remote's ref moved on.
fn try_push(
    store: &NoteStore,
    remote: &str,
    connection: &dyn Connect,
) -> Result<bool, git2::Error> {
    let repo = store.repo();
    if repo.refname_to_id(NOTES_REF).is_err() {
        return Ok(true); // nothing to push yet
    }
    let refused = RefCell::new(None::<String>);
    let mut cbs = connection.callbacks();
    cbs.push_update_reference(|_, status| {
        *refused.borrow_mut() = status.map(str::to_owned);
        Ok(())
    });
    let mut handle = repo.find_remote(remote)?;
    connection.before_connecting(handle.url().ok())?;
    let mut options = PushOptions::new();
    options.remote_callbacks(cbs);
    options.proxy_options(connection.proxy(handle.url().ok()));
    let refspec = format!("{NOTES_REF}:{NOTES_REF}");
    match handle.push(&[refspec.as_str()], Some(&mut options)) {
        Ok(()) => Ok(refused.borrow().is_none()),
        Err(e) if e.code() == git2::ErrorCode::NotFastForward => Ok(false),
        Err(e) => Err(redacted(connection, &e)),
    }
}

/// `error` explained, with the connection's secrets (a proxy password) taken out.
fn redacted(connection: &dyn Connect, error: &git2::Error) -> git2::Error {
    git2::Error::new(error.code(), error.class(), connection.explain(error))
}
