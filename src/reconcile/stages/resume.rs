//! A pass of a target whose apply waits on a job: it goes on from the job
//! when the commit still wants the content it brings; otherwise it only
//! looks at the job, and once the job ended the pass decides afresh. Either
//! way, the note of the commit the apply was for says what became of it.

use crate::desired::DesiredBot;
use crate::ids::{BotId, CommitId};

use super::super::converge::Outcome;
use super::super::error::PassError;
use super::super::pass::Reconciler;
use super::super::secrets::WithSecrets;
use super::{Fate, Stage};

impl Reconciler {
    /// A pass of a target whose apply waits: `Some` when this pass carries it
    /// on (or still waits on a job of content the commit no longer holds);
    /// `None` when it is over and the pass decides afresh.
    pub(in crate::reconcile) async fn resume(
        &self,
        commit: CommitId,
        id: &BotId,
        desired: &DesiredBot,
        with: Option<&WithSecrets>,
    ) -> Result<Option<Outcome>, PassError> {
        let bot = desired.key().to_string();
        let Some(mut run) = self.lock().pending.remove(&bot) else {
            return Ok(None);
        };
        if run.id != *id {
            let why = format!("the target now names the bot {id}");
            self.superseded(&bot, &run, commit, Fate::left(&run, &why))
                .await;
            return Ok(None);
        }
        let ignore = &desired.settings.ignore;
        let wanted = super::super::live::comparable(&desired.files, ignore).await?;
        if wanted.digest() == run.content {
            self.superseded(&bot, &run, commit, Fate::goes_on(&run))
                .await;
            run.commit = commit;
            return self.drive(run, desired, &wanted, with).await.map(Some);
        }
        // The commit changed while a job of the content before it runs: no
        // second import on top of it. Once it ends, the pass converges.
        let Stage::Waiting { job, mut watch } = run.stage else {
            self.superseded(&bot, &run, commit, Fate::nothing_sent())
                .await;
            return Ok(None);
        };
        let fate = match job.poll(&self.platform, id).await {
            Ok(poll) => match watch.verdict(poll) {
                Ok(None) => None,
                Ok(Some(ended)) => Some(Fate::ended(&job, &ended)),
                Err(e) => Some(Fate::failed(&job, &e)),
            },
            // Not known to have ended: look again later.
            Err(e) if e.is_retryable() => None,
            Err(e) => Some(Fate::left_after(&job, &e.to_string())),
        };
        if let Some(fate) = fate {
            tracing::info!(bot, job = %job.name(), "the job of the previous content ended; the pass applies this commit");
            run.stage = Stage::Waiting { job, watch };
            self.superseded(&bot, &run, commit, fate).await;
            return Ok(None);
        }
        let after = watch.next_look();
        run.stage = Stage::Waiting { job, watch };
        let mut outcome = run.waiting();
        outcome.status.summary = format!(
            "{} (previous content), before this commit is applied",
            outcome.status.summary
        );
        outcome.wait = Some(after);
        self.lock().keep_waiting(bot, run);
        Ok(Some(outcome))
    }
}
