//! One pass for one bot: read the commit, look at the live bot, decide, act,
//! and report. Level-triggered: a pass is never told what changed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use crate::desired::{BotEntry, DriftPolicy};
use crate::ids::CommitId;
use crate::platform::PlatformClient;
use crate::status::{BotStatus, Phase};

use super::bookkeeping::State;
use super::error::PassError;
use super::notes::Notes;
use super::plan::Plan;
use super::policy::{Action, Retry, next_step};
use super::secrets::SecretStore;
use super::snapshot::Snapshot;
use super::targets::TargetCache;
use super::telemetry;
use crate::observe::ObserveState;

/// What a pass ended with.
#[derive(Debug)]
pub struct Report {
    /// The bot folder.
    pub bot: String,
    /// The commit it was reconciled against.
    pub commit: CommitId,
    /// The outcome, as written in the note (`None`: the folder is gone).
    pub status: Option<BotStatus>,
    /// What the pass decided (absent when it failed before deciding).
    pub plan: Option<Plan>,
    /// The difference between the live in-development copy and the commit.
    pub detail: Option<String>,
    /// What the queue should do next.
    pub action: Action,
    /// On failure, whether it is worth retrying.
    pub retry: Option<Retry>,
    /// For an environment that follows another (`after`): which commit it
    /// moved to and why not further.
    pub promotion: Option<String>,
}

/// Everything passes share.
#[derive(Debug)]
pub struct Reconciler {
    pub(super) platform: PlatformClient,
    pub(super) notes: Notes,
    pub(super) default_drift: DriftPolicy,
    pub(super) dry_run: bool,
    pub(super) observe: Option<ObserveState>,
    /// Whether a queue runs the bots again as the passes say (the daemon);
    /// a one-off command's passes are not retried.
    pub(super) requeued: AtomicBool,
    /// The live bot of every folder of the commit (one Get Bots per commit).
    pub(super) targets: TargetCache,
    /// The App Builder clients that run publish gates (`[test_apps]`).
    pub(super) tests: super::gate::TestClients,
    pub(super) state: Mutex<State>,
    /// Bot variable secrets, and what each target last received.
    pub(super) secrets: SecretStore,
    /// How often an in-sync bot is exported although its change log shows
    /// nothing; `None`: every pass exports (one-off commands).
    full_resync: std::sync::OnceLock<Duration>,
}

impl Reconciler {
    /// A reconciler acting on `platform` and writing `notes`.
    pub fn new(
        platform: PlatformClient,
        notes: Notes,
        default_drift: DriftPolicy,
        dry_run: bool,
    ) -> Self {
        Reconciler {
            platform,
            notes,
            default_drift,
            dry_run,
            observe: None,
            requeued: AtomicBool::new(false),
            targets: TargetCache::default(),
            tests: Default::default(),
            state: Mutex::new(State::default()),
            secrets: SecretStore::default(),
            full_resync: std::sync::OnceLock::new(),
        }
    }

    /// Reports every pass to `observe` (metrics, `/status`, readiness).
    pub fn with_observe(mut self, observe: ObserveState) -> Self {
        self.observe = Some(observe);
        self
    }

    /// Reads bot variable secrets from `secrets` (see [`SecretStore`]).
    pub fn with_secrets(mut self, secrets: SecretStore) -> Self {
        self.secrets = secrets;
        self
    }

    /// Gates run their suites with these App Builder clients.
    pub fn with_test_clients(mut self, tests: super::gate::TestClients) -> Self {
        self.tests = tests;
        self
    }

    /// The App Builder clients of the publish gates.
    pub fn test_clients(&self) -> &super::gate::TestClients {
        &self.tests
    }

    /// Lets an idle resync trust the change log, with a full pass (exports)
    /// of each in-sync bot at least every `interval` (zero: always full).
    /// Set once, by the daemon (a one-off command verifies every bot).
    /// The account's bot list (Get Bots) is read again at the same interval.
    pub fn set_full_resync(&self, interval: Duration) {
        if !interval.is_zero() {
            let _ = self.full_resync.set(interval);
            self.targets.set_max_age(interval);
        }
    }

