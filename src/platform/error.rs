//! The one error type of the platform client.
//!
//! Every error says what was attempted ([`Operation`]), on which bot, and why,
//! and whether trying again later may help ([`PlatformError::is_retryable`]).
//! None ever carries a token, a secret, or the contents of a response that can
//! hold secrets (Get Bots' `jwtApps`, `config.json`).

use std::fmt;
use std::time::Duration;

use crate::ids::BotId;

use super::archive::ArchiveError;
use super::auth::AuthError;

/// The platform call an error (or a log line) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    ListBots,
    Export,
    ExportStatus,
    Download,
    Upload,
    Import,
    ImportStatus,
    Train,
    TrainStatus,
    Publish,
    PublishStatus,
    ChangeLog,
    TestSuites,
    TestSuiteImport,
    TestRun,
    TestRunStatus,
    TestReport,
}

impl Operation {
    /// A short lower-case name, as used in logs and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ListBots => "list bots",
            Operation::Export => "export",
            Operation::ExportStatus => "export status",
            Operation::Download => "export download",
            Operation::Upload => "upload",
            Operation::Import => "import",
            Operation::ImportStatus => "import status",
            Operation::Train => "train",
            Operation::TrainStatus => "training status",
            Operation::Publish => "publish",
            Operation::PublishStatus => "publish status",
            Operation::ChangeLog => "change log",
            Operation::TestSuites => "test suite list",
            Operation::TestSuiteImport => "test suite import",
            Operation::TestRun => "test run",
            Operation::TestRunStatus => "test run status",
            Operation::TestReport => "test run report download",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operation and, where there is one, the bot: the "where" of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub op: Operation,
    pub bot: Option<BotId>,
}

impl Context {
    pub fn new(op: Operation, bot: Option<&BotId>) -> Self {
        Context {
            op,
            bot: bot.cloned(),
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.bot {
            Some(bot) => write!(f, "{} of bot {bot}", self.op),
            None => write!(f, "{}", self.op),
        }
    }
}

/// How a request failed before the platform answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    Timeout,
    Connect,
    /// The connection closed or broke mid-request or mid-body.
    Interrupted,
    /// TLS refused the server's certificate: nothing was sent.
    Untrusted,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportFailure::Timeout => "timed out",
            TransportFailure::Connect => "could not connect",
            TransportFailure::Interrupted => "the connection broke",
            TransportFailure::Untrusted => {
                "the server's certificate is not trusted by the system's certificate \
                 store, the bundled roots or the configured ca_file"
            }
        })
    }
}

/// A failed platform operation.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The platform answered with an error status (after any retries).
    #[error("{at}: the platform answered {status}: {message}{}", status_hint(*status))]
    Api {
        at: Context,
        status: u16,
        message: String,
    },
    /// No answer (after any retries).
    #[error("{at}: {failure} ({detail})")]
    Transport {
        at: Context,
        failure: TransportFailure,
        detail: String,
    },
    /// The platform ran the job and it failed.
    #[error("{at}: job {job} failed: {message}")]
    JobFailed {
        at: Context,
        job: String,
        message: String,
    },
    /// The job was still running at the deadline.
    #[error("{at}: job {job} did not finish within {waited:?}")]
    JobTimedOut {
        at: Context,
        job: String,
        waited: Duration,
    },
    /// The export zip was refused.
    #[error("{at}: {source}")]
    Archive { at: Context, source: ArchiveError },
    /// The download link had expired every time, even after exporting again.
    #[error("{at}: the download link expired ({status}) on every attempt")]
    LinkExpired { at: Context, status: u16 },
    /// The download was larger than the cap.
    #[error("{at}: the download is larger than the limit of {limit} bytes")]
    DownloadTooLarge { at: Context, limit: u64 },
    /// The platform answered 2xx with a body this client does not understand.
    #[error("{at}: unexpected response: {detail}")]
    UnexpectedResponse { at: Context, detail: String },
    /// A token could not be minted.
    #[error("{at}: {source}")]
    Auth { at: Context, source: AuthError },
    /// The answer was not JSON (an HTML maintenance or sign-on page, a
    /// proxy's error page): the platform's trouble, never the commit's.
    #[error(
        "{at}: the platform answered {status} with {content_type} instead of JSON \
         (it begins {preview:?}): a proxy, maintenance or sign-on page?"
    )]
    NotJson {
        at: Context,
        status: u16,
        content_type: String,
        preview: String,
    },
    /// The answer was larger than any answer of this API should be.
    #[error("{at}: the answer is larger than the limit of {limit} bytes")]
    AnswerTooLarge { at: Context, limit: u64 },
    /// A call that must not be sent twice (import, training, publish) lost
    /// its answer, and the platform does not tell yet whether it was carried
    /// out: nothing is sent again before it does.
    #[error("{at}: the answer was lost ({cause}) and {unknown}; looking again later")]
    Unconfirmed {
        at: Context,
        cause: Box<PlatformError>,
        unknown: &'static str,
    },
}

