//! What passes tell the operator besides the log: metrics, `/status` reports,
//! readiness. Everything here is a no-op without an [`ObserveState`].

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::observe::{BotReport, CallStatus, Metrics, ObserveState, PassResult, PushResult};
use crate::platform::{CallObserver, Operation};
use crate::status::Phase;

use super::pass::Report;
use super::plan::Plan;
use super::policy::{Action, Retry};

/// Counts the platform client's calls, retries and pacing waits.
#[derive(Debug)]
pub struct MetricsObserver(pub Arc<Metrics>);

impl CallObserver for MetricsObserver {
    fn call(&self, op: Operation, status: Option<u16>) {
        let status = status.map_or(CallStatus::Transport, CallStatus::Http);
        self.0.platform_call(op.as_str(), status);
    }

    fn retry(&self, op: Operation) {
        self.0.platform_retry(op.as_str());
    }

    fn paced(&self, waited: Duration) {
        self.0.rate_limit_wait(waited);
    }
}

/// Records a finished pass: its result and duration, the bot's phase (a
/// transition when it changed), its last sync time, its `/status` report, and
/// whether the platform answered.
pub fn record_pass(observe: &ObserveState, report: &Report, elapsed: Duration, dry_run: bool) {
    let Some(status) = &report.status else {
        observe.remove_report(&report.bot);
        return;
    };
    let metrics = observe.metrics();
    metrics.reconcile_pass(&report.bot, pass_result(report, dry_run), elapsed);
    let previous = observe
        .reports()
        .into_iter()
        .find(|r| r.bot == report.bot)
        .map(|r| r.phase);
    if previous != Some(status.phase) {
        metrics.phase_transition(&report.bot, status.phase);
    }
    if status.phase == Phase::Synced {
        metrics.synced_now(&report.bot);
    }
    // A transient failure is most often the platform not answering.
    observe
        .readiness()
        .set_platform_reachable(report.retry != Some(Retry::Transient));
    let next_attempt = match report.action {
        Action::Requeue(delay) => chrono::Duration::from_std(delay)
            .ok()
            .map(|d| Utc::now() + d),
        Action::AwaitChange => None,
    };
    observe.update_report(BotReport {
        bot: report.bot.clone(),
        phase: status.phase,
        commit: Some(report.commit),
        summary: status.summary.clone(),
        error: status.error.clone(),
        updated: Utc::now(),
        next_attempt,
    });
}

/// A phase the pass entered on its way (importing, training, publishing).
pub fn record_phase(observe: Option<&ObserveState>, bot: &str, phase: Phase) {
    if let Some(observe) = observe {
        observe.metrics().phase_transition(bot, phase);
    }
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

fn pass_result(report: &Report, dry_run: bool) -> PassResult {
    let phase = report.status.as_ref().map(|s| s.phase);
    match (phase, &report.plan) {
        (Some(Phase::Failed), _) => PassResult::Failed,
        (Some(Phase::Suspended), _) => PassResult::Skipped,
        (Some(Phase::Drifted), _) => PassResult::Reported,
        (_, Some(Plan::Apply(_))) if dry_run => PassResult::Reported,
        (_, Some(Plan::Apply(_))) => PassResult::Applied,
        _ => PassResult::Unchanged,
    }
}
