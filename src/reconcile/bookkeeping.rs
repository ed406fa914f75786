//! What the reconciler remembers between the passes of a bot: the commit
//! passes work from, attempts since the last success, bots parked by a
//! permanent failure, bots not yet passed since the branch moved, imports
//! whose answer was lost, and what the last full verification of each bot
//! established (so that an idle resync can ask the change log instead of
//! exporting).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::ids::{BotId, CommitId, Digest};
use crate::platform::{ChangeLogEntry, ChangeMark};

use super::policy::{Action, Retry, error_policy};
use super::snapshot::Snapshot;

/// The reconciler's memory (behind its lock).
#[derive(Debug, Default)]
pub(super) struct State {
    pub snapshot: Option<Arc<Snapshot>>,
    attempts: HashMap<String, u32>,
    /// Bots whose last failure at this commit was permanent.
    blocked: HashMap<String, CommitId>,
    /// Bots not yet reconciled since the branch moved to this commit.
    pub arrived: HashSet<String>,
    /// Bots whose last import lost its answer: the change-log mark taken
    /// before it, so that the next pass sees that import complete.
    pub lost_imports: HashMap<String, ChangeMark>,
    /// Applies waiting on a job (or a budget turn), by target: the next pass
    /// goes on from the job instead of sending it again. Memory only: after
    /// a restart, a pass starts from what the platform holds.
    pub pending: HashMap<String, super::stages::Apply>,
    /// Bots whose last full pass found both copies equal to the commit.
    verified: HashMap<String, Verified>,
    /// Whether `verified` changed since it was last saved.
    verified_changed: bool,
}

/// What a full pass verified: both live copies were `desired`, and the
/// change log held `mark` just before it exported them.
#[derive(Debug, Clone)]
pub(super) struct Verified {
    /// The live bot.
    pub bot: BotId,
    /// The commit whose definition normalises to `desired`.
    pub commit: CommitId,
    /// The digest both copies had.
    pub desired: Digest,
    /// The change log before the exports.
    pub mark: ChangeMark,
    /// When the next full pass (exports) is due whatever the log says.
    pub full_due: Instant,
}

/// The change log is read from yesterday's date on, so a mark older than a
/// day could miss entries: a full pass is due before that, whatever the
/// configured interval.
const MARK_LIFETIME: Duration = Duration::from_secs(23 * 3600);

impl State {
    /// Makes `snapshot` current (see `Reconciler::set_snapshot`). What is
    /// kept by target is forgotten for the targets the snapshot no longer
    /// holds (a folder removed, an environment out of scope), so that it
    /// does not grow for ever; their waiting applies are handed back: their
    /// jobs are never looked at or acted on again.
    pub fn set_snapshot(
        &mut self,
        snapshot: Arc<Snapshot>,
        moved: bool,
    ) -> Vec<(String, super::stages::Apply)> {
        let held = |bot: &str| snapshot.bots.contains_key(bot);
        self.blocked
            .retain(|bot, commit| *commit == snapshot.commit && held(bot));
        self.attempts.clear();
        self.lost_imports.retain(|bot, _| held(bot));
        let gone: Vec<String> = self.verified.keys().filter(|b| !held(b)).cloned().collect();
        gone.iter().for_each(|bot| self.forget_verified(bot));
        let (kept, dropped): (HashMap<_, _>, HashMap<_, _>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(bot, _)| held(bot));
        self.pending = kept;
        self.arrived = match moved {
            true => snapshot.names().map(str::to_owned).collect(),
            false => Default::default(),
        };
        self.snapshot = Some(snapshot);
        dropped.into_iter().collect()
    }

    /// Keeps `run`, which waits on a job, for the next pass of `bot`; unless
    /// the current snapshot no longer holds the target (it went while the
    /// pass ran): then its job is left alone.
    pub fn keep_waiting(&mut self, bot: String, run: super::stages::Apply) {
        let held = self
            .snapshot
            .as_ref()
            .is_none_or(|s| s.bots.contains_key(&bot));
        if held {
            self.pending.insert(bot, run);
        } else {
            tracing::info!(bot, "the target is gone: its job is not looked at again");
        }
    }