/// What an operator should check for a status that means the app itself was
/// refused.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 => " (check the API app's client id and client secret)",
        403 => " (check the API app's kind, Admin Console or App Builder, and its scopes)",
        409 => " (a job of this bot is running: it is waited for, not a fault of the commit)",
        _ => "",
    }
}

impl PlatformError {
    /// Whether the platform refused the API app itself (401: client id or
    /// secret; 403: its kind or scopes): an operator's fix, not a commit's.
    pub fn refuses_credentials(&self) -> bool {
        matches!(
            self,
            PlatformError::Api {
                status: 401 | 403,
                ..
            }
        )
    }

    /// Whether the platform refused because a job of the bot is running
    /// (409): wait and look again, never the commit's fault.
    pub fn is_busy(&self) -> bool {
        matches!(self, PlatformError::Api { status: 409, .. })
    }

    /// Whether the request may have been carried out although no good answer
    /// came back: a timeout or a connection broken after sending, a gateway
    /// fault, a page that is not the platform's JSON. A connection never made
    /// and a rate limit (refused before any work) are not.
    pub fn may_have_been_carried_out(&self) -> bool {
        match self {
            PlatformError::Transport { failure, .. } => !matches!(
                failure,
                TransportFailure::Connect | TransportFailure::Untrusted
            ),
            PlatformError::Api { status, .. } => *status >= 500,
            PlatformError::NotJson { .. } | PlatformError::AnswerTooLarge { .. } => true,
            _ => false,
        }
    }

    /// Whether the same call may succeed later: rate limits, platform faults,
    /// lost connections, timeouts, expired links, damaged downloads, answers
    /// that are not the platform's, and jobs of the bot already running (409).
    /// Bad requests, refused credentials, unknown bots and failed jobs are
    /// not: they need a change first.
    pub fn is_retryable(&self) -> bool {
        match self {
            PlatformError::Api { status, .. } => *status == 409 || *status == 429 || *status >= 500,
            PlatformError::Transport { .. }
            | PlatformError::JobTimedOut { .. }
            | PlatformError::NotJson { .. }
            | PlatformError::AnswerTooLarge { .. }
            | PlatformError::Unconfirmed { .. }
            | PlatformError::LinkExpired { .. } => true,
            PlatformError::Archive { source, .. } => source.is_retryable(),
            PlatformError::JobFailed { .. }
            | PlatformError::DownloadTooLarge { .. }
            | PlatformError::UnexpectedResponse { .. }
            | PlatformError::Auth { .. } => false,
        }
    }

    /// The operation and bot the error is about.
    pub fn context(&self) -> &Context {
        match self {
            PlatformError::Api { at, .. }
            | PlatformError::Transport { at, .. }
            | PlatformError::JobFailed { at, .. }
            | PlatformError::JobTimedOut { at, .. }
            | PlatformError::Archive { at, .. }
            | PlatformError::LinkExpired { at, .. }
            | PlatformError::DownloadTooLarge { at, .. }
            | PlatformError::UnexpectedResponse { at, .. }
            | PlatformError::NotJson { at, .. }
            | PlatformError::AnswerTooLarge { at, .. }
            | PlatformError::Unconfirmed { at, .. }
            | PlatformError::Auth { at, .. } => at,
        }
    }

    /// The HTTP status the platform answered, when it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            PlatformError::Api { status, .. } | PlatformError::LinkExpired { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}
