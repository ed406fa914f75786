//! One pass for one bot: read the commit, look at the live bot, decide, act,
//! and report. Level-triggered: a pass is never told what changed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::time::Instant;

use crate::desired::{BotEntry, DesiredBot, DriftPolicy};
use crate::diff::{NormalisedBot, compare};
use crate::ids::{BotId, CommitId, Digest};
use crate::platform::{ChangeMark, PlatformClient, PlatformError, PublishOutcome};
use crate::status::{BotStatus, Phase};

use super::apply::{self, ImportBasis, Jobs};
use super::error::PassError;
use super::guard::EditGuard;
use super::live::{comparable, in_development, observe};
use super::notes::Notes;
use super::plan::{Observed, Plan, Steps, decide};
use super::policy::{Action, Retry, error_policy, next_step};
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
}

/// Everything passes share.
#[derive(Debug)]
pub struct Reconciler {
    platform: PlatformClient,
    notes: Notes,
    default_drift: DriftPolicy,
    dry_run: bool,
    observe: Option<ObserveState>,
    /// Whether a queue runs the bots again as the passes say (the daemon);
    /// a one-off command's passes are not retried.
    requeued: AtomicBool,
    /// The live bot of every folder of the commit (one Get Bots per commit).
    targets: TargetCache,
    /// The App Builder clients that run publish gates (`[test_apps]`).
    tests: super::gate::TestClients,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    snapshot: Option<Arc<Snapshot>>,
    attempts: HashMap<String, u32>,
    /// Bots whose last failure at this commit was permanent.
    blocked: HashMap<String, CommitId>,
    /// Bots not yet reconciled since the branch moved to this commit.
    arrived: std::collections::HashSet<String>,
    /// Bots whose last import lost its answer: the change-log mark taken
    /// before it, so that the next pass sees that import complete.
    lost_imports: HashMap<String, ChangeMark>,
}

