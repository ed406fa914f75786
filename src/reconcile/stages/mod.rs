//! An apply as a chain of stages that may span several passes: import →
//! verify → train each language → gate → publish → finish. A stage that has
//! sent a job (import, training, publish) looks at it once; while it runs,
//! the pass ends with "look again in T" and the apply waits in the
//! reconciler's memory (`State::pending`), holding no worker; the queue
//! brings the target back and the next pass resumes from the job it holds,
//! never sending it again. A one-off command (no queue) waits in the pass.

use std::time::Duration;

use crate::desired::DesiredBot;
use crate::diff::NormalisedBot;
use crate::ids::{BotId, CommitId, Digest};
use crate::platform::jobs::Watch;
use crate::platform::{Context, PlatformError, PublishOutcome};
use crate::status::{BotStatus, Phase};

use super::apply::{self, ImportBasis};
use super::converge::Outcome;
use super::error::PassError;
use super::guard::EditGuard;
use super::pass::Reconciler;
use super::plan::{Plan, Steps};
use super::policy::Retry;
use super::secrets::WithSecrets;
use super::steps::{Change, edited_during_pass, version_comment};

mod job;
mod later;
mod resume;
mod superseded;

use job::{Ended, Job};
pub(super) use superseded::Fate;

/// A wait for a budget turn up to this long happens in the pass; a longer
/// one before a non-idempotent call goes back to the queue (a requeue).
pub const BUDGET_WAIT_IN_PASS: Duration = Duration::from_secs(1);

const RATE_TURN: &str = "a turn of the bot's rate limit";

/// An apply under way, kept between the passes of its target.
#[derive(Debug)]
pub(super) struct Apply {
    /// The commit whose note the apply writes (the latest with its content).
    pub commit: CommitId,
    pub id: BotId,
    /// The digest of the content the apply brings.
    pub content: Digest,
    steps: Steps,
    summary: String,
    plan: Plan,
    detail: String,
    guard: EditGuard,
    /// The outcome so far (job ids of ended jobs, then the final phase).
    status: BotStatus,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    /// Upload and send the import.
    Import {
        after_lost_answer: bool,
    },
    /// A job was sent: look at it.
    Waiting {
        job: Job,
        watch: Box<Watch>,
    },
    /// Check that the in-development copy is the commit.
    Verify,
    /// Train the `next` language (if any is left).
    Train {
        next: usize,
    },
    /// Run the publish gate, then check for edits before publishing.
    Gate,
    Publish,
    /// Record what is live, and look once more after a publish.
    Finish,
    Done,
}

/// What one stage did.
enum Step {
    Next,
    Wait(Duration),
    Done,
}

impl Apply {
    /// The outcome of a pass that ends while the apply waits: the phase of
    /// the step under way and what it waits on, never Synced.
    fn waiting(&self) -> Outcome {
        let mut status = self.status.clone();
        let (phase, on) = match &self.stage {
            Stage::Waiting { job, .. } => {
                status.jobs.extend(job.entry());
                (job.phase(), job.describe())
            }
            Stage::Train { .. } => (Phase::Training, RATE_TURN.to_owned()),
            Stage::Publish => (Phase::Publishing, RATE_TURN.to_owned()),
            _ => (Phase::Importing, "an upload turn (rate limit)".to_owned()),
        };
        status.phase = phase;
        status.summary = format!("{}; waiting on {on}", self.summary);
        self.outcome(status)
    }

    fn outcome(&self, status: BotStatus) -> Outcome {
        Outcome {
            status,
            plan: self.plan,
            detail: self.detail.clone(),
            wait: None,
        }
    }
}

#[cfg(test)]
impl Apply {
    /// An apply of `commit` about to import (for tests of what holds it).
    pub(in crate::reconcile) fn for_tests(commit: CommitId, id: BotId) -> Apply {
        let steps = Steps {
            import: true,
            publish: true,
            reverts_drift: false,
        };
        Apply {
            commit,
            id,
            content: Digest::from_bytes([0; 32]),
            steps,
            summary: "a change".to_owned(),
            plan: Plan::Apply(steps),
            detail: String::new(),
            guard: EditGuard::without_change_log(),
            status: BotStatus::new(Phase::Importing, "a change"),
            stage: Stage::Import {
                after_lost_answer: false,
            },
        }
    }
}

