//! What a daemon with an [`ObserveState`] starts beside its passes: the
//! reporters the configuration asks for (commit statuses, notifications),
//! each a task fed by the passes' events, and the operator suspensions kept
//! in the state folder.

use crate::config::Config;
use crate::observe::{ObserveState, commit_status, notify};

use super::daemon::StartError;
use super::suspend::SUSPENSIONS_FILE;

/// Starts the reporters and loads the suspensions; an unreadable suspensions
/// file stops the start (an emergency pause must not be forgotten).
pub(super) fn attach(config: &Config, observe: &ObserveState) -> Result<(), StartError> {
    if let Some(settings) = &config.statuses {
        commit_status::spawn(settings.clone(), observe.subscribe());
    }
    if config.notify.any() {
        let kept = config.daemon.state_dir.join(notify::NOTIFIED_FILE);
        notify::spawn(config.notify.clone(), observe.subscribe(), kept);
    }
    let kept = config.daemon.state_dir.join(SUSPENSIONS_FILE);
    observe.keep_suspensions_in(kept.clone()).map_err(|e| {
        tracing::error!(path = %kept.display(), error = %e, "cannot read the operator suspensions");
        StartError::Suspensions(e)
    })
}
