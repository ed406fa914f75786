//! The local mirror: a bare repository in the state folder that fetches the
//! configured branch (blocking: call it from `spawn_blocking`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{FetchOptions, Repository};

use super::connect::{Connect, GitRemote};
use crate::config::GitConfig;
use crate::ids::CommitId;

/// The remote's name inside the mirror.
pub const REMOTE: &str = "origin";

/// The mirror's folder inside the state folder.
pub const MIRROR_DIR: &str = "mirror.git";

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
    url: String,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").field("path", &self.path).finish()
    }
}

impl Mirror {
    /// Opens the mirror under `state_dir`, creating it on first use, with its
    /// remote pointing at `url` (updated if the configuration changed). A
    /// mirror that cannot be opened or whose refs name unreadable objects is
    /// a broken cache: it is discarded and created afresh (the next fetch
    /// clones again), with one warning.
    pub fn open(state_dir: &Path, url: &str) -> Result<Mirror, SourceError> {
        let path = state_dir.join(MIRROR_DIR);
        let opened = Repository::open_bare(&path).and_then(|repo| check(&repo).map(|()| repo));
        let repo = match opened {
            Ok(repo) => repo,
            Err(e) if path.exists() && corrupt(&e) => discard(&path, &e)?,
            Err(e) if path.exists() => {
                return Err(SourceError::Mirror { path, source: e });
            }
            Err(_) => create(&path)?,
        };
        let err = |source| SourceError::Mirror {
            path: path.clone(),
            source,
        };
        match repo.find_remote(REMOTE) {
            Ok(remote) if remote.url().ok() == Some(url) => {}
            Ok(_) => repo.remote_set_url(REMOTE, url).map_err(err)?,
            Err(_) => {
                repo.remote(REMOTE, url).map_err(err)?;
            }
        }
        Ok(Mirror {
            repo,
            path,
            url: url.to_owned(),
        })
    }

    /// The mirror's folder (for the note store, which opens it itself).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The repository, for reading trees.
    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// Fetches the branch (force-pushes included) and returns its head. When
    /// the fetch fails or its head cannot be read and the mirror itself is
    /// found broken, the mirror is discarded and cloned again, once.
    pub fn fetch(&mut self, git: &GitConfig) -> Result<CommitId, SourceError> {
        let broken = match self.fetch_once(git) {
            Ok(head) => match readable(&self.repo, head.to_oid()) {
                Ok(()) => return Ok(head),
                Err(e) => e,
            },
            Err(fetch_error) => match check(&self.repo) {
                Err(e) if corrupt(&e) => e,
                _ => return Err(fetch_error), // the remote's problem, not ours
            },
        };
        if !corrupt(&broken) {
            return Err(SourceError::Mirror {
                path: self.path.clone(),
                source: broken,
            });
        }
        let state_dir = self.path.parent().unwrap_or(Path::new(".")).to_owned();
        discard(&self.path, &broken)?;
        *self = Mirror::open(&state_dir, &self.url)?;
        self.fetch_once(git)
    }

    fn fetch_once(&self, git: &GitConfig) -> Result<CommitId, SourceError> {
        let tracking = tracking_ref(&git.branch);
        let refspec = format!("+refs/heads/{}:{tracking}", git.branch);
        let connection = GitRemote::new(git);
        self.fetch_refspec(&connection, &refspec)
            .map_err(|e| SourceError::Fetch {
                branch: git.branch.clone(),
                message: connection.explain(&e),
            })?;
        self.head(&git.branch)
    }

    /// Fetches the branches or tags environments follow (`branch = …`) and
    /// returns each one's commit, or why there is none. Each name is fetched
    /// as a branch and as a tag; a branch wins when both exist.
    pub fn fetch_followed(
        &self,
        git: &GitConfig,
        names: &[String],
    ) -> BTreeMap<String, Result<CommitId, String>> {
        let mut heads = BTreeMap::new();
        let connection = GitRemote::new(git);
        for name in names {
            let refspecs = [
                format!("+refs/heads/{name}:{}", tracking_ref(name)),
                format!("+refs/tags/{name}:refs/tags/{name}"),
            ];
            let mut fetched: Option<String> = None;
            for refspec in &refspecs {
                if let Err(e) = self.fetch_refspec(&connection, refspec) {
                    fetched.get_or_insert_with(|| connection.explain(&e));
                }
            }
            let found = self
                .head(name)
                .or_else(|_| self.tag(name))
                .map_err(|_| match &fetched {
                    Some(message) => format!("git fetch of {name:?}: {message}"),
                    None => format!("the remote has no branch or tag named {name:?}"),
                });
            heads.insert(name.clone(), found);
        }
        heads
    }

    /// One fetch of `refspec` from the remote, through its proxy and trust.
    fn fetch_refspec(&self, connection: &GitRemote, refspec: &str) -> Result<(), git2::Error> {
        let mut remote = self.repo.find_remote(REMOTE)?;
        connection.before_connecting(remote.url().ok())?;
        let mut options = FetchOptions::new();
        options.remote_callbacks(connection.callbacks());
        options.proxy_options(connection.proxy(remote.url().ok()));
        remote.fetch(&[refspec], Some(&mut options), None)
    }

    /// The commit a fetched tag names (annotated tags peeled).
    fn tag(&self, name: &str) -> Result<CommitId, git2::Error> {
        let reference = self.repo.find_reference(&format!("refs/tags/{name}"))?;
        let commit = reference.peel_to_commit()?;
        Ok(CommitId::from_oid(commit.id()))
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

fn create(path: &Path) -> Result<Repository, SourceError> {
    let err = |source| SourceError::Mirror {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(path).map_err(|e| err(git2::Error::from_str(&e.to_string())))?;
    Repository::init_bare(path).map_err(err)
}

/// Removes a broken mirror and creates an empty one in its place. It is a
/// cache of the remote: nothing is lost but notes not yet pushed, which the
/// warning says. The folder is renamed first, so a crash midway never leaves
/// a half-removed mirror where the next start would look.
fn discard(path: &Path, cause: &git2::Error) -> Result<Repository, SourceError> {
    tracing::warn!(
        mirror = %path.display(),
        cause = cause.message(),
        "the git mirror is corrupt: discarding it and cloning again (status notes not yet pushed are lost)"
    );
    let doomed = path.with_extension("git.discarded");
    let io = |e: std::io::Error| SourceError::Mirror {
        path: path.to_owned(),
        source: git2::Error::from_str(&e.to_string()),
    };
    if doomed.exists() {
        std::fs::remove_dir_all(&doomed).map_err(io)?;
    }
    std::fs::rename(path, &doomed).map_err(io)?;
    std::fs::remove_dir_all(&doomed).map_err(io)?;
    create(path)
}

/// Whether an error says the mirror's content is broken, as opposed to the
/// machine being short of something (file descriptors, memory) for a while:
/// only the former is repaired by discarding the mirror.
fn corrupt(error: &git2::Error) -> bool {
    !matches!(
        error.class(),
        git2::ErrorClass::Os | git2::ErrorClass::NoMemory | git2::ErrorClass::Thread
    )
}

/// Whether every ref of the mirror names a commit whose tree can be read.
fn check(repo: &Repository) -> Result<(), git2::Error> {
    for reference in repo.references()? {
        if let Some(oid) = reference?.target() {
            readable(repo, oid)?;
        }
    }
    Ok(())
}

/// Whether the commit `oid` and its root tree can be read.
fn readable(repo: &Repository, oid: git2::Oid) -> Result<(), git2::Error> {
    repo.find_commit(oid)?.tree().map(|_| ())
}
