//! A bot an operator suspended (`kore-gitops suspend BOT`, an emergency
//! pause without a commit): its passes are skipped until it is resumed, and
//! the note on the current commit says so, and by whom.

use chrono::Utc;
use tokio::time::Instant;

use crate::observe::ObserveState;
use crate::status::{BotStatus, Phase};

use super::pass::{Reconciler, Report};
use super::policy::Action;
use super::telemetry;

/// What the note and `/status` say of an operator's pause.
pub const SUSPENDED_BY_OPERATOR: &str =
    "suspended by an operator (kore-gitops suspend): not reconciled until resumed";

/// The pass of a suspended bot: nothing is looked at or done; the note on
/// the current commit records the pause (not in a dry run).
pub async fn skipped_pass(
    reconciler: &Reconciler,
    observe: &ObserveState,
    bot: &str,
    dry_run: bool,
) -> Action {
    let started = Instant::now();
    let Some(snapshot) = reconciler.snapshot() else {
        return Action::AwaitChange;
    };
    let commit = snapshot.commit;
    let now = Utc::now();
    let status = BotStatus {
        started: Some(now),
        finished: Some(now),
        ..BotStatus::new(Phase::Suspended, SUSPENDED_BY_OPERATOR)
    };
    if !dry_run && let Err(e) = reconciler.notes().record(commit, bot, &status).await {
        tracing::warn!(bot, %commit, error = %e, "could not write or push the status note");
    }
    tracing::info!(bot, %commit, phase = %Phase::Suspended, "suspended by an operator: pass skipped");
    let report = Report {
        bot: bot.to_owned(),
        commit,
        status: Some(status),
        plan: None,
        detail: None,
        action: Action::AwaitChange,
        retry: None,
    };
    telemetry::record_pass(observe, &report, started.elapsed());
    Action::AwaitChange
}
