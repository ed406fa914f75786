//! Notifications (`[notify]`): a generic JSON webhook and a Slack-compatible
//! incoming webhook, on the outcomes a team acts on — published, failed,
//! drift found, awaiting approval — once per bot, commit and outcome. A task
//! of its own beside the passes; a receiver that is down costs a log line,
//! never a pass. Messages carry the bot, the commit and the note's words,
//! never a secret (the daemon's errors carry none), and the log never shows
//! a webhook URL (it is the receiver's secret).

use std::collections::HashSet;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::events::PassEvent;
use crate::config::NotifySettings;
use crate::ids::CommitId;
use crate::status::Phase;

/// Tries per message, the first included.
const ATTEMPTS: u32 = 3;
/// First wait before a retry; it doubles.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Outcomes remembered for de-duplication before the memory is cleared.
const REMEMBERED: usize = 10_000;

/// An outcome worth a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A commit was imported, trained and published.
    Published,
    /// A pass failed.
    Failed,
    /// The live bot differs from git and the policy only reports it.
    DriftFound,
    /// Published; an administrator must approve.
    AwaitingApproval,
}

impl Outcome {
    /// The JSON spelling.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Published => "published",
            Outcome::Failed => "failed",
            Outcome::DriftFound => "drift_found",
            Outcome::AwaitingApproval => "awaiting_approval",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Outcome::Published => ":white_check_mark: published",
            Outcome::Failed => ":x: failed",
            Outcome::DriftFound => ":warning: drift found",
            Outcome::AwaitingApproval => ":hourglass: awaiting approval",
        }
    }
}

/// One message's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The bot's key.
    pub bot: String,
    /// The commit.
    pub commit: CommitId,
    /// What happened.
    pub outcome: Outcome,
    /// The note's summary.
    pub summary: String,
    /// On failure, why.
    pub error: Option<String>,
}

impl Message {
    /// The generic webhook's body.
    pub fn json(&self) -> Value {
        json!({
            "source": "kore-gitops",
            "bot": self.bot,
            "commit": self.commit.to_string(),
            "outcome": self.outcome.label(),
            "summary": self.summary,
            "error": self.error,
        })
    }

    /// The Slack incoming webhook's body.
    pub fn slack(&self) -> Value {
        let mut text = format!(
            "kore-gitops: *{}* {} at `{}`: {}",
            self.bot,
            self.outcome.words(),
            self.commit.short(),
            self.summary
        );
        if let Some(error) = &self.error {
            text.push_str(&format!("\n> {error}"));
        }
        json!({ "text": text })
    }
}

/// Which pass events call for a message, each once.
#[derive(Debug, Default)]
pub struct Deduplicator(HashSet<(String, CommitId, Outcome)>);

impl Deduplicator {
    /// The message `event` calls for, unless one was sent for its bot,
    /// commit and outcome.
    pub fn wanted(&mut self, event: &PassEvent) -> Option<Message> {
        let PassEvent::Finished {
            bot,
            commit,
            phase,
            summary,
            error,
            applied,
        } = event
        else {
            return None;
        };
        let outcome = match phase {
            Phase::Synced if *applied => Outcome::Published,
            Phase::Failed | Phase::GateFailed => Outcome::Failed,
            Phase::Drifted => Outcome::DriftFound,
            Phase::AwaitingApproval => Outcome::AwaitingApproval,
            _ => return None,
        };
        if self.0.len() >= REMEMBERED {
            self.0.clear();
        }
        if !self.0.insert((bot.clone(), *commit, outcome)) {
            return None;
        }
        Some(Message {
            bot: bot.clone(),
            commit: *commit,
            outcome,
            summary: summary.clone(),
            error: error.clone(),
        })
    }
}

/// Sends the messages `events` call for, until every sender is gone.
pub fn spawn(
    settings: NotifySettings,
    events: mpsc::Receiver<PassEvent>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(settings, events))
}

async fn run(settings: NotifySettings, mut events: mpsc::Receiver<PassEvent>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let mut seen = Deduplicator::default();
    while let Some(event) = events.recv().await {
        let Some(message) = seen.wanted(&event) else {
            continue;
        };
        if let Some(url) = &settings.webhook_url {
            deliver(&http, url, &message.json(), "webhook", &message).await;
        }
        if let Some(url) = &settings.slack_url {
            deliver(&http, url, &message.slack(), "slack", &message).await;
        }
    }
}

async fn deliver(
    http: &reqwest::Client,
    url: &SecretString,
    body: &Value,
    receiver: &str,
    message: &Message,
) {
    let outcome = message.outcome.label();
    for attempt in 0..ATTEMPTS {
        let sent = http.post(url.expose_secret()).json(body).send().await;
        let retry = match &sent {
            Ok(response) if response.status().is_success() => return,
            Ok(response) => {
                let status = response.status();
                if !(status.is_server_error() || status.as_u16() == 429) {
                    tracing::warn!(receiver, bot = %message.bot, outcome, status = status.as_u16(), "the notification was refused");
                    return;
                }
                format!("answered {status}")
            }
            // Without the URL, which reqwest's error would show.
            Err(e) => format!("no answer ({})", kind(e)),
        };
        if attempt + 1 == ATTEMPTS {
            tracing::warn!(receiver, bot = %message.bot, outcome, reason = retry, "the notification was not delivered");
            return;
        }
        tokio::time::sleep(FIRST_BACKOFF * 2u32.pow(attempt)).await;
    }
}

fn kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "transport error"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(phase: Phase, applied: bool, commit: u8) -> PassEvent {
        PassEvent::Finished {
            bot: "travel-desk".into(),
            commit: CommitId::from_bytes([commit; 20]),
            phase,
            summary: "utterances: +1".into(),
            error: None,
            applied,
        }
    }

    #[test]
    fn each_outcome_is_told_once_per_bot_and_commit() {
        let mut seen = Deduplicator::default();
        let told = |seen: &mut Deduplicator, e| seen.wanted(&e).map(|m| m.outcome);
        assert_eq!(told(&mut seen, finished(Phase::Synced, false, 1)), None);
        assert_eq!(
            told(&mut seen, finished(Phase::Synced, true, 1)),
            Some(Outcome::Published)
        );
        assert_eq!(told(&mut seen, finished(Phase::Synced, true, 1)), None);
        assert_eq!(
            told(&mut seen, finished(Phase::Failed, false, 2)),
            Some(Outcome::Failed)
        );
        assert_eq!(told(&mut seen, finished(Phase::Failed, false, 2)), None);
        assert_eq!(
            told(&mut seen, finished(Phase::Drifted, false, 2)),
            Some(Outcome::DriftFound)
        );
        assert_eq!(
            told(&mut seen, finished(Phase::AwaitingApproval, true, 3)),
            Some(Outcome::AwaitingApproval)
        );
        assert_eq!(told(&mut seen, finished(Phase::OutOfSync, false, 3)), None);
    }
}
