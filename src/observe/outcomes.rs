//! How the events the metrics count ended, as typed values with one fixed
//! label spelling each, so that a typo cannot start a new series.

/// How a reconcile pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassResult {
    /// The live bot already matched the commit: nothing was done.
    Unchanged,
    /// The commit was imported (and trained and published as needed).
    Applied,
    /// A difference was found but only reported (dry run, drift policy "report").
    Reported,
    /// The bot is suspended in its `bot.toml`.
    Skipped,
    /// The pass failed.
    Failed,
    /// The pass ended while its apply waits on a platform job (import,
    /// training, publish) or a rate-limit turn: a later pass goes on from it.
    Waiting,
}

impl PassResult {
    /// Every result, for the series set at zero.
    pub const ALL: [PassResult; 6] = [
        PassResult::Unchanged,
        PassResult::Applied,
        PassResult::Reported,
        PassResult::Skipped,
        PassResult::Failed,
        PassResult::Waiting,
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            PassResult::Unchanged => "unchanged",
            PassResult::Applied => "applied",
            PassResult::Reported => "reported",
            PassResult::Skipped => "skipped",
            PassResult::Failed => "failed",
            PassResult::Waiting => "waiting",
        }
    }
}

/// How a call to the platform ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// The platform answered with this HTTP status.
    Http(u16),
    /// No answer: connection refused, reset, timed out.
    Transport,
}

impl CallStatus {
    pub(crate) fn label(self) -> String {
        match self {
            CallStatus::Http(code) => code.to_string(),
            CallStatus::Transport => "transport_error".to_owned(),
        }
    }
}

/// How a fetch of the bot repository ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchResult {
    /// The branch moved.
    Updated,
    /// The branch was where it was.
    Unchanged,
    /// The fetch failed.
    Failed,
}

impl FetchResult {
    pub(crate) fn label(self) -> &'static str {
        match self {
            FetchResult::Updated => "updated",
            FetchResult::Unchanged => "unchanged",
            FetchResult::Failed => "failed",
        }
    }
}

/// How a push of the status notes ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushResult {
    /// Accepted at the first attempt.
    Pushed,
    /// Rejected by another writer's notes, merged and pushed again.
    Merged,
    /// Not pushed.
    Failed,
}

impl PushResult {
    pub(crate) fn label(self) -> &'static str {
        match self {
            PushResult::Pushed => "pushed",
            PushResult::Merged => "merged",
            PushResult::Failed => "failed",
        }
    }
}

/// What the webhook endpoint did with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// A push for the watched repository and branch: a refresh was requested.
    Triggered,
    /// Verified, but not a push of the watched branch: acknowledged only.
    Ignored,
    /// Missing or wrong signature or token.
    Unauthorized,
    /// Body larger than the cap.
    TooLarge,
    /// Not JSON, not a known host, or without the fields a push carries.
    Malformed,
    /// Verified, but the daemon no longer takes triggers (shutting down).
    Unavailable,
}

impl WebhookOutcome {
    pub(crate) fn label(self) -> &'static str {
        match self {
            WebhookOutcome::Triggered => "triggered",
            WebhookOutcome::Ignored => "ignored",
            WebhookOutcome::Unauthorized => "unauthorized",
            WebhookOutcome::TooLarge => "too_large",
            WebhookOutcome::Malformed => "malformed",
            WebhookOutcome::Unavailable => "unavailable",
        }
    }
}