    /// Every verification, when they changed since the last call (to save).
    pub(super) fn verified_to_save(
        &self,
    ) -> Option<std::collections::HashMap<String, super::bookkeeping::Verified>> {
        self.lock().verified_to_save()
    }

    /// Verifications saved by an earlier run.
    pub(super) fn restore_verified(
        &self,
        saved: std::collections::HashMap<String, super::bookkeeping::Verified>,
    ) {
        self.lock().restore_verified(saved);
    }

    pub(super) fn full_resync(&self) -> Option<Duration> {
        self.full_resync.get().copied()
    }

    /// Passes from now on are run again by a queue when they ask to be.
    pub fn set_requeued(&self) {
        self.requeued.store(true, Ordering::Relaxed);
    }

    pub(super) fn requeued(&self) -> bool {
        self.requeued.load(Ordering::Relaxed)
    }

    /// Whether the platform answers (one bot of Get Bots), for readiness at
    /// start.
    pub async fn ping(&self) -> bool {
        let reachable = self.platform.answers().await.is_ok();
        if let Some(observe) = &self.observe {
            observe.readiness().set_platform_reachable(reachable);
        }
        reachable
    }

    /// The notes sink.
    pub fn notes(&self) -> &Notes {
        &self.notes
    }

    /// Makes `snapshot` the commit every following pass works from.
    /// With `moved`, the branch has just moved to this commit: until a pass
    /// of each bot succeeds here, an old note on the commit (a rollback to a
    /// commit synced before) does not make the live bot's difference drift.
    /// Applies still waiting on a job for a target the commit no longer
    /// holds are dropped: their jobs are not looked at again, and their
    /// commits' notes say so (in the background: this is called in a
    /// refresh, which must not wait on notes).
    pub fn set_snapshot(self: &Arc<Self>, snapshot: Arc<Snapshot>, moved: bool) {
        let commit = snapshot.commit;
        let dropped = self.lock().set_snapshot(snapshot, moved);
        if dropped.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let reconciler = self.clone();
        runtime.spawn(async move {
            for (bot, run) in dropped {
                let why = "that commit no longer holds the target (its folder was removed, or it left this daemon's scope)";
                let fate = super::stages::Fate::left(&run, why);
                reconciler.superseded(&bot, &run, commit, fate).await;
            }
        });
    }

    /// The periodic resync: bots blocked by a permanent failure get one more
    /// try at the same commit (a platform-side refusal may have cleared).
    pub fn resync(&self) {
        self.lock().unblock_all();
    }

    /// A person asked for this bot (`/trigger/{bot}`): whatever parked it
    /// (a permanent failure at this commit) gets one more try, now.
    pub fn wake(&self, bot: &str) {
        self.lock().wake(bot);
    }

