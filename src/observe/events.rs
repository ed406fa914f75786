//! What passes tell the reporters that run beside them (commit statuses,
//! notifications): events sent on bounded channels, never awaited, so that a
//! slow or refusing host never holds up a pass.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

use tokio::sync::mpsc;

use crate::ids::CommitId;
use crate::status::Phase;

/// Room for events a reporter has not handled yet; past it, events are
/// dropped (and the drop logged) rather than waited for.
pub const REPORTER_QUEUE: usize = 1024;

/// One thing a pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassEvent {
    /// A pass entered `phase` on its way (importing, training, publishing).
    Phase {
        /// The bot's key (its folder).
        bot: String,
        /// The commit being applied.
        commit: CommitId,
        /// The phase entered.
        phase: Phase,
        /// What the pass brings, in words.
        summary: String,
    },
    /// A pass ended.
    Finished {
        /// The bot's key (its folder).
        bot: String,
        /// The commit reconciled.
        commit: CommitId,
        /// Where the bot stands.
        phase: Phase,
        /// The one-line summary of the note.
        summary: String,
        /// On failure, why (never a secret).
        error: Option<String>,
        /// Whether the pass imported, trained or published.
        applied: bool,
    },
    /// An apply that waited on a job was overtaken by a later commit; its
    /// note now says Superseded. Never a success: the bot was not verified
    /// at `commit`.
    Superseded {
        /// The bot's key (its folder).
        bot: String,
        /// The commit the apply was for.
        commit: CommitId,
        /// The commit that took over.
        by: CommitId,
        /// What became of the apply's job, in a few words (never a secret).
        fate: String,
    },
}

impl PassEvent {
    /// The bot the event is about.
    pub fn bot(&self) -> &str {
        match self {
            PassEvent::Phase { bot, .. }
            | PassEvent::Finished { bot, .. }
            | PassEvent::Superseded { bot, .. } => bot,
        }
    }
}

/// The senders of every reporter, each with whether a drop was already
/// logged (once per stretch of drops, so a stuck reporter does not flood the
/// log).
#[derive(Debug, Default)]
pub(crate) struct Reporters(std::sync::RwLock<Vec<(mpsc::Sender<PassEvent>, AtomicBool)>>);

impl Reporters {
    /// A new reporter's receiving end.
    pub(crate) fn subscribe(&self) -> mpsc::Receiver<PassEvent> {
        let (sender, receiver) = mpsc::channel(REPORTER_QUEUE);
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((sender, AtomicBool::new(false)));
        receiver
    }

    /// Hands `event` to every reporter that has room, at once.
    pub(crate) fn announce(&self, event: &PassEvent) {
        let senders = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (sender, dropping) in senders.iter() {
            match sender.try_send(event.clone()) {
                Err(mpsc::error::TrySendError::Full(_)) => {
                    if !dropping.swap(true, Relaxed) {
                        tracing::warn!(
                            bot = event.bot(),
                            "a reporter is behind (its host is slow or away): outcome events are dropped until it catches up"
                        );
                    }
                }
                Ok(()) => dropping.store(false, Relaxed),
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_reporter_never_blocks_the_announcer() {
        let reporters = Reporters::default();
        let mut events = reporters.subscribe();
        let event = PassEvent::Phase {
            bot: "a".into(),
            commit: CommitId::from_bytes([1; 20]),
            phase: Phase::Importing,
            summary: String::new(),
        };
        for _ in 0..REPORTER_QUEUE + 10 {
            reporters.announce(&event);
        }
        let mut received = 0;
        while events.try_recv().is_ok() {
            received += 1;
        }
        assert_eq!(received, REPORTER_QUEUE);
    }
}
