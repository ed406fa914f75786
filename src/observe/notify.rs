//! Notifications (`[notify]`): a generic JSON webhook and a Slack-compatible
//! incoming webhook, on the outcomes a team acts on — published, failed,
//! drift found, awaiting approval — once per bot, commit and outcome. A task
//! of its own beside the passes; a receiver that is down costs a log line,
//! never a pass. Messages carry the bot, the commit and the note's words,
//! never a secret (the daemon's errors carry none), and the log never shows
//! a webhook URL (it is the receiver's secret). The outcomes told are kept in
//! the state folder ([`NOTIFIED_FILE`]), each before its message is sent, so a
//! restarted daemon does not tell them again (at most once, like every side
//! effect).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
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
/// The file of the state folder that keeps the outcomes told.
pub const NOTIFIED_FILE: &str = "notified";

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
    const ALL: [Outcome; 4] = [
        Outcome::Published,
        Outcome::Failed,
        Outcome::DriftFound,
        Outcome::AwaitingApproval,
    ];

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
    /// The outcomes of a kept file: one `bot commit outcome` line each; a
    /// line that is not one is skipped (a write cut short by a crash).
    pub fn from_lines(text: &str) -> Deduplicator {
        let told = text.lines().filter_map(|line| {
            let mut words = line.split(' ');
            let (bot, commit, outcome) = (words.next()?, words.next()?, words.next()?);
            let outcome = Outcome::ALL.into_iter().find(|o| o.label() == outcome)?;
            Some((bot.to_owned(), commit.parse().ok()?, outcome))
        });
        Deduplicator(told.collect())
    }

    /// The line that keeps `message`'s outcome (bot keys hold no space).
    pub fn line(message: &Message) -> String {
        let outcome = message.outcome.label();
        format!("{} {} {outcome}\n", message.bot, message.commit)
    }

    /// Whether the next outcome clears the memory (and the kept file).
    pub fn is_full(&self) -> bool {
        self.0.len() >= REMEMBERED
    }

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
/// The outcomes told are kept in `kept` (see [`NOTIFIED_FILE`]).
pub fn spawn(
    settings: NotifySettings,
    events: mpsc::Receiver<PassEvent>,
    kept: PathBuf,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(settings, events, kept))
}

async fn run(settings: NotifySettings, mut events: mpsc::Receiver<PassEvent>, kept: PathBuf) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let mut seen = match tokio::fs::read_to_string(&kept).await {
        Ok(text) => Deduplicator::from_lines(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Deduplicator::default(),
        Err(e) => {
            tracing::warn!(path = %kept.display(), error = %e,
                "cannot read the notifications already sent: an outcome may be told again");
            Deduplicator::default()
        }
    };
    while let Some(event) = events.recv().await {
        let full = seen.is_full();
        let Some(message) = seen.wanted(&event) else {
            continue;
        };
        if let Err(e) = keep(&kept, &message, full).await {
            tracing::warn!(path = %kept.display(), error = %e,
                "cannot keep the notification sent: after a restart it may be told again");
        }
        if let Some(url) = &settings.webhook_url {
            deliver(&http, url, &message.json(), "webhook", &message).await;
        }
        if let Some(url) = &settings.slack_url {
            deliver(&http, url, &message.slack(), "slack", &message).await;
        }
    }
}

/// Appends `message`'s outcome to the kept file (emptied first when the
/// memory was `cleared`).
async fn keep(kept: &Path, message: &Message, cleared: bool) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(!cleared)
        .write(true)
        .truncate(cleared)
        .open(kept)
        .await?;
    file.write_all(Deduplicator::line(message).as_bytes())
        .await?;
    file.flush().await
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

    #[tokio::test]
    async fn outcomes_kept_in_the_state_folder_are_not_told_again_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join(NOTIFIED_FILE);
        let mut first = Deduplicator::default();
        let failed = first.wanted(&finished(Phase::Failed, false, 2)).unwrap();
        keep(&kept, &failed, false).await.unwrap();
        let published = first.wanted(&finished(Phase::Synced, true, 1)).unwrap();
        keep(&kept, &published, false).await.unwrap();
        // A write cut short by a crash is skipped.
        let mut text = std::fs::read_to_string(&kept).unwrap();
        text.push_str("travel-desk 0202");
        std::fs::write(&kept, &text).unwrap();

        let mut restarted = Deduplicator::from_lines(&text);
        assert!(
            restarted
                .wanted(&finished(Phase::Failed, false, 2))
                .is_none()
        );
        assert!(
            restarted
                .wanted(&finished(Phase::Synced, true, 1))
                .is_none()
        );
        let drift = restarted.wanted(&finished(Phase::Drifted, false, 2));
        assert_eq!(drift.map(|m| m.outcome), Some(Outcome::DriftFound));

        // A full memory empties the file with it.
        keep(&kept, &failed, true).await.unwrap();
        let text = std::fs::read_to_string(&kept).unwrap();
        assert_eq!(text, Deduplicator::line(&failed));
    }
}
