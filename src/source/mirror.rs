//! The local mirror: a bare repository in the state folder that fetches the
//! configured branch (blocking: call it from `spawn_blocking`).

use std::path::{Path, PathBuf};

use git2::{FetchOptions, Repository};

use super::auth::remote_callbacks;
use crate::config::GitConfig;
use crate::ids::CommitId;

/// The remote's name inside the mirror.
pub const REMOTE: &str = "origin";

/// A failure of the mirror.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The mirror could not be created or opened.
    #[error("git mirror at {path}: {source}")]
    Mirror {
        /// The mirror's folder.
        path: PathBuf,
        /// The cause.
        source: git2::Error,
    },
    /// Fetching failed (remote down, credentials refused, …); the last good
    /// commit stays in force.
    #[error("git fetch of branch {branch:?}: {message}")]
    Fetch {
        /// The branch.
        branch: String,
        /// libgit2's message (it never contains the credentials).
        message: String,
    },
    /// The remote has no such branch.
    #[error("branch {0:?} not found on the remote")]
    NoBranch(String),
}

/// A bare mirror of the bot repository.
pub struct Mirror {
    repo: Repository,
    path: PathBuf,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").field("path", &self.path).finish()
    }
}

impl Mirror {
    /// Opens the mirror under `state_dir`, creating it on first use, with its
    /// remote pointing at `url` (updated if the configuration changed).
    pub fn open(state_dir: &Path, url: &str) -> Result<Mirror, SourceError> {
        let path = state_dir.join("mirror.git");
        let err = |source| SourceError::Mirror {
            path: path.clone(),
            source,
        };
        let repo = match Repository::open_bare(&path) {
            Ok(repo) => repo,
            Err(_) => {
                std::fs::create_dir_all(&path)
                    .map_err(|e| err(git2::Error::from_str(&e.to_string())))?;
                Repository::init_bare(&path).map_err(err)?
            }
        };
        match repo.find_remote(REMOTE) {
            Ok(remote) if remote.url().ok() == Some(url) => {}
            Ok(_) => repo.remote_set_url(REMOTE, url).map_err(err)?,
            Err(_) => {
                repo.remote(REMOTE, url).map_err(err)?;
            }
        }
        Ok(Mirror { repo, path })
    }

    /// The mirror's folder (for the note store, which opens it itself).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The repository, for reading trees.
    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// Fetches the branch (force-pushes included) and returns its head.
    pub fn fetch(&self, git: &GitConfig) -> Result<CommitId, SourceError> {
        let tracking = tracking_ref(&git.branch);
        let refspec = format!("+refs/heads/{}:{tracking}", git.branch);
        let mut options = FetchOptions::new();
        options.remote_callbacks(remote_callbacks(&git.auth));
        let fetch_err = |e: git2::Error| SourceError::Fetch {
            branch: git.branch.clone(),
            message: e.message().to_owned(),
        };
        let mut remote = self.repo.find_remote(REMOTE).map_err(fetch_err)?;
        remote
            .fetch(&[refspec.as_str()], Some(&mut options), None)
            .map_err(fetch_err)?;
        self.head(&git.branch)
    }

    /// The last fetched head of the branch, without fetching.
    pub fn head(&self, branch: &str) -> Result<CommitId, SourceError> {
        let oid = self
            .repo
            .refname_to_id(&tracking_ref(branch))
            .map_err(|_| SourceError::NoBranch(branch.to_owned()))?;
        Ok(CommitId::from_oid(oid))
    }
}

fn tracking_ref(branch: &str) -> String {
    format!("refs/remotes/{REMOTE}/{branch}")
}
