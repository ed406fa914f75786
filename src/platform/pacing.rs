//! Client-side pacing under the platform's rate limits.
//!
//! The platform counts calls in rolling windows of a minute and an hour (60 and
//! 1800 by default) per bot for design-time calls, per request id (or bot) for
//! status calls, and per account for Get Bots. Rather than spend those budgets
//! and learn of it from a 429, the client books a slot for every call: a sliding
//! log of booked times per key, where a call waits until its slot comes. Slots
//! are handed out in order, so concurrent callers queue fairly. All time is
//! `tokio::time`, so tests pause the clock and let it jump.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::ids::BotId;

/// The platform's documented rolling windows.
pub const MINUTE: Duration = Duration::from_secs(60);
pub const HOUR: Duration = Duration::from_secs(3600);

/// Added to each window so that a call delayed on the wire still lands after the
/// platform has forgotten the call it replaces.
pub const WINDOW_MARGIN: Duration = Duration::from_millis(500);

/// Keys whose calls are an hour old are forgotten once more than this many
/// are held (and again each time the count doubles since the last pruning).
const KEYS_BEFORE_PRUNING: usize = 1024;

/// Calls allowed per window, for every key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub per_minute: u32,
    pub per_hour: u32,
}

impl Default for Budget {
    /// The documented 60 a minute and 1800 an hour.
    fn default() -> Self {
        Budget {
            per_minute: 60,
            per_hour: 1800,
        }
    }
}

/// What a call is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaceKey {
    /// Export, import, train, publish of one bot.
    DesignTime(BotId),
    /// Uploads name no bot: they share one account-wide budget.
    Upload,
    /// A status call, per request id or (where there is none) per bot.
    Status(String),
    /// Get Bots, per account.
    Admin,
}

/// Books call slots per key; cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct Pacer {
    budget: Budget,
    booked: Arc<Mutex<Booked>>,
}

/// The booked times of every key.
#[derive(Debug)]
struct Booked {
    times: HashMap<PaceKey, VecDeque<Instant>>,
    /// Pruning runs when more keys than this are held. It scans every key,
    /// so the threshold doubles past what a pruning kept: a thousand bots
    /// each with their own keys would otherwise rescan them on every call.
    prune_above: usize,
}

impl Default for Booked {
    fn default() -> Self {
        Booked {
            times: HashMap::new(),
            prune_above: KEYS_BEFORE_PRUNING,
        }
    }
}

impl Booked {
    /// The times booked under `key`, with the calls no window counts any
    /// more forgotten (and, now and then, keys no window counts).
    fn of(&mut self, key: &PaceKey, now: Instant) -> &mut VecDeque<Instant> {
        if self.times.len() > self.prune_above {
            self.times
                .retain(|_, times| times.back().is_some_and(|t| *t + HOUR > now));
            self.prune_above = KEYS_BEFORE_PRUNING.max(2 * self.times.len());
        }
        let times = self.times.entry(key.clone()).or_default();
        forget_old(times, now);
        times
    }

    /// How many keys are held.
    #[cfg(test)]
    fn keys(&self) -> usize {
        self.times.len()
    }
}

impl Pacer {
    /// A pacer allowing `budget` calls per key and window.
    pub fn new(budget: Budget) -> Self {
        Pacer {
            budget,
            booked: Arc::default(),
        }
    }

    /// Waits until a call under `key` fits in both windows, and counts it.
    ///
    /// A task that lends its worker slot while it waits (see
    /// [`super::idle`]) may get one back after its turn: it books only once
    /// it holds one again and its turn has come, so that a late start can
    /// never crowd a window. Others book their turn at once (first come,
    /// first served) and sleep until it.
    pub async fn acquire(&self, key: &PaceKey) {
        if !super::idle::has_slot() {
            let slot = self.book(key, Instant::now());
            tokio::time::sleep_until(slot).await;
            return;
        }
        loop {
            match self.book_if_due(key, Instant::now()) {
                Ok(()) => return,
                Err(turn) => super::idle::idle(tokio::time::sleep_until(turn)).await,
            }
        }
    }

    /// Books a call at `now` if one fits now; otherwise the earliest time one
    /// may (nothing booked).
    pub fn book_if_due(&self, key: &PaceKey, now: Instant) -> Result<(), Instant> {
        let mut booked = self.booked.lock().unwrap_or_else(PoisonError::into_inner);
        let times = booked.of(key, now);
        let slot = earliest_slot(times, now, self.budget);
        if slot > now {
            return Err(slot);
        }
        times.push_back(now);
        Ok(())
    }

    /// When `calls` calls under `key` could go, one after another, from `now`
    /// on: the turn of the last of them. Books nothing, so a pass can hand
    /// a long wait to the queue (a requeue) and book only once it is back
    /// and its turn has come: the windows count only calls really made.
    pub fn turn(&self, key: &PaceKey, calls: u32, now: Instant) -> Instant {
        let booked = self.booked.lock().unwrap_or_else(PoisonError::into_inner);
        let mut times = booked.times.get(key).cloned().unwrap_or_default();
        drop(booked);
        forget_old(&mut times, now);
        let mut slot = now;
        for _ in 0..calls.max(1) {
            slot = earliest_slot(&times, now, self.budget);
            times.push_back(slot);
        }
        slot
    }

    /// Books the earliest slot at or after `now` for `key` and returns it.
    pub fn book(&self, key: &PaceKey, now: Instant) -> Instant {
        let mut booked = self.booked.lock().unwrap_or_else(PoisonError::into_inner);
        let times = booked.of(key, now);
        let slot = earliest_slot(times, now, self.budget);
        times.push_back(slot);
        slot
    }
}

/// Drops the calls that no window can count any more.
fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| *t + HOUR + WINDOW_MARGIN <= now)
    {
        times.pop_front();
    }
}

/// The earliest time at or after `now` (and after every earlier booking) at which
/// one more call keeps both windows within `budget`.
fn earliest_slot(times: &VecDeque<Instant>, now: Instant, budget: Budget) -> Instant {
    let mut slot = times.back().map_or(now, |last| now.max(*last));
    let windows = [(budget.per_minute, MINUTE), (budget.per_hour, HOUR)];
    for (limit, window) in windows {
        let limit = limit.max(1) as usize;
        if times.len() >= limit {
            let oldest_in_window = times[times.len() - limit];
            slot = slot.max(oldest_in_window + window + WINDOW_MARGIN);
        }
    }
    slot
}

#[cfg(test)]
mod tests;
