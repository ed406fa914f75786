//! The checks between the platform steps of an apply (see `stages`): each
//! step is checked against the commit before the next (never train or
//! publish what was not verified), with the change log telling a person's
//! edit from our own.

use crate::desired::DesiredBot;
use crate::diff::{NormalisedBot, compare};
use crate::ids::{BotId, CommitId, Digest};
use crate::status::{BotStatus, Phase};

use super::error::PassError;
use super::guard::EditGuard;
use super::live::{in_development, observe};
use super::pass::Reconciler;

impl Reconciler {
    /// Never trains or publishes what the commit does not hold: once the
    /// change log is marked (and after the import, if there was one), the
    /// in-development copy is exported and must be the commit. `Some(live
    /// digest)` when a person changed it meanwhile; an error when the
    /// platform itself rewrote the import.
    pub(super) async fn verify(
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
    pub(super) async fn still_committed(
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
    pub(super) async fn after_publish(
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
pub(super) fn edited_during_pass(status: &mut BotStatus, live: Digest, when: &str) {
    status.phase = Phase::Drifted;
    status.live = Some(live);
    status.summary = format!("a designer edit changed the in-development copy {when}");
}

/// The publish comment: the bot's own, or a default, naming the commit.
pub(super) fn version_comment(desired: &DesiredBot, commit: CommitId, summary: &str) -> String {
    let base = desired
        .settings
        .publish_comment
        .as_deref()
        .unwrap_or("kore-gitops");
    let comment = format!("{base} (commit {}): {summary}", commit.short());
    comment.chars().take(250).collect()
}