    /// The commit passes currently work from.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.lock().snapshot.clone()
    }

    /// Runs one pass for the bot in folder `bot`.
    pub async fn reconcile(&self, bot: &str) -> Report {
        match self.snapshot() {
            Some(snapshot) => self.reconcile_at(bot, snapshot).await,
            None => self.unscheduled(bot, CommitId::from_bytes([0; 20])),
        }
    }

    /// Runs one pass for the target `bot` against `snapshot`'s commit (an
    /// environment promoted to an older commit than the branch head).
    pub async fn reconcile_at(&self, bot: &str, snapshot: Arc<Snapshot>) -> Report {
        let started = Instant::now();
        let commit = snapshot.commit;
        let report = match snapshot.target(bot) {
            None => self.removed(bot, commit),
            Some(_) if self.is_blocked(bot, commit) => self.unscheduled(bot, commit),
            Some(entry) => self.run(bot, &snapshot, &entry).await,
        };
        log_report(&report, started.elapsed(), self.requeued());
        if let Some(observe) = &self.observe {
            telemetry::record_pass(observe, &report, started.elapsed());
        }
        report
    }

    async fn run(&self, bot: &str, snapshot: &Snapshot, entry: &BotEntry) -> Report {
        let (started, commit) = (Utc::now(), snapshot.commit);
        let result = match entry {
            Ok(desired) => match self.converge(snapshot, desired).await {
                Err(error) => Err(self.explain_refusal(snapshot, desired, error).await),
                converged => converged,
            },
            Err(problems) => Err(PassError::Definition(problems.clone())),
        };
        let (status, plan, detail, action, retry) = match result {
            Ok(outcome) => {
                let out_of_sync = outcome.status.phase == Phase::OutOfSync;
                // A pass whose apply waits on a job has not succeeded yet.
                let action = match outcome.wait {
                    Some(after) => Action::AwaitJob(after),
                    None => {
                        self.lock().succeeded(bot, out_of_sync);
                        Action::AwaitChange
                    }
                };
                let (plan, detail) = (Some(outcome.plan), Some(outcome.detail));
                (outcome.status, plan, detail, action, None)
            }
            Err(error) => {
                let (action, status) = self.failed(bot, commit, &error);
                (status, None, None, action, Some(error.retry()))
            }
        };
        let status = BotStatus {
            started: Some(started),
            finished: Some(Utc::now()),
            ..status
        };
        if !self.dry_run {
            self.record_note(commit, bot, &status).await;
        }
        let status = Some(status);
        Report {
            bot: bot.to_owned(),
            commit,
            status,
            plan,
            detail,
            action,
            retry,
            promotion: None,
        }
    }

    /// Records the note (its push is counted by the flush that makes it).
    async fn record_note(&self, commit: CommitId, bot: &str, status: &BotStatus) {
        if let Err(e) = self.notes.record(commit, bot, status).await {
            tracing::warn!(bot, %commit, error = %e, "could not write or push the status note");
        }
    }

    fn failed(&self, bot: &str, commit: CommitId, error: &PassError) -> (Action, BotStatus) {
        if let PassError::Platform(e) = error
            && e.status() == Some(404)
        {
            // A bot the account's list holds is gone (deleted, or re-created
            // under a new id): the next pass reads Get Bots again.
            self.targets.read_again_after(Instant::now());
        }
        let action = self.lock().failed(bot, commit, error.retry());
        let next = next_step(action, self.requeued());
        let mut status = BotStatus::new(Phase::Failed, format!("failed: {next}"));
        status.error = Some(format!("{error} ({next})"));
        (action, status)
    }

    fn is_blocked(&self, bot: &str, commit: CommitId) -> bool {
        self.lock().is_blocked(bot, commit)
    }

    fn removed(&self, bot: &str, commit: CommitId) -> Report {
        tracing::warn!(bot, %commit, "the bot's folder is gone from the commit; the live bot is left alone");
        self.unscheduled(bot, commit)
    }

    fn unscheduled(&self, bot: &str, commit: CommitId) -> Report {
        Report {
            bot: bot.to_owned(),
            commit,
            status: None,
            plan: None,
            detail: None,
            action: Action::AwaitChange,
            retry: None,
            promotion: None,
        }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Reconciler {
    pub(super) fn phase(&self, bot: &str, commit: CommitId, phase: Phase, summary: &str) {
        tracing::info!(bot = %bot, %phase, "phase");
        let progress = telemetry::Progress {
            bot,
            commit,
            phase,
            summary,
        };
        telemetry::record_phase(self.observe.as_ref(), progress);
    }
}

/// One final line per bot per pass.
fn log_report(report: &Report, elapsed: std::time::Duration, requeued: bool) {
    let next = match report.action {
        _ if !requeued => "none".to_owned(),
        Action::Requeue(delay) => format!("in {}s", delay.as_secs()),
        Action::AwaitJob(delay) => format!("job: in {}s", delay.as_secs_f32()),
        Action::AwaitChange => "on change".to_owned(),
    };
    let duration_ms = elapsed.as_millis() as u64;
    match &report.status {
        Some(s) if s.phase == Phase::Failed => tracing::warn!(
            bot = %report.bot, commit = %report.commit, phase = %s.phase,
            error = s.error.as_deref().unwrap_or_default(), duration_ms, next, "reconciled"
        ),
        Some(s) => tracing::info!(
            bot = %report.bot, commit = %report.commit, phase = %s.phase,
            summary = %s.summary, duration_ms, next, "reconciled"
        ),
        None => tracing::debug!(bot = %report.bot, commit = %report.commit, next, "not reconciled"),
    }
}
