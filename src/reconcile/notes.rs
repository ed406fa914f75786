//! Writing a pass's outcome as the status note on its commit, and pushing it.
//! Note writes of concurrent passes are serialised: they share one notes ref.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::config::GitAuth;
use crate::ids::CommitId;
use crate::source::remote_callbacks;
use crate::status::{BotStatus, Note, NoteStore, pull_notes, push_notes};

use super::error::PassError;

/// Where notes go: the mirror's notes ref, pushed to its remote.
#[derive(Debug, Clone)]
pub struct Notes {
    repo: PathBuf,
    remote: Option<(String, Arc<GitAuth>)>,
    lock: Arc<Mutex<()>>,
}

impl Notes {
    /// Notes in the repository at `repo`; pushed to the remote named `remote`
    /// (authenticated with `auth`) when one is given.
    pub fn new(repo: PathBuf, remote: Option<(String, Arc<GitAuth>)>) -> Notes {
        Notes {
            repo,
            remote,
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// The note on `commit`, if any (a foreign note reads as none).
    pub async fn read(&self, commit: CommitId) -> Result<Option<Note>, PassError> {
        let repo = self.repo.clone();
        let note =
            tokio::task::spawn_blocking(move || NoteStore::open(&repo)?.read(commit)).await?;
        Ok(note.unwrap_or_else(|e| {
            tracing::warn!(%commit, error = %e, "a note on the commit is not ours; leaving it alone");
            None
        }))
    }

    /// Records `status` as `bot`'s section on `commit` and pushes when it
    /// changed. Returns the push's fetch-merge rounds (`None`: nothing pushed).
    pub async fn record(
        &self,
        commit: CommitId,
        bot: &str,
        status: &BotStatus,
    ) -> Result<Option<usize>, PassError> {
        let _one_writer = self.lock.lock().await;
        let (repo, bot, status, remote) = (
            self.repo.clone(),
            bot.to_owned(),
            status.clone(),
            self.remote.clone(),
        );
        tokio::task::spawn_blocking(move || -> Result<Option<usize>, PassError> {
            let store = NoteStore::open(&repo)?;
            if !store.upsert(commit, &bot, &status)? {
                return Ok(None);
            }
            let Some((name, auth)) = remote else {
                return Ok(None);
            };
            Ok(Some(push_notes(&store, &name, &|| {
                remote_callbacks(&auth)
            })?))
        })
        .await?
    }

    /// Fetches the remote's notes and merges them into ours (at start and on
    /// every new commit: a fresh mirror does not fetch `refs/notes/*`).
    pub async fn pull(&self) -> Result<(), PassError> {
        let Some((name, auth)) = self.remote.clone() else {
            return Ok(());
        };
        let _one_writer = self.lock.lock().await;
        let repo = self.repo.clone();
        tokio::task::spawn_blocking(move || -> Result<(), PassError> {
            let store = NoteStore::open(&repo)?;
            pull_notes(&store, &name, &|| remote_callbacks(&auth))?;
            Ok(())
        })
        .await?
    }
}
