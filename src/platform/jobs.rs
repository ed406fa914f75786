//! Waiting for the platform's asynchronous jobs, with a deadline.
//!
//! Every job (export, import, training, publish) is polled through its status
//! endpoint: the first poll at once, then at a doubling interval up to a bound,
//! until the job ends or the overall deadline passes — never a hang.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::error::{Context, PlatformError};

/// Where a job stands, read from its status string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobPhase {
    Running,
    Succeeded,
    Failed,
}

/// Status strings meaning "still running", compared case-insensitively and with
/// spaces, `_` and `-` ignored (the documentation and the samples disagree).
const RUNNING: &[&str] = &[
    "pending",
    "inprogress",
    "queued",
    "running",
    "started",
    "processing",
    "initiated",
];
/// Status strings meaning "done".
const SUCCEEDED: &[&str] = &[
    "success",
    "successful",
    "succeeded",
    "finished",
    "completed",
    "done",
];

impl JobPhase {
    /// Reads a status string; anything neither running nor succeeded is terminal
    /// failure (the platform documents no other states).
    pub fn parse(status: &str) -> JobPhase {
        let folded = fold(status);
        if RUNNING.contains(&folded.as_str()) {
            JobPhase::Running
        } else if SUCCEEDED.contains(&folded.as_str()) {
            JobPhase::Succeeded
        } else {
            JobPhase::Failed
        }
    }
}

/// Lower case with spaces, `_` and `-` removed: `In Progress` → `inprogress`.
pub fn fold(status: &str) -> String {
    status
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// One poll's verdict.
#[derive(Debug)]
pub enum Poll<T> {
    Running,
    Done(T),
    Failed(String),
}

/// How often and how long to poll.
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    pub interval: Duration,
    pub max_interval: Duration,
    pub deadline: Duration,
}

/// How often a job that is still running is reported in the log.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// When to say that a job is still running: every [`PROGRESS_EVERY`], so a
/// long training is visible in the log without a line per poll.
#[derive(Debug, Clone)]
struct Progress {
    started: Instant,
    reported: Instant,
}

impl Progress {
    fn new(started: Instant) -> Self {
        Progress {
            started,
            reported: started,
        }
    }

    /// How long the job has run, when a progress line is due at `now`.
    fn due(&mut self, now: Instant) -> Option<Duration> {
        if now - self.reported < PROGRESS_EVERY {
            return None;
        }
        self.reported = now;
        Some(now - self.started)
    }
}

/// One job watched across polls, which need not share a task: a pass may
/// send a job, look once, and hand the watch to a later pass (a requeue)
/// instead of sleeping. Tracks the deadline, the doubling interval and the
/// progress lines.
#[derive(Debug, Clone)]
pub struct Watch {
    at: Context,
    job: String,
    started: Instant,
    interval: Duration,
    patience: Patience,
    progress: Progress,
}

impl Watch {
    /// Starts watching `job` (sent just now) at `at`.
    pub fn new(at: &Context, job: &str, patience: Patience) -> Watch {
        let started = Instant::now();
        Watch {
            at: at.clone(),
            job: job.to_owned(),
            started,
            interval: patience.interval,
            patience,
            progress: Progress::new(started),
        }
    }

    /// The job's name, as errors and the log say it.
    pub fn job(&self) -> &str {
        &self.job
    }

    /// Reads one poll: the job's value, `None` while it runs (look again
    /// after [`Watch::next_look`]), or an error when it failed or ran past
    /// the deadline.
    pub fn verdict<T>(&mut self, poll: Poll<T>) -> Result<Option<T>, PlatformError> {
        match poll {
            Poll::Done(value) => return Ok(Some(value)),
            Poll::Failed(message) => {
                return Err(PlatformError::JobFailed {
                    at: self.at.clone(),
                    job: self.job.clone(),
                    message,
                });
            }
            Poll::Running => {}
        }
        let now = Instant::now();
        if let Some(waited) = self.progress.due(now) {
            tracing::info!(job = %self.job, at = %self.at, waited_s = waited.as_secs(), "job still running");
        }
        if now >= self.started + self.patience.deadline {
            return Err(PlatformError::JobTimedOut {
                at: self.at.clone(),
                job: self.job.clone(),
                waited: now - self.started,
            });
        }
        Ok(None)
    }

