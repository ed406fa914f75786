//! What passes tell the operator besides the log: metrics, `/status` reports,
//! readiness. Everything here is a no-op without an [`ObserveState`].

use std::time::Duration;

use chrono::Utc;

use crate::desired::TargetKey;
use crate::ids::CommitId;
use crate::observe::{BotReport, CallStatus, ObserveState, PassEvent, PassResult, PushResult};
use crate::platform::{CallObserver, Operation};
use crate::status::Phase;

use super::pass::Report;
use super::plan::Plan;
use super::policy::Action;

/// Counts the platform client's calls, retries and pacing waits, and tells
/// readiness whether the platform answers. Readiness follows the calls
/// themselves, never a pass's outcome: one bot's refused import or failed
/// training is an answer from a reachable platform.
#[derive(Debug)]
pub struct MetricsObserver(pub ObserveState);

impl CallObserver for MetricsObserver {
    fn call(&self, op: Operation, status: Option<u16>) {
        self.0
            .readiness()
            .set_platform_reachable(status.is_some_and(answered));
        self.0
            .metrics()
            .set_platform_up(status.is_some_and(answered));
        let status = status.map_or(CallStatus::Transport, CallStatus::Http);
        self.0.metrics().platform_call(op.as_str(), status);
    }

    fn retry(&self, op: Operation) {
        self.0.metrics().platform_retry(op.as_str());
    }

    fn paced(&self, waited: Duration) {
        self.0.metrics().rate_limit_wait(waited);
    }
}

/// Whether an HTTP status is the platform's own answer: a gateway that says
/// the platform behind it is down or slow (502, 503, 504) is not.
fn answered(status: u16) -> bool {
    !matches!(status, 502..=504)
}

/// Records a finished pass: its result and duration, the bot's phase (a
/// transition when it changed), its last sync time and its `/status` report.
pub fn record_pass(observe: &ObserveState, report: &Report, elapsed: Duration) {
    let Some(status) = &report.status else {
        observe.remove_report(&report.bot);
        return;
    };
    let metrics = observe.metrics();
    metrics.reconcile_pass(&report.bot, pass_result(report), elapsed);
    let previous = observe.report_of(&report.bot);
    let last_synced = match status.phase {
        Phase::Synced => Some(Utc::now()),
        _ => previous.as_ref().and_then(|r| r.last_synced),
    };
    let previous = previous.map(|r| r.phase);
    if previous != Some(status.phase) {
        metrics.phase_transition(&report.bot, status.phase);
    }
    metrics.set_phase(&report.bot, status.phase);
    if status.phase == Phase::Synced {
        metrics.synced_now(&report.bot);
    }
    let started = tokio::time::Instant::now()
        .checked_sub(elapsed)
        .unwrap_or_else(tokio::time::Instant::now);
    let outcome = (
        status.phase,
        status.summary.as_str(),
        status.error.as_deref(),
    );
    // A pass whose apply waits on a job ends no request: `reconcile --wait`
    // returns when the apply does.
    if !waits_on_a_job(status.phase) {
        observe.pass_ended(&report.bot, started, outcome);
    }
    observe.announce(&PassEvent::Finished {
        bot: report.bot.clone(),
        commit: report.commit,
        phase: status.phase,
        summary: status.summary.clone(),
        error: status.error.clone(),
        applied: pass_result(report) == PassResult::Applied,
    });
    let gate_runs = status.gate.iter().flat_map(|g| g.runs.iter());
    for run in gate_runs {
        if let Ok(f1) = run.f1.parse::<f64>() {
            metrics.gate_f1(&report.bot, &run.suite, &run.language, f1);
        }
    }
    let next_attempt = match report.action {
        Action::Requeue(delay) | Action::AwaitJob(delay) => chrono::Duration::from_std(delay)
            .ok()
            .map(|d| Utc::now() + d),
        Action::AwaitChange => None,
    };
    observe.update_report(BotReport {
        bot: report.bot.clone(),
        target: TargetKey::parse(&report.bot),
        phase: status.phase,
        commit: Some(report.commit),
        summary: status.summary.clone(),
        error: status.error.clone(),
        updated: Utc::now(),
        next_attempt,
        last_synced,
    });
}

/// A phase the pass entered on its way (importing, training, publishing):
/// counted, and shown on `/status` while the pass runs, so that a long
/// training is visible as one.
pub fn record_phase(observe: Option<&ObserveState>, progress: Progress<'_>) {
    let Some(observe) = observe else { return };
    let last_synced = observe.report_of(progress.bot).and_then(|r| r.last_synced);
    observe
        .metrics()
        .phase_transition(progress.bot, progress.phase);
    observe.metrics().set_phase(progress.bot, progress.phase);
    observe.announce(&PassEvent::Phase {
        bot: progress.bot.to_owned(),
        commit: progress.commit,
        phase: progress.phase,
        summary: progress.summary.to_owned(),
    });
    observe.update_report(BotReport {
        bot: progress.bot.to_owned(),
        target: TargetKey::parse(progress.bot),
        phase: progress.phase,
        commit: Some(progress.commit),
        summary: progress.summary.to_owned(),
        error: None,
        updated: Utc::now(),
        next_attempt: None,
        last_synced,
    });
}

/// Where a running pass stands.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The bot folder.
    pub bot: &'a str,
    /// The commit being applied.
    pub commit: CommitId,
    /// The phase just entered.
    pub phase: Phase,
    /// What the pass brings, in words.
    pub summary: &'a str,
}

/// The span every log line of one pass carries: a fresh `reconcile_id`
/// (as Flux's `reconcileID`), so that one pass's lines can be followed among
/// the interleaved lines of concurrent passes.
pub fn pass_span(bot: &str) -> tracing::Span {
    let id = uuid::Uuid::new_v4();
    tracing::info_span!("reconcile", reconcile_id = %id, bot = %bot)
}

/// A notes push that took `rounds` fetch-merge-push rounds, or failed.
pub fn record_push(observe: Option<&ObserveState>, rounds: Option<usize>) {
    let Some(observe) = observe else { return };
    let result = match rounds {
        Some(1) => PushResult::Pushed,
        Some(_) => PushResult::Merged,
        None => PushResult::Failed,
    };
    observe.metrics().notes_push(result);
}

/// The phases of an apply under way: a pass ends in one only while its
/// apply waits on a job.
fn waits_on_a_job(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::Importing | Phase::Training | Phase::Publishing
    )
}

fn pass_result(report: &Report) -> PassResult {
    let phase = report.status.as_ref().map(|s| s.phase);
    match (phase, &report.plan) {
        (Some(Phase::Failed), _) => PassResult::Failed,
        (Some(Phase::OutOfSync), _) => PassResult::Reported,
        (Some(Phase::Suspended), _) => PassResult::Skipped,
        (Some(Phase::Drifted | Phase::GateFailed), _) => PassResult::Reported,
        (Some(phase), _) if waits_on_a_job(phase) => PassResult::Waiting,
        (_, Some(Plan::Apply(_))) => PassResult::Applied,
        _ => PassResult::Unchanged,
    }
}