/// What an apply starts from: the decision of the pass.
pub(super) struct Start<'a> {
    pub commit: CommitId,
    pub id: &'a BotId,
    pub steps: Steps,
    pub change: Change<'a>,
    pub plan: Plan,
    pub detail: String,
    pub status: BotStatus,
}

impl Reconciler {
    /// Starts an apply and drives it as far as it goes in this pass.
    pub(super) async fn apply(
        &self,
        start: Start<'_>,
        desired: &DesiredBot,
        with: Option<&WithSecrets>,
    ) -> Result<Outcome, PassError> {
        let steps = start.steps;
        if steps.publish {
            super::gate::ready(&self.tests, desired)?;
        }
        let bot = desired.key().to_string();
        let lost = self.lock().lost_imports.remove(&bot);
        let after_lost_answer = lost.is_some();
        let guard = EditGuard::start(&self.platform, start.id, lost).await?;
        let run = Apply {
            commit: start.commit,
            id: start.id.clone(),
            content: start.change.wanted.digest(),
            steps,
            summary: start.change.summary.to_owned(),
            plan: start.plan,
            detail: start.detail,
            guard,
            status: start.status,
            stage: match steps.import {
                true => Stage::Import { after_lost_answer },
                false => Stage::Verify,
            },
        };
        self.drive(run, desired, start.change.wanted, with).await
    }