/// What a successful pass found, for the report.
struct Outcome {
    status: BotStatus,
    plan: Plan,
    detail: String,
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
        }
    }

    /// Reports every pass to `observe` (metrics, `/status`, readiness).
    pub fn with_observe(mut self, observe: ObserveState) -> Self {
        self.observe = Some(observe);
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

    /// Passes from now on are run again by a queue when they ask to be.
    pub fn set_requeued(&self) {
        self.requeued.store(true, Ordering::Relaxed);
    }

    fn requeued(&self) -> bool {
        self.requeued.load(Ordering::Relaxed)
    }

    /// Whether the platform answers (Get Bots), for readiness at start.
    pub async fn ping(&self) -> bool {
        let reachable = self.platform.list_bots().await.is_ok();
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
    pub fn set_snapshot(&self, snapshot: Arc<Snapshot>, moved: bool) {
        let mut state = self.lock();
        state.blocked.retain(|_, commit| *commit == snapshot.commit);
        state.attempts.clear();
        state.arrived = match moved {
            true => snapshot.names().map(str::to_owned).collect(),
            false => Default::default(),
        };
        state.snapshot = Some(snapshot);
    }

    /// The periodic resync: bots blocked by a permanent failure get one more
    /// try at the same commit (a platform-side refusal may have cleared).
    pub fn resync(&self) {
        self.lock().blocked.clear();
    }

    /// A person asked for this bot (`/trigger/{bot}`): whatever parked it
    /// (a permanent failure at this commit) gets one more try, now.
    pub fn wake(&self, bot: &str) {
        let mut state = self.lock();
        state.blocked.remove(bot);
        state.attempts.remove(bot);
    }

    /// The commit passes currently work from.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.lock().snapshot.clone()
    }

    /// Runs one pass for the bot in folder `bot`.
    pub async fn reconcile(&self, bot: &str) -> Report {
        let started = Instant::now();
        let Some(snapshot) = self.snapshot() else {
            return self.unscheduled(bot, CommitId::from_bytes([0; 20]));
        };
        let commit = snapshot.commit;
        let report = match snapshot.bots.get(bot) {
            None => self.removed(bot, commit),
            Some(_) if self.is_blocked(bot, commit) => self.unscheduled(bot, commit),
            Some(entry) => self.run(bot, &snapshot, entry).await,
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
            Ok(desired) => self.converge(snapshot, desired).await,
            Err(problems) => Err(PassError::Definition(problems.clone())),
        };
        let (status, plan, detail, action, retry) = match result {
            Ok(outcome) => {
                let mut state = self.lock();
                state.attempts.remove(bot);
                if outcome.status.phase != Phase::OutOfSync {
                    state.arrived.remove(bot);
                }
                drop(state);
                let (plan, detail) = (Some(outcome.plan), Some(outcome.detail));
                (outcome.status, plan, detail, Action::AwaitChange, None)
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
        }
    }

    async fn record_note(&self, commit: CommitId, bot: &str, status: &BotStatus) {
        match self.notes.record(commit, bot, status).await {
            Ok(None) => {}
            Ok(Some(rounds)) => telemetry::record_push(self.observe.as_ref(), Some(rounds)),
            Err(e) => {
                tracing::warn!(bot, %commit, error = %e, "could not write or push the status note");
                telemetry::record_push(self.observe.as_ref(), None);
            }
        }
    }

    async fn converge(
        &self,
        snapshot: &Snapshot,
        desired: &DesiredBot,
    ) -> Result<Outcome, PassError> {
        let (bot, commit) = (&desired.name.as_str().to_owned(), snapshot.commit);
        if desired.settings.suspend {
            let status = BotStatus::new(
                Phase::Suspended,
                "suspend = true in bot.toml: not reconciled",
            );
            return Ok(Outcome {
                status,
                plan: Plan::Synced,
                detail: String::new(),
            });
        }
        let id = self.bot_id(snapshot, desired).await?;
        let wanted = comparable(&desired.files, &desired.settings.ignore).await?;
        let live = observe(&self.platform, &id, &desired.settings.ignore).await?;
        // When the in-development copy already matches (a pass resumed after
        // its import), what changes is what the publish brings live.
        let baseline = if live.dev.digest() == wanted.digest() {
            &live.published
        } else {
            &live.dev
        };
        let diff = compare(baseline, &wanted);
        let observed = self
            .observed(bot, commit, &id, &wanted, &live.dev, &live.published)
            .await?;
        let revert = desired.settings.drift == DriftPolicy::Revert
            && self.default_drift == DriftPolicy::Revert;
        let plan = decide(&observed, revert);
        let mut status = BotStatus {
            bot_id: Some(id.clone()),
            desired: Some(observed.desired),
            live: Some(observed.dev),
            ..BotStatus::new(Phase::Synced, diff.summary())
        };
        match plan {
            Plan::Synced => status.summary = "in sync".to_owned(),
            Plan::AwaitingApproval => status.phase = Phase::AwaitingApproval,
            Plan::ReportDrift => status.phase = Phase::Drifted,
            Plan::Apply(steps) if self.dry_run => {
                status.phase = Phase::OutOfSync;
                let gate = steps.publish.then(|| super::gate::describe(desired));
                if let Some(gate) = gate.flatten() {
                    status.summary = format!("{}; then {gate}", status.summary);
                }
            }
            Plan::Apply(steps) => {
                let change = Change {
                    wanted: &wanted,
                    summary: &diff.summary(),
                };
                self.apply(commit, desired, &id, steps, change, &mut status)
                    .await?
            }
        }
        Ok(Outcome {
            status,
            plan,
            detail: diff.detailed(),
        })
    }

    async fn apply(
        &self,
        commit: CommitId,
        desired: &DesiredBot,
        id: &BotId,
        steps: Steps,
        change: Change<'_>,
        status: &mut BotStatus,
    ) -> Result<(), PassError> {
        let (bot, summary) = (desired.name.as_str(), change.summary);
        let phase = |phase| self.phase(bot, commit, phase, summary);
        if steps.publish {
            super::gate::ready(&self.tests, desired)?;
        }
        let mut jobs = Jobs::new();
        let lost = self.lock().lost_imports.remove(bot);
        let after_lost_answer = lost.is_some();
        let mut guard = EditGuard::start(&self.platform, id, lost).await?;
        if steps.import {
            phase(Phase::Importing);
            let basis = ImportBasis {
                mark: guard.mark(),
                after_lost_answer,
            };
            let imported = apply::import(&self.platform, id, desired, basis, &mut jobs).await;
            if let (Err(PassError::Platform(PlatformError::Unconfirmed { .. })), Some(mark)) =
                (&imported, guard.mark())
            {
                self.lock()
                    .lost_imports
                    .insert(bot.to_owned(), mark.clone());
            }
            guard.own_import(imported?.as_str());
        }
        status.jobs = jobs;
        if let Some(live) = self.verify(id, desired, change.wanted, &mut guard).await? {
            edited_during_pass(status, live, "before training: not trained or published");
            return Ok(());
        }
        phase(Phase::Training);
        let languages = apply::languages(desired);
        apply::train(
            &self.platform,
            id,
            &languages,
            !steps.import,
            &mut status.jobs,
        )
        .await?;
        // The gate runs before the last check, so an edit while the suites
        // run is caught like one while the bot trained.
        let gate = (&self.notes, commit);
        let passed =
            !steps.publish || super::gate::check(&self.tests, gate, desired, id, status).await?;
        if let Some(live) = self
            .still_committed(id, desired, change.wanted, &mut guard)
            .await?
        {
            edited_during_pass(
                status,
                live,
                "while it trained or was tested: not published",
            );
            return Ok(());
        }
        if !passed {
            return Ok(());
        }
        status.phase = if steps.publish {
            phase(Phase::Publishing);
            let comment = version_comment(desired, commit, summary);
            match apply::publish(&self.platform, id, &comment).await? {
                PublishOutcome::Published => Phase::Synced,
                PublishOutcome::AwaitingApproval => Phase::AwaitingApproval,
            }
        } else {
            Phase::Synced
        };
        status.live = status.desired;
        if steps.reverts_drift {
            status.summary = format!("reverted drift: {summary}");
        } else if !steps.import {
            status.summary = format!("published the imported definition: {summary}");
        }
        if steps.publish {
            self.after_publish(id, desired, change.wanted, &mut guard, status)
                .await?;
        }
        Ok(())
    }

    /// Never trains or publishes what the commit does not hold: once the
    /// change log is marked (and after the import, if there was one), the
    /// in-development copy is exported and must be the commit. `Some(live
    /// digest)` when a person changed it meanwhile; an error when the
    /// platform itself rewrote the import.
    async fn verify(
        &self,
        id: &BotId,
        desired: &DesiredBot,
        wanted: &NormalisedBot,
        guard: &mut EditGuard,
    ) -> Result<Option<Digest>, PassError> {
        let imported = in_development(&self.platform, id, &desired.settings.ignore).await?;
        if imported.digest() == wanted.digest() {
            return Ok(None);
        }
        // Without an import of ours, nothing but a person changed the copy
        // since the pass looked at it; after one, only the change log tells a
        // person's edit from a platform that rewrote the import.
        if !guard.imported() || guard.shows_edit(&self.platform, id).await? {
            return Ok(Some(imported.digest()));
        }
        Err(PassError::NotReproduced {
            summary: compare(&imported, wanted).summary(),
        })
    }

    /// Whether the in-development copy is still the verified commit, by the
    /// change log, and by an export when the log shows (or cannot rule out) a
    /// change: `Some(live digest)` when it is not.
    async fn still_committed(
        &self,
        id: &BotId,
        desired: &DesiredBot,
        wanted: &NormalisedBot,
        guard: &mut EditGuard,
    ) -> Result<Option<Digest>, PassError> {
        if !guard.changed(&self.platform, id).await? {
            return Ok(None);
        }
        let dev = in_development(&self.platform, id, &desired.settings.ignore).await?;
        Ok((dev.digest() != wanted.digest()).then(|| dev.digest()))
    }

    /// After a publish: if the change log shows an edit since the last check,
    /// both copies are looked at again, so that the note says what is live.
    async fn after_publish(
        &self,
        id: &BotId,
        desired: &DesiredBot,
        wanted: &NormalisedBot,
        guard: &mut EditGuard,
        status: &mut BotStatus,
    ) -> Result<(), PassError> {
        if !guard.changed(&self.platform, id).await? {
            return Ok(());
        }
        let live = observe(&self.platform, id, &desired.settings.ignore).await?;
        let want = wanted.digest();
        status.live = Some(live.dev.digest());
        if live.published.digest() != want {
            status.phase = Phase::Drifted;
            status.summary = "a designer edit landed as the commit was published: the published \
                copy is not the commit"
                .to_owned();
        } else if live.dev.digest() != want {
            status.phase = Phase::Drifted;
            status.summary = format!(
                "{}; then a designer edit changed the in-development copy",
                status.summary
            );
        }
        Ok(())
    }

    async fn observed(
        &self,
        bot: &str,
        commit: CommitId,
        id: &BotId,
        wanted: &NormalisedBot,
        dev: &NormalisedBot,
        published: &NormalisedBot,
    ) -> Result<Observed, PassError> {
        let (desired, dev, published) = (wanted.digest(), dev.digest(), published.digest());
        // Only this case needs the publish status: it is a call saved otherwise.
        let awaiting_approval =
            dev == desired && published != desired && self.awaits_approval(id).await?;
        let arrived = self.lock().arrived.contains(bot);
        let last_synced = match arrived {
            true => None,
            false => self
                .notes
                .read(commit)
                .await?
                .and_then(|note| note.bots.get(bot).cloned())
                .filter(|s| s.phase == Phase::Synced || s.phase == Phase::Drifted)
                .and_then(|s| s.desired),
        };
        Ok(Observed {
            desired,
            dev,
            published,
            awaiting_approval,
            last_synced,
        })
    }

    /// Whether the bot's latest publish waits for an administrator. A bot that
    /// was never published has no publish status (404): nothing waits.
    async fn awaits_approval(&self, id: &BotId) -> Result<bool, PassError> {
        match self.platform.publish_status(id).await {
            Ok(status) => Ok(status.awaits_approval()),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The live bot the folder names, checked against Get Bots (read once per
    /// commit), and refused when another folder of the commit names it too.
    async fn bot_id(&self, snapshot: &Snapshot, desired: &DesiredBot) -> Result<BotId, PassError> {
        let targets = self.targets.get(snapshot, &self.platform).await?;
        Ok(targets.of(desired)?)
    }

    fn failed(&self, bot: &str, commit: CommitId, error: &PassError) -> (Action, BotStatus) {
        let retry = error.retry();
        let mut state = self.lock();
        let attempt = {
            let n = state.attempts.entry(bot.to_owned()).or_insert(0);
            *n += 1;
            *n
        };
        if retry == Retry::Permanent {
            state.blocked.insert(bot.to_owned(), commit);
        }
        let action = error_policy(retry, attempt);
        let next = next_step(action, self.requeued());
        let mut status = BotStatus::new(Phase::Failed, format!("failed: {next}"));
        status.error = Some(format!("{error} ({next})"));
        (action, status)
    }

    fn is_blocked(&self, bot: &str, commit: CommitId) -> bool {
        self.lock().blocked.get(bot) == Some(&commit)
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
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What an apply brings: the commit's normalised definition and, in words,
/// how it differs from the live bot.
#[derive(Debug, Clone, Copy)]
struct Change<'a> {
    wanted: &'a NormalisedBot,
    summary: &'a str,
}

/// A person changed the in-development copy while the pass applied the
/// commit: nothing more is done, and the note says so and what is live.
fn edited_during_pass(status: &mut BotStatus, live: Digest, when: &str) {
    status.phase = Phase::Drifted;
    status.live = Some(live);
    status.summary = format!("a designer edit changed the in-development copy {when}");
}

/// The publish comment: the bot's own, or a default, naming the commit.
fn version_comment(desired: &DesiredBot, commit: CommitId, summary: &str) -> String {
    let base = desired
        .settings
        .publish_comment
        .as_deref()
        .unwrap_or("kore-gitops");
    let comment = format!("{base} (commit {}): {summary}", commit.short());
    comment.chars().take(250).collect()
}

impl Reconciler {
    fn phase(&self, bot: &str, commit: CommitId, phase: Phase, summary: &str) {
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
