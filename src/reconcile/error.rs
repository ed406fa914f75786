//! What can go wrong in a pass, and whether trying again can help.

use crate::desired::{BotError, RepoError};
use crate::diff::DiffError;
use crate::platform::{Operation, PlatformError};
use crate::status::{StoreError, SyncError};

use super::identity::IdentityError;
use super::policy::Retry;

/// A failed pass for one bot. Messages say what, where and why; none carries a
/// secret (platform errors carry the platform's message, never the token).
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// The bot folder at the commit is not valid.
    #[error(transparent)]
    Definition(#[from] BotError),
    /// The repository at the commit could not be read.
    #[error("reading the commit: {0}")]
    Repository(#[from] RepoError),
    /// The folder names no live bot, or an ambiguous one.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The commit's definition does not normalise (e.g. a JSON pointer that
    /// cannot apply, a malformed `config.json`).
    #[error("the committed definition: {0}")]
    Desired(DiffError),
    /// The live bot's export does not normalise.
    #[error("the live bot's {copy} export: {source}")]
    Live {
        /// `in-development` or `published`.
        copy: &'static str,
        /// The cause.
        source: DiffError,
    },
    /// After a successful import the in-development copy still differs from
    /// the commit: the platform rewrote something. Nothing is trained or
    /// published (that would publish what nobody committed).
    #[error(
        "after the import the in-development copy still differs from the commit ({summary}): \
         not trained or published; if the platform rewrites these fields on import, list \
         their JSON pointers under ignore in bot.toml"
    )]
    NotReproduced {
        /// What differs.
        summary: String,
    },
    /// The publish gate could not run (no test app, a suite refused).
    #[error(transparent)]
    Gate(#[from] super::gate::GateError),
    /// A platform call or job failed.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// Writing the status note failed.
    #[error("writing the status note: {0}")]
    Notes(#[from] StoreError),
    /// Pushing the status notes failed.
    #[error(transparent)]
    NotesPush(#[from] SyncError),
    /// A blocking task died (a bug): retried.
    #[error("internal: {0}")]
    Internal(String),
}

impl PassError {
    /// Transient failures are retried with backoff; permanent ones wait for a
    /// new commit (or the periodic resync). A failed import job means the
    /// platform refused the definition (permanent); a failed export, training
    /// or publish job is the platform's own trouble and is retried. Refused
    /// credentials are retried too: the fix is the operator's, not a commit.
    pub fn retry(&self) -> Retry {
        match self {
            PassError::Platform(e) if e.is_retryable() || e.refuses_credentials() => {
                Retry::Transient
            }
            PassError::Platform(PlatformError::JobFailed { at, .. })
                if !matches!(at.op, Operation::Import | Operation::ImportStatus) =>
            {
                Retry::Transient
            }
            PassError::Definition(_)
            | PassError::Gate(_)
            | PassError::NotReproduced { .. }
            | PassError::Desired(_)
            | PassError::Identity(_)
            | PassError::Platform(_) => Retry::Permanent,
            PassError::Repository(_)
            | PassError::Live { .. }
            | PassError::Notes(_)
            | PassError::NotesPush(_)
            | PassError::Internal(_) => Retry::Transient,
        }
    }
}

impl From<tokio::task::JoinError> for PassError {
    fn from(e: tokio::task::JoinError) -> Self {
        PassError::Internal(format!("a blocking task failed: {e}"))
    }
}