    /// Runs stages until the apply ends, or waits: with a queue, the pass
    /// ends and the apply is kept for the next one; without, the pass waits.
    async fn drive(
        &self,
        mut run: Apply,
        desired: &DesiredBot,
        wanted: &NormalisedBot,
        with: Option<&WithSecrets>,
    ) -> Result<Outcome, PassError> {
        loop {
            let step = match self.advance(&mut run, desired, wanted, with).await {
                Ok(step) => step,
                // A look at a job that failed on the way (the platform or the
                // network): the job may run on; the next pass looks again.
                Err(e)
                    if self.requeued()
                        && e.retry() == Retry::Transient
                        && matches!(run.stage, Stage::Waiting { .. }) =>
                {
                    self.lock().keep_waiting(desired.key().to_string(), run);
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            match step {
                Step::Next => {}
                Step::Done => return Ok(run.outcome(run.status.clone())),
                Step::Wait(after) if self.requeued() => {
                    let mut outcome = run.waiting();
                    outcome.wait = Some(after);
                    self.lock().keep_waiting(desired.key().to_string(), run);
                    return Ok(outcome);
                }
                Step::Wait(after) => {
                    crate::platform::idle::idle(tokio::time::sleep(after)).await;
                }
            }
        }
    }

    async fn advance(
        &self,
        run: &mut Apply,
        desired: &DesiredBot,
        wanted: &NormalisedBot,
        with: Option<&WithSecrets>,
    ) -> Result<Step, PassError> {
        if let Stage::Waiting { .. } = run.stage {
            return self.look(run, with).await;
        }
        let bot = desired.key().to_string();
        let phase = |phase| self.phase(&bot, run.commit, phase, &run.summary);
        match std::mem::replace(&mut run.stage, Stage::Done) {
            Stage::Import { after_lost_answer } => {
                let wait = self.budget_wait(&run.id, apply::uploads(desired));
                if wait > BUDGET_WAIT_IN_PASS && !after_lost_answer {
                    run.stage = Stage::Import { after_lost_answer };
                    return Ok(Step::Wait(wait));
                }
                phase(Phase::Importing);
                let basis = ImportBasis {
                    mark: run.guard.mark(),
                    after_lost_answer,
                };
                let sent = apply::send_import(&self.platform, &run.id, desired, basis).await;
                if let (Err(PassError::Platform(PlatformError::Unconfirmed { .. })), Some(mark)) =
                    (&sent, run.guard.mark())
                {
                    self.lock().lost_imports.insert(bot.clone(), mark.clone());
                }
                run.stage = self.watch(Job::Import(sent?), &run.id);
            }
            Stage::Waiting { .. } => unreachable!("looked at above"),
            Stage::Verify => {
                let guard = &mut run.guard;
                if let Some(live) = self.verify(&run.id, desired, wanted, guard).await? {
                    let when = "before training: not trained or published";
                    edited_during_pass(&mut run.status, live, when);
                    return Ok(Step::Done);
                }
                phase(Phase::Training);
                run.stage = Stage::Train { next: 0 };
            }
            Stage::Train { next } => return self.train(run, desired, next).await,
            Stage::Gate => return self.gate(run, desired, wanted).await,
            Stage::Publish => {
                let wait = self.budget_wait(&run.id, 0);
                if wait > BUDGET_WAIT_IN_PASS {
                    run.stage = Stage::Publish;
                    return Ok(Step::Wait(wait));
                }
                phase(Phase::Publishing);
                let comment = version_comment(desired, run.commit, &run.summary);
                let started = self.platform.start_publish(&run.id, &comment).await?;
                run.stage = self.watch(Job::Publish(started), &run.id);
            }
            Stage::Finish => {
                self.finish(run, desired, wanted).await?;
                return Ok(Step::Done);
            }
            Stage::Done => return Ok(Step::Done),
        }
        Ok(Step::Next)
    }

    /// Looks at the job the apply waits on. A failed look leaves the apply
    /// waiting (the job may well run on); a failed or overdue job ends it.
    async fn look(&self, run: &mut Apply, with: Option<&WithSecrets>) -> Result<Step, PassError> {
        let Stage::Waiting { job, watch } = &mut run.stage else {
            return Ok(Step::Next);
        };
        let poll = job.poll(&self.platform, &run.id).await?;
        let ended = match watch.verdict(poll) {
            Ok(None) => return Ok(Step::Wait(watch.next_look())),
            Ok(Some(ended)) => ended,
            Err(e) => {
                run.stage = Stage::Done;
                return Err(e.into());
            }
        };
        let Stage::Waiting { job, .. } = std::mem::replace(&mut run.stage, Stage::Done) else {
            unreachable!("the apply waits on a job")
        };
        self.ended(run, job, ended, with);
        Ok(Step::Next)
    }

    /// Starts watching `job`, just sent.
    fn watch(&self, job: Job, id: &BotId) -> Stage {
        let at = Context::new(job.operation(), Some(id));
        let watch = Box::new(Watch::new(&at, &job.name(), self.platform.patience()));
        Stage::Waiting { job, watch }
    }

    /// A job ended well: what it did is recorded and the next stage follows.
    fn ended(&self, run: &mut Apply, job: Job, ended: Ended, with: Option<&WithSecrets>) {
        match (job, ended) {
            (_, Ended::Import(request)) => {
                run.guard.own_import(request.as_str());
                run.status
                    .jobs
                    .insert("import".to_owned(), request.to_string());
                // The values are on the bot once the import succeeded, even
                // if a later step fails: the next pass must not import again.
                self.secrets.record(with);
                run.stage = Stage::Verify;
            }
            (Job::Training { next, language, id }, Ended::Training(status)) => {
                if let Some(id) = status.training_id.or(id) {
                    run.status.jobs.insert(format!("train.{language}"), id);
                }
                run.stage = Stage::Train { next: next + 1 };
            }
            (_, Ended::Training(_)) => run.stage = Stage::Gate,
            (_, Ended::Publish(outcome)) => {
                run.status.phase = match outcome {
                    PublishOutcome::Published => Phase::Synced,
                    PublishOutcome::AwaitingApproval => Phase::AwaitingApproval,
                };
                run.stage = Stage::Finish;
            }
        }
    }
}
