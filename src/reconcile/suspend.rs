//! A bot an operator suspended (`kore-gitops suspend BOT`, an emergency
//! pause without a commit): its passes are skipped until it is resumed, and
//! the note on the current commit says so, and by whom.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::Utc;
use tokio::time::Instant;

use crate::observe::ObserveState;
use crate::observe::requests::read_suspensions;
use crate::status::{BotStatus, Phase};

use super::pass::Report;
use super::plan::Plan;
use super::policy::Action;
use super::router::Reconcilers;
use super::telemetry;

/// What the note and `/status` say of an operator's pause.
pub const SUSPENDED_BY_OPERATOR: &str =
    "suspended by an operator (kore-gitops suspend): not reconciled until resumed";

/// The pass of a suspended bot: nothing is looked at or done; the note on
/// the current commit records the pause (not in a dry run).
pub async fn skipped_pass(
    reconciler: &Reconcilers,
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
        promotion: None,
    };
    telemetry::record_pass(observe, &report, started.elapsed());
    Action::AwaitChange
}

/// The file in the state folder that keeps the operator suspensions.
pub const SUSPENSIONS_FILE: &str = "suspended";

/// The bots an operator suspended, as kept in `state_dir` (none when the
/// file is absent or unreadable: the daemon, which wrote it, refuses to start
/// on an unreadable one).
pub fn suspended_in(state_dir: &Path) -> BTreeSet<String> {
    read_suspensions(&state_dir.join(SUSPENSIONS_FILE)).unwrap_or_default()
}

/// A one-shot command's (`sync`, `plan`) pass of a bot an operator suspended
/// in the daemon sharing its state folder: nothing is done, and it says so
/// (the daemon has written the note).
pub fn paused_report(reconciler: &Reconcilers, bot: &str) -> Report {
    let commit = reconciler
        .snapshot()
        .map_or(crate::ids::CommitId::from_bytes([0; 20]), |s| s.commit);
    tracing::info!(bot, %commit, phase = %Phase::Suspended, "suspended by an operator: pass skipped");
    Report {
        bot: bot.to_owned(),
        commit,
        status: Some(BotStatus::new(Phase::Suspended, SUSPENDED_BY_OPERATOR)),
        plan: Some(Plan::Synced),
        detail: None,
        action: Action::AwaitChange,
        retry: None,
        promotion: None,
    }
}