    /// The periodic resync: parked bots get one more try.
    pub fn unblock_all(&mut self) {
        self.blocked.clear();
    }

    /// A person asked for `bot`: unparked, and fully verified again.
    pub fn wake(&mut self, bot: &str) {
        self.blocked.remove(bot);
        self.attempts.remove(bot);
        self.forget_verified(bot);
    }

    /// Whether `bot` is parked at `commit` by a permanent failure.
    pub fn is_blocked(&self, bot: &str, commit: CommitId) -> bool {
        self.blocked.get(bot) == Some(&commit)
    }

    /// A pass of `bot` succeeded.
    pub fn succeeded(&mut self, bot: &str, out_of_sync: bool) {
        self.attempts.remove(bot);
        if !out_of_sync {
            self.arrived.remove(bot);
        }
    }

    /// A pass of `bot` at `commit` failed with `retry`: counts the attempt,
    /// parks the bot on a permanent failure, and says when to try again.
    pub fn failed(&mut self, bot: &str, commit: CommitId, retry: Retry) -> Action {
        self.forget_verified(bot);
        let attempt = {
            let n = self.attempts.entry(bot.to_owned()).or_insert(0);
            *n += 1;
            *n
        };
        if retry == Retry::Permanent {
            self.blocked.insert(bot.to_owned(), commit);
        }
        error_policy(retry, attempt)
    }

    /// What the last full pass of `bot` verified, while no full pass is due.
    pub fn verified(&self, bot: &str, now: Instant) -> Option<Verified> {
        self.verified.get(bot).filter(|v| now < v.full_due).cloned()
    }

    /// Records a full pass that found both copies equal to the commit;
    /// the next full pass comes due `interval` later, minus up to a quarter
    /// of it by a stable hash of the bot, so that bots verified together (all
    /// of them after a start) spread their next exports.
    pub fn record_verified(&mut self, bot: &str, verified: Verified, interval: Duration) {
        let spread = interval.mul_f64(0.25 * spread_fraction(bot));
        let full_due = Instant::now() + (interval - spread).min(MARK_LIFETIME);
        let verified = Verified {
            full_due,
            ..verified
        };
        self.verified.insert(bot.to_owned(), verified);
        self.verified_changed = true;
    }

    /// The change log showed `new` entries since the mark and none that may
    /// have changed the bot: the verification still holds, now at `commit`.
    pub fn still_verified(&mut self, bot: &str, commit: CommitId, new: &[&ChangeLogEntry]) {
        if let Some(verified) = self.verified.get_mut(bot) {
            self.verified_changed |= !new.is_empty() || verified.commit != commit;
            verified.mark.extend(new.iter().copied());
            verified.commit = commit;
        }
    }

    /// The verification of `bot` no longer holds (a change, a failure).
    pub fn forget_verified(&mut self, bot: &str) {
        self.verified_changed |= self.verified.remove(bot).is_some();
    }

    /// Every verification, when they changed since the last call (to save).
    pub fn verified_to_save(&mut self) -> Option<HashMap<String, Verified>> {
        std::mem::take(&mut self.verified_changed).then(|| self.verified.clone())
    }

    /// Verifications saved by an earlier run (those still valid).
    pub fn restore_verified(&mut self, saved: HashMap<String, Verified>) {
        for (bot, verified) in saved {
            self.verified.entry(bot).or_insert(verified);
        }
    }
}

