//! Commit statuses on the git host, one context per bot
//! (`kore-gitops/<bot>`): pending when a pass starts applying a commit,
//! success or failure when it ends, with the note's one-line summary; the
//! host's "cancelled" when a later commit overtook the apply. A bot in
//! sync gets none. Runs as its own task off the passes' events; git notes stay
//! the source of truth.

mod hosts;
mod sender;

use std::collections::HashMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::sync::mpsc;

pub use hosts::{State, Status};
pub use sender::{Posted, Sender};

use super::events::PassEvent;
use crate::config::StatusSettings;
use crate::ids::CommitId;
use crate::status::Phase;

/// What a bot name keeps unescaped in a link (RFC 3986 unreserved).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Posts the statuses `events` call for, until every sender is gone.
pub fn spawn(
    settings: StatusSettings,
    events: mpsc::Receiver<PassEvent>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(settings, events))
}

async fn run(settings: StatusSettings, mut events: mpsc::Receiver<PassEvent>) {
    let mut tracker = Tracker::new(settings.target_url.clone());
    let mut sender = Sender::new(settings);
    while let Some(event) = events.recv().await {
        if let Some((commit, status)) = tracker.wanted(&event) {
            sender.post(commit, &status).await;
        }
    }
}

/// What was last posted for each bot, so that a status is posted once per
/// bot, commit and state.
#[derive(Debug)]
pub struct Tracker {
    target_url: Option<String>,
    last: HashMap<String, (CommitId, State, String)>,
}

impl Tracker {
    /// No status posted yet; statuses link to `target_url` (with `{bot}` and
    /// `{commit}` filled in).
    pub fn new(target_url: Option<String>) -> Tracker {
        Tracker {
            target_url,
            last: HashMap::new(),
        }
    }

    /// The status `event` calls for, if any.
    pub fn wanted(&mut self, event: &PassEvent) -> Option<(CommitId, Status)> {
        let (bot, commit, state, description) = match event {
            PassEvent::Phase {
                bot,
                commit,
                phase: Phase::Importing | Phase::Training | Phase::Publishing,
                summary,
            } => (
                bot,
                *commit,
                State::Applying,
                format!("applying: {summary}"),
            ),
            PassEvent::Phase { .. } => return None,
            PassEvent::Superseded {
                bot,
                commit,
                by,
                fate,
            } => (
                bot,
                *commit,
                State::Superseded,
                format!(
                    "superseded by commit {}: {}",
                    by.short(),
                    without_platform_ids(fate)
                ),
            ),
            PassEvent::Finished {
                bot,
                commit,
                phase,
                summary,
                error,
                applied,
            } => {
                let posted = self.last.get(bot).is_some_and(|(c, ..)| c == commit);
                let (state, text) = match phase {
                    Phase::Failed => (State::Failure, error.as_deref().unwrap_or(summary)),
                    _ if !(posted || *applied) => return None,
                    Phase::Synced => (State::Success, summary.as_str()),
                    Phase::AwaitingApproval => (State::Waiting, summary.as_str()),
                    Phase::Drifted => (State::Failure, summary.as_str()),
                    // Trained, but the batch tests held the publish back.
                    Phase::GateFailed => (State::Failure, error.as_deref().unwrap_or(summary)),
                    _ => return None,
                };
                let description = match state {
                    State::Waiting => format!("published, awaiting approval: {text}"),
                    State::Failure if *phase == Phase::Failed => {
                        format!("failed: {}", without_platform_ids(text))
                    }
                    _ => text.to_owned(),
                };
                (bot, *commit, state, description)
            }
        };
        let entry = (commit, state, description.clone());
        if self.last.get(bot) == Some(&entry) {
            return None;
        }
        self.last.insert(bot.clone(), entry);
        let link = self.link(bot, commit);
        Some((commit, Status::new(bot, state, &description, link)))
    }

    fn link(&self, bot: &str, commit: CommitId) -> Option<String> {
        let template = self.target_url.as_ref()?;
        let bot = utf8_percent_encode(bot, UNRESERVED).to_string();
        Some(
            template
                .replace("{bot}", &bot)
                .replace("{commit}", &commit.to_string()),
        )
    }
}

/// `text` with the platform's identifiers (`st-<uuid>`, `bir-<uuid>`, …)
/// shortened to `…`: the context names the bot and the link leads to the
/// whole error, while a host keeps as little as 140 characters of the
/// description, which the reason should fill.
fn without_platform_ids(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let core = word.trim_end_matches([':', ',', ';', ')', '.']);
            let is_id = core.split_once('-').is_some_and(|(prefix, rest)| {
                (1..=5).contains(&prefix.len())
                    && prefix.chars().all(|c| c.is_ascii_alphabetic())
                    && rest.len() == 36
                    && uuid::Uuid::parse_str(rest).is_ok()
            });
            match is_id {
                true => word.replacen(core, "…", 1),
                false => word.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
