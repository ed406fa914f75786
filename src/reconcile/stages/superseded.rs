//! An apply overtaken by a later commit. While it waited on a job, the note
//! of the commit it was for said "waiting on …"; once the passes work at a
//! later commit, that section is rewritten to say what became of the job and
//! which commit took over, so that it does not claim to wait for ever; its
//! commit status, which said "applying", says the same in the host's word
//! for a run that did not complete. It is never Synced (nor success): the
//! apply did not verify the bot at that commit.

use chrono::Utc;

use crate::ids::CommitId;
use crate::observe::PassEvent;
use crate::platform::{PlatformError, PublishOutcome};
use crate::status::Phase;

use super::super::pass::Reconciler;
use super::job::{Ended, Job};
use super::{Apply, Stage};

/// What became of a superseded apply, in words for its note.
pub(in crate::reconcile) struct Fate {
    what: String,
    /// The job failed: what the platform said.
    error: Option<String>,
    /// In a few words for the commit status, which hosts cut short.
    brief: String,
}

impl Fate {
    /// The apply goes on at the commit that took over, whose definition of
    /// the bot is the same.
    pub(super) fn goes_on(run: &Apply) -> Fate {
        let on = match &run.stage {
            Stage::Waiting { job, .. } => job.describe(),
            _ => "a rate-limit turn".to_owned(),
        };
        Fate::said(format!(
            "that commit defines the bot the same way, and the apply goes on there (waiting on {on})"
        ))
    }

    /// The job it waited on ended well; the commit that took over is then
    /// applied afresh.
    pub(super) fn ended(job: &Job, ended: &Ended) -> Fate {
        let left = match ended {
            Ended::Import(_) => "imported; not trained or published for this commit",
            Ended::Training(_) => "trained; not published for this commit",
            Ended::Publish(PublishOutcome::Published) => {
                "published; what went live was not verified for this commit"
            }
            Ended::Publish(PublishOutcome::AwaitingApproval) => {
                "published, awaiting approval; not verified for this commit"
            }
        };
        Fate::said(format!("{} ended: {left}", job.describe()))
    }

    /// The job it waited on failed (or ran past its deadline).
    pub(super) fn failed(job: &Job, error: &PlatformError) -> Fate {
        // The host's short description keeps the platform's own reason: the
        // context names the bot, and the note has the whole error.
        let brief = match error {
            PlatformError::JobFailed { message, .. } => {
                format!("{} failed: {message}", job.kind())
            }
            other => other.to_string(),
        };
        Fate {
            what: format!(
                "{} failed; nothing more was sent for this commit",
                job.describe()
            ),
            brief,
            error: Some(error.to_string()),
        }
    }

    /// The job is not looked at again (the target is gone, or names another
    /// bot, or the look was refused): how it ended is not known.
    pub(in crate::reconcile) fn left(run: &Apply, why: &str) -> Fate {
        let (on, brief) = match &run.stage {
            Stage::Waiting { job, .. } => (
                format!("{} was not looked at again", job.describe()),
                format!("{} not looked at again", job.kind()),
            ),
            _ => (
                "nothing more was sent for this commit".to_owned(),
                "nothing more sent".to_owned(),
            ),
        };
        // The status says first what is not known, then why: a host cuts
        // the end off.
        Fate {
            what: format!("{why}: {on}"),
            brief: format!("{brief}: {why}"),
            error: None,
        }
    }

    /// The look at the job was refused for good: how it ended is not known.
    pub(super) fn left_after(job: &Job, error: &str) -> Fate {
        Fate {
            what: format!(
                "{} could not be looked at ({error}); nothing more was sent for this commit",
                job.describe()
            ),
            brief: format!("{} could not be looked at: {error}", job.kind()),
            error: None,
        }
    }

    /// It waited for a rate-limit turn: nothing was sent for it meanwhile.
    pub(super) fn nothing_sent() -> Fate {
        Fate::said("it waited for a rate-limit turn; nothing more was sent for this commit".into())
    }

    fn said(what: String) -> Fate {
        Fate {
            brief: what.clone(),
            what,
            error: None,
        }
    }
}

impl Reconciler {
    /// Rewrites the section of `bot` on the commit `run` was for, now that
    /// the passes work at `by`: Superseded, naming `by`, saying `fate`.
    /// Nothing to do when `run` is for `by` itself.
    pub(in crate::reconcile) async fn superseded(
        &self,
        bot: &str,
        run: &Apply,
        by: CommitId,
        fate: Fate,
    ) {
        if run.commit == by || self.dry_run {
            return;
        }
        let mut status = run.status.clone();
        if let Stage::Waiting { job, .. } = &run.stage {
            status.jobs.extend(job.entry());
        }
        status.phase = Phase::Superseded;
        status.summary = format!(
            "{}; superseded by commit {} before this apply ended: {}",
            run.summary,
            by.short(),
            fate.what
        );
        status.error = fate.error;
        status.finished = Some(Utc::now());
        status.updated = Utc::now();
        tracing::info!(bot, commit = %run.commit, by = %by, fate = %fate.what, "an apply was superseded by a later commit");
        if let Err(e) = self.notes.record(run.commit, bot, &status).await {
            tracing::warn!(bot, commit = %run.commit, error = %e, "could not write or push the status note");
        }
        // The commit status of `run.commit` said "applying" and would say it
        // for ever: it says what the note now says (the one log line above
        // tells both).
        if let Some(observe) = &self.observe {
            observe.announce(&PassEvent::Superseded {
                bot: bot.to_owned(),
                commit: run.commit,
                by,
                fate: fate.brief,
            });
        }
    }
}
