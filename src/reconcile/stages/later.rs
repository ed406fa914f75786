//! The stages after the import is verified: training each language, the
//! publish gate and the last check before the publish, and what a finished
//! apply records.

use std::time::Duration;

use crate::desired::DesiredBot;
use crate::diff::NormalisedBot;
use crate::ids::BotId;
use crate::platform::TrainingStart;
use crate::status::Phase;

use super::super::apply;
use super::super::error::PassError;
use super::super::pass::Reconciler;
use super::super::steps::edited_during_pass;
use super::job::Job;
use super::{Apply, BUDGET_WAIT_IN_PASS, Stage, Step};

impl Reconciler {
    /// Trains the `next` language, unless (resuming a pass that stopped
    /// after training) its model is already trained on the utterances.
    pub(super) async fn train(
        &self,
        run: &mut Apply,
        desired: &DesiredBot,
        next: usize,
    ) -> Result<Step, PassError> {
        let languages = apply::languages(desired);
        let Some(language) = languages.get(next) else {
            run.stage = Stage::Gate;
            return Ok(Step::Next);
        };
        if !run.steps.import && apply::trained(&self.platform, &run.id, language).await? {
            run.stage = Stage::Train { next: next + 1 };
            return Ok(Step::Next);
        }
        let wait = self.budget_wait(&run.id, 0);
        if wait > BUDGET_WAIT_IN_PASS {
            run.stage = Stage::Train { next };
            return Ok(Step::Wait(wait));
        }
        run.stage = match self.platform.start_training(&run.id, language).await? {
            TrainingStart::Trained(status) => {
                if let Some(id) = status.training_id {
                    run.status.jobs.insert(format!("train.{language}"), id);
                }
                Stage::Train { next: next + 1 }
            }
            TrainingStart::Running(id) => {
                let language = language.clone();
                self.watch(Job::Training { next, language, id }, &run.id)
            }
        };
        Ok(Step::Next)
    }

    /// The gate runs before the last check, so an edit while the suites run
    /// is caught like one while the bot trained.
    pub(super) async fn gate(
        &self,
        run: &mut Apply,
        desired: &DesiredBot,
        wanted: &NormalisedBot,
    ) -> Result<Step, PassError> {
        let gate = (&self.notes, run.commit);
        let passed = !run.steps.publish
            || super::super::gate::check(&self.tests, gate, desired, &run.id, &mut run.status)
                .await?;
        let guard = &mut run.guard;
        if let Some(live) = self
            .still_committed(&run.id, desired, wanted, guard)
            .await?
        {
            let when = "while it trained or was tested: not published";
            edited_during_pass(&mut run.status, live, when);
            return Ok(Step::Done);
        }
        if !passed {
            return Ok(Step::Done);
        }
        run.stage = match run.steps.publish {
            true => Stage::Publish,
            false => {
                run.status.phase = Phase::Synced;
                Stage::Finish
            }
        };
        Ok(Step::Next)
    }

    pub(super) async fn finish(
        &self,
        run: &mut Apply,
        desired: &DesiredBot,
        wanted: &NormalisedBot,
    ) -> Result<(), PassError> {
        let status = &mut run.status;
        status.live = status.desired;
        if run.steps.reverts_drift {
            status.summary = format!("reverted drift: {}", run.summary);
        } else if !run.steps.import {
            status.summary = format!("published the imported definition: {}", run.summary);
        }
        if run.steps.publish {
            self.after_publish(&run.id, desired, wanted, &mut run.guard, status)
                .await?;
        }
        Ok(())
    }

    /// How long the budgets of the next non-idempotent call would hold this
    /// pass; zero for a one-off command, which waits in the pass anyway.
    pub(super) fn budget_wait(&self, id: &BotId, uploads: u32) -> Duration {
        match self.requeued() {
            true => self.platform.budget_wait(id, uploads),
            false => Duration::ZERO,
        }
    }
}