    /// How long to wait before the next poll of a job still running (never
    /// past the deadline); the interval after it doubles, up to its bound.
    pub fn next_look(&mut self) -> Duration {
        let deadline = self.started + self.patience.deadline;
        let wait = self
            .interval
            .min(deadline.saturating_duration_since(Instant::now()));
        self.interval = (self.interval * 2).min(self.patience.max_interval);
        wait
    }
}

/// Polls until the job ends; a failed job or the deadline is an error naming `job`.
///
/// `poll` is a plain closure returning a future (not an async closure) so that
/// the futures of the operations stay `Send` for `tokio::spawn`.
pub async fn wait_for<T, F>(
    at: &Context,
    job: &str,
    patience: Patience,
    mut poll: impl FnMut() -> F,
) -> Result<T, PlatformError>
where
    F: Future<Output = Result<Poll<T>, PlatformError>>,
{
    let mut watch = Watch::new(at, job, patience);
    loop {
        if let Some(value) = watch.verdict(poll().await?)? {
            return Ok(value);
        }
        let wait = watch.next_look();
        super::idle::idle(tokio::time::sleep(wait)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_job_is_reported_every_ten_seconds_not_every_poll() {
        let start = Instant::now();
        let mut progress = Progress::new(start);
        let at = |secs: u64| start + Duration::from_secs(secs);
        assert_eq!(progress.due(at(1)), None);
        assert_eq!(progress.due(at(9)), None);
        assert_eq!(progress.due(at(10)), Some(Duration::from_secs(10)));
        assert_eq!(progress.due(at(15)), None);
        assert_eq!(progress.due(at(21)), Some(Duration::from_secs(21)));
    }
    use crate::platform::error::Operation;

    #[test]
    fn status_strings_are_read_as_the_platform_spells_them() {
        for running in [
            "pending",
            "Inprogress",
            "INPROGRESS",
            "in progress",
            "IN_PROGRESS",
        ] {
            assert_eq!(JobPhase::parse(running), JobPhase::Running, "{running}");
        }
        for done in [
            "success",
            "Finished",
            "SUCCESSFUL",
            "successful",
            "Completed",
        ] {
            assert_eq!(JobPhase::parse(done), JobPhase::Succeeded, "{done}");
        }
        for failed in ["failed", "Failed", "FAILED", "error", "cancelled", ""] {
            assert_eq!(JobPhase::parse(failed), JobPhase::Failed, "{failed:?}");
        }
    }

    fn patience() -> Patience {
        Patience {
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(4),
            deadline: Duration::from_secs(30),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_that_never_ends_is_an_error_at_the_deadline() {
        let at = Context::new(Operation::Import, None);
        let started = Instant::now();
        let mut polls = 0;
        let result: Result<(), _> = wait_for(&at, "bir-1", patience(), || {
            polls += 1;
            async { Ok(Poll::Running) }
        })
        .await;
        let err = result.unwrap_err();
        assert!(matches!(err, PlatformError::JobTimedOut { .. }), "{err}");
        assert!(err.to_string().contains("did not finish within"), "{err}");
        assert_eq!(Instant::now() - started, Duration::from_secs(30));
        // 0, 1, 3, 7, 11, 15, 19, 23, 27, 30: the interval doubles, then stays at 4 s.
        assert_eq!(polls, 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_ends_with_its_value_or_its_failure() {
        let at = Context::new(Operation::Train, None);
        let mut polls = 0;
        let value = wait_for(&at, "t", patience(), || {
            polls += 1;
            let seen = polls;
            async move {
                Ok(if seen < 3 {
                    Poll::Running
                } else {
                    Poll::Done(seen)
                })
            }
        })
        .await;
        assert_eq!(value.unwrap(), 3);
        let failed: Result<(), _> = wait_for(&at, "t", patience(), || async {
            Ok(Poll::Failed("no intents".into()))
        })
        .await;
        let err = failed.unwrap_err();
        assert!(
            matches!(err, PlatformError::JobFailed { ref message, .. } if message == "no intents")
        );
        assert!(!err.is_retryable());
    }
}