/// A number in [0, 1) fixed for `bot` (FNV-1a of its name), the same on
/// every run.
fn spread_fraction(bot: &str) -> f64 {
    let hash = bot.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % 10_000) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified() -> Verified {
        Verified {
            bot: "st-00000000-0000-0000-0000-00000000000a".parse().unwrap(),
            commit: CommitId::from_bytes([1; 20]),
            desired: Digest::from_bytes([2; 32]),
            mark: ChangeMark::default(),
            full_due: Instant::now(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn full_passes_come_due_spread_over_the_last_quarter_of_the_interval() {
        let interval = Duration::from_secs(4 * 3600);
        let mut state = State::default();
        let names: Vec<String> = (0..200).map(|n| format!("bot-{n}")).collect();
        for name in &names {
            state.record_verified(name, verified(), interval);
        }
        let start = Instant::now();
        let dues: Vec<Duration> = names
            .iter()
            .map(|n| state.verified[n].full_due - start)
            .collect();
        assert!(
            dues.iter()
                .all(|d| *d <= interval && *d >= interval * 3 / 4)
        );
        let (min, max) = (dues.iter().min().unwrap(), dues.iter().max().unwrap());
        assert!(*max - *min > interval / 8, "spread: {min:?}..{max:?}");
        assert!(state.verified("bot-0", start).is_some());
        tokio::time::advance(interval).await;
        assert!(
            state.verified("bot-0", Instant::now()).is_none(),
            "a full pass is due"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_mark_never_outlives_the_change_log_window() {
        let mut state = State::default();
        state.record_verified("a", verified(), Duration::from_secs(48 * 3600));
        tokio::time::advance(MARK_LIFETIME).await;
        assert!(state.verified("a", Instant::now()).is_none());
    }

    #[test]
    fn a_failure_or_a_wake_forgets_the_verification() {
        let mut state = State::default();
        let hour = Duration::from_secs(3600);
        state.record_verified("a", verified(), hour);
        state.failed("a", CommitId::from_bytes([1; 20]), Retry::Transient);
        assert!(state.verified.is_empty());
        state.record_verified("a", verified(), hour);
        state.wake("a");
        assert!(state.verified.is_empty());
    }

    fn snapshot(commit: u8, targets: &[&str]) -> Arc<Snapshot> {
        let entry = |name: &&str| {
            let error = crate::desired::BotError {
                folder: (*name).to_owned(),
                problems: Vec::new(),
            };
            ((*name).to_owned(), Err(error))
        };
        Arc::new(Snapshot {
            commit: CommitId::from_bytes([commit; 20]),
            bots: targets.iter().map(entry).collect(),
            source: None,
        })
    }

    #[test]
    fn a_new_snapshot_drops_what_is_kept_for_targets_it_no_longer_holds() {
        let mut state = State::default();
        let (a, b) = (CommitId::from_bytes([1; 20]), CommitId::from_bytes([2; 20]));
        assert!(
            state
                .set_snapshot(snapshot(1, &["kept", "gone"]), true)
                .is_empty()
        );
        for bot in ["kept", "gone"] {
            let run = super::super::stages::Apply::for_tests(a, verified().bot);
            state.keep_waiting(bot.to_owned(), run);
            state.failed(bot, a, Retry::Permanent);
            state
                .lost_imports
                .insert(bot.to_owned(), ChangeMark::default());
            state.record_verified(bot, verified(), Duration::from_secs(3600));
        }
        let _ = state.verified_to_save();
        let dropped = state.set_snapshot(snapshot(1, &["kept"]), false);
        let dropped: Vec<&str> = dropped.iter().map(|(bot, _)| bot.as_str()).collect();
        assert_eq!(dropped, ["gone"], "the waiting apply is handed back");
        assert!(state.pending.contains_key("kept") && state.pending.len() == 1);
        assert!(state.is_blocked("kept", a) && !state.is_blocked("gone", a));
        assert!(state.lost_imports.keys().eq(["kept"]));
        assert!(state.verified.keys().eq(["kept"]));
        assert!(state.verified_to_save().is_some(), "saved without it");
        // A pass of the gone target that was under way keeps nothing.
        let run = super::super::stages::Apply::for_tests(b, verified().bot);
        state.keep_waiting("gone".to_owned(), run);
        assert!(!state.pending.contains_key("gone"));
    }
}
