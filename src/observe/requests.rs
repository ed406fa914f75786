//! Requests for a pass (`POST /trigger/{bot}`) and what became of them, so
//! that `kore-gitops reconcile BOT --wait` can return once a pass that started
//! after its request has ended, with that pass's outcome: the request token
//! `flux reconcile` echoes.
//!
//! Suspensions by an operator (`kore-gitops suspend`) live here too: the
//! daemon skips a suspended bot's passes until it is resumed.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use tokio::time::Instant;
use uuid::Uuid;

use crate::status::Phase;

/// Handled requests remembered for their callers; older ones are forgotten.
const REMEMBERED: usize = 1024;

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RequestState {
    /// No pass that started after the request has ended yet.
    Pending {
        /// The bot asked for.
        bot: String,
    },
    /// A pass that started after the request ended with this outcome.
    Handled {
        /// The bot asked for.
        bot: String,
        /// Where it stands.
        phase: Phase,
        /// The pass's one-line summary.
        summary: String,
        /// On failure, why.
        error: Option<String>,
    },
}

#[derive(Debug, Default)]
struct Book {
    pending: Vec<(Uuid, String, Instant)>,
    handled: VecDeque<(Uuid, RequestState)>,
}

/// Open requests, handled ones, and suspended bots.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    book: Mutex<Book>,
    suspended: Mutex<BTreeSet<String>>,
}

impl Requests {
    /// Opens a request for a pass of `bot`; its token.
    pub(crate) fn open(&self, bot: &str) -> Uuid {
        let id = Uuid::new_v4();
        let mut book = lock(&self.book);
        book.pending.push((id, bot.to_owned(), Instant::now()));
        // A request no pass handles (its bot left the repository) is
        // forgotten once enough newer ones wait.
        if book.pending.len() > REMEMBERED {
            book.pending.remove(0);
        }
        id
    }

    /// Withdraws a request that was never queued.
    pub(crate) fn withdraw(&self, id: Uuid) {
        lock(&self.book).pending.retain(|(open, ..)| *open != id);
    }

    /// A pass of `bot` that started at `started` ended: every request for
    /// the bot made before it started is handled by it.
    pub(crate) fn pass_ended(
        &self,
        bot: &str,
        started: Instant,
        outcome: (Phase, &str, Option<&str>),
    ) {
        let mut book = lock(&self.book);
        let (done, open): (Vec<_>, Vec<_>) = std::mem::take(&mut book.pending)
            .into_iter()
            .partition(|(_, b, at)| b == bot && *at <= started);
        book.pending = open;
        for (id, bot, _) in done {
            let state = RequestState::Handled {
                bot,
                phase: outcome.0,
                summary: outcome.1.to_owned(),
                error: outcome.2.map(str::to_owned),
            };
            book.handled.push_back((id, state));
            if book.handled.len() > REMEMBERED {
                book.handled.pop_front();
            }
        }
    }

    /// What became of request `id`; `None` when unknown (or long forgotten).
    pub(crate) fn state(&self, id: Uuid) -> Option<RequestState> {
        let book = lock(&self.book);
        if let Some((_, bot, _)) = book.pending.iter().find(|(open, ..)| *open == id) {
            return Some(RequestState::Pending { bot: bot.clone() });
        }
        book.handled
            .iter()
            .find(|(done, _)| *done == id)
            .map(|(_, state)| state.clone())
    }

    /// Suspends (`true`) or resumes `bot`; whether that changed anything.
    pub(crate) fn set_suspended(&self, bot: &str, suspended: bool) -> bool {
        let mut set = lock(&self.suspended);
        match suspended {
            true => set.insert(bot.to_owned()),
            false => set.remove(bot),
        }
    }

    /// Whether an operator suspended `bot`.
    pub(crate) fn is_suspended(&self, bot: &str) -> bool {
        lock(&self.suspended).contains(bot)
    }

    /// Every suspended bot.
    pub(crate) fn suspended(&self) -> BTreeSet<String> {
        lock(&self.suspended).clone()
    }
}

/// The suspended bots kept in `path` (one per line); none when it is absent.
pub fn read_suspensions(path: &std::path::Path) -> std::io::Result<BTreeSet<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(e),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_request_is_handled_only_by_a_pass_that_started_after_it() {
        let requests = Requests::default();
        let running_since = Instant::now();
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        let id = requests.open("a");
        // A pass that was already running when the request came ends.
        requests.pass_ended("a", running_since, (Phase::Synced, "old", None));
        assert!(matches!(
            requests.state(id),
            Some(RequestState::Pending { .. })
        ));
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        requests.pass_ended("b", Instant::now(), (Phase::Synced, "other bot", None));
        assert!(matches!(
            requests.state(id),
            Some(RequestState::Pending { .. })
        ));
        requests.pass_ended("a", Instant::now(), (Phase::Failed, "failed", Some("why")));
        let Some(RequestState::Handled { phase, error, .. }) = requests.state(id) else {
            panic!("{:?}", requests.state(id))
        };
        assert_eq!((phase, error.as_deref()), (Phase::Failed, Some("why")));
        assert_eq!(requests.state(Uuid::new_v4()), None);
    }
}
