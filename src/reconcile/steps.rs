//! The platform steps of an apply: import, train and publish, each checked
//! against the commit before the next (never train or publish what was not
//! verified), with the change log telling a person's edit from our own.

use crate::desired::DesiredBot;
use crate::diff::{NormalisedBot, compare};
use crate::ids::{BotId, CommitId, Digest};
use crate::platform::{PlatformError, PublishOutcome};
use crate::status::{BotStatus, Phase};

use super::apply::{self, ImportBasis, Jobs};
use super::error::PassError;
use super::guard::EditGuard;
use super::live::{in_development, observe};
use super::pass::Reconciler;
use super::plan::Steps;

impl Reconciler {
    pub(super) async fn apply(
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
            let when = "while it trained or was tested: not published";
            edited_during_pass(status, live, when);
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
}

/// What an apply brings: the commit's normalised definition and, in words,
/// how it differs from the live bot.
#[derive(Debug, Clone, Copy)]
pub(super) struct Change<'a> {
    pub wanted: &'a NormalisedBot,
    pub summary: &'a str,
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
