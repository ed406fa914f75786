//! What to do after a pass (after kube-rs `Controller`: `reconcile` returns an
//! [`Action`], and one error policy picks the delay after a failure). No
//! sleeping inside a pass: the queue does the waiting.

use std::time::Duration;

/// First delay after a retryable failure.
pub const RETRY_BASE: Duration = Duration::from_secs(5);
/// Longest delay between two retries of one bot.
pub const RETRY_CAP: Duration = Duration::from_secs(300);

/// What the queue should do with a bot after a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Reconcile the bot again after this delay.
    Requeue(Duration),
    /// The bot's apply waits on a platform job (or a budget turn): look
    /// again after this delay. Unlike a retry, a stop lets it go on within
    /// the grace period, as a pass in flight would.
    AwaitJob(Duration),
    /// Nothing to do until the commit changes, or the periodic resync.
    AwaitChange,
}

/// How a failure should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Transient (rate limit, platform outage, timeout, git remote down): try
    /// again with backoff.
    Transient,
    /// The commit itself is at fault (malformed definition, refused import):
    /// retrying cannot help; wait for a new commit.
    Permanent,
}

/// The delay before the `attempt`-th retry (1-based): exponential from
/// [`RETRY_BASE`], capped at [`RETRY_CAP`]. Deterministic, so the log can say
/// when the next attempt is; the platform client adds jitter to its own calls.
pub fn backoff(attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    RETRY_BASE.saturating_mul(factor).min(RETRY_CAP)
}

/// The error policy: retryable failures requeue with per-bot backoff,
/// permanent ones wait for a new commit (a broken commit is never retried while
/// its fix waits).
pub fn error_policy(retry: Retry, attempt: u32) -> Action {
    match retry {
        Retry::Transient => Action::Requeue(backoff(attempt)),
        Retry::Permanent => Action::AwaitChange,
    }
}

/// What comes after a pass, in words, for the failure message and the log.
/// Only the daemon's queue runs a bot again: a one-off command (`sync`,
/// `plan`) must not promise a retry nobody will make.
pub fn next_step(action: Action, requeued: bool) -> String {
    match (action, requeued) {
        (Action::Requeue(delay), true) => format!("retrying in {}s", delay.as_secs()),
        (Action::AwaitJob(delay), true) => format!("looking again in {}s", delay.as_secs()),
        (Action::AwaitJob(_), false) => "waiting on a job".to_owned(),
        (Action::AwaitChange, true) => "waiting for a new commit".to_owned(),
        (Action::Requeue(_), false) => "not retried: a transient failure, run again".to_owned(),
        (Action::AwaitChange, false) => "not retried: the commit must change".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_stops_at_the_cap() {
        let delays: Vec<u64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX), RETRY_CAP);
    }

    #[test]
    fn permanent_failures_wait_for_a_new_commit() {
        assert_eq!(error_policy(Retry::Permanent, 1), Action::AwaitChange);
        assert_eq!(
            error_policy(Retry::Transient, 2),
            Action::Requeue(Duration::from_secs(10))
        );
    }
}
