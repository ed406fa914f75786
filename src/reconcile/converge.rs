//! The decision of a pass: which live bot, what the commit wants, what the
//! platform holds (by the change log when a full look is not due, by exports
//! otherwise), and the plan that follows.

use tokio::time::Instant;

use crate::desired::{BotTarget, DesiredBot, DriftPolicy};
use crate::diff::{NormalisedBot, compare};
use crate::ids::{BotId, CommitId, Digest};
use crate::status::{BotStatus, Phase};

use super::bookkeeping::Verified;
use super::error::PassError;
use super::live::{comparable, observe};
use super::pass::Reconciler;
use super::plan::{Observed, Plan, decide, observe_only};
use super::secrets;
use super::snapshot::Snapshot;
use super::stages::Start;
use super::steps::Change;

/// What a successful pass found, for the report.
pub(super) struct Outcome {
    pub status: BotStatus,
    pub plan: Plan,
    pub detail: String,
    /// An apply waits on a job (or a budget turn): look again after this.
    pub wait: Option<std::time::Duration>,
}

/// The summary of a pass that trusted the change log instead of exporting.
pub const QUIET_SUMMARY: &str = "in sync: the change log shows no edit since both copies \
    were last exported and matched the commit";

impl Reconciler {
    pub(super) async fn converge(
        &self,
        snapshot: &Snapshot,
        desired: &DesiredBot,
    ) -> Result<Outcome, PassError> {
        let (bot, commit) = (&desired.key().to_string(), snapshot.commit);
        if desired.settings.suspend {
            let status = BotStatus::new(
                Phase::Suspended,
                "suspend = true in bot.toml: not reconciled",
            );
            return Ok(Outcome {
                status,
                plan: Plan::Synced,
                detail: String::new(),
                wait: None,
            });
        }
        let id = self.bot_id(snapshot, desired).await?;
        let with_secrets = self.secrets.resolve(desired).await?;
        let desired = with_secrets.as_ref().map_or(desired, |w| &w.desired);
        // An apply that waits on a job goes on from it: never sent twice.
        if let Some(outcome) = self
            .resume(commit, &id, desired, with_secrets.as_ref())
            .await?
        {
            return Ok(outcome);
        }
        // A rotated secret is no edit the change log shows: a full pass.
        if !self.secrets.rotated(with_secrets.as_ref())
            && let Some(outcome) = self.quiet(bot, commit, &id, desired).await?
        {
            return Ok(outcome);
        }
        let wanted = comparable(&desired.files, &desired.settings.ignore).await?;
        // Taken before the exports: whatever changes the bot after them shows
        // in the log as new, so the next resync can trust the log alone.
        let mark = match self.full_resync().is_some() && !self.dry_run {
            true => self.platform.change_mark(&id).await?,
            false => None,
        };
        let live = observe(&self.platform, &id, &desired.settings.ignore).await?;
        // When the in-development copy already matches (a pass resumed after
        // its import), what changes is what the publish brings live.
        let baseline = if live.dev.digest() == wanted.digest() {
            &live.published
        } else {
            &live.dev
        };
        let diff = compare(baseline, &wanted);
        let observed = self
            .observed(bot, commit, &id, &wanted, &live.dev, &live.published)
            .await?;
        let revert = desired.settings.drift == DriftPolicy::Revert
            && self.default_drift == DriftPolicy::Revert;
        let (plan, secured) = self
            .secrets
            .plan(with_secrets.as_ref(), decide(&observed, revert));
        let plan = match desired.settings.drift {
            DriftPolicy::Observe => observe_only(plan),
            _ => plan,
        };
        let summary = secrets::summary(diff.summary(), secured.as_deref());
        let mut status = BotStatus {
            bot_id: Some(id.clone()),
            desired: Some(observed.desired),
            live: Some(observed.dev),
            ..BotStatus::new(Phase::Synced, summary.clone())
        };
        match plan {
            Plan::Synced => {
                status.summary = "in sync".to_owned();
                self.remember_verified(bot, commit, &id, observed.desired, mark);
            }
            Plan::AwaitingApproval => status.phase = Phase::AwaitingApproval,
            Plan::ReportDrift => status.phase = Phase::Drifted,
            Plan::Apply(steps) if self.dry_run => {
                status.phase = Phase::OutOfSync;
                let gate = steps.publish.then(|| super::gate::describe(desired));
                if let Some(gate) = gate.flatten() {
                    status.summary = format!("{}; then {gate}", status.summary);
                }
            }
            Plan::Apply(steps) => {
                let change = Change {
                    wanted: &wanted,
                    summary: &summary,
                };
                let start = Start {
                    commit,
                    id: &id,
                    steps,
                    change,
                    plan,
                    detail: diff.detailed(),
                    status,
                };
                return self.apply(start, desired, with_secrets.as_ref()).await;
            }
        }
        Ok(Outcome {
            status,
            plan,
            detail: diff.detailed(),
            wait: None,
        })
    }

    /// The cheap resync: when the last full pass verified both copies at the
    /// digest the commit still normalises to, no full pass is due, and the
    /// change log shows nothing since that may have changed the bot, the
    /// verification holds without an export. `None`: a full pass is needed
    /// (no verification, a new definition, a log entry that may be an edit,
    /// or no change log on this platform).
    async fn quiet(
        &self,
        bot: &str,
        commit: CommitId,
        id: &BotId,
        desired: &DesiredBot,
    ) -> Result<Option<Outcome>, PassError> {
        let verified = self.lock().verified(bot, Instant::now());
        let Some(verified) = verified.filter(|v| &v.bot == id) else {
            return Ok(None);
        };
        if verified.commit != commit {
            let wanted = comparable(&desired.files, &desired.settings.ignore).await?;
            if wanted.digest() != verified.desired {
                self.lock().forget_verified(bot);
                return Ok(None);
            }
        }
        let Some(entries) = self.platform.recent_changes(id).await? else {
            return Ok(None);
        };
        let new = verified.mark.since(&entries);
        if new.iter().any(|e| e.may_change_development()) {
            self.lock().forget_verified(bot);
            return Ok(None);
        }
        self.lock().still_verified(bot, commit, &new);
        let status = BotStatus {
            bot_id: Some(id.clone()),
            desired: Some(verified.desired),
            live: Some(verified.desired),
            ..BotStatus::new(Phase::Synced, QUIET_SUMMARY)
        };
        Ok(Some(Outcome {
            status,
            plan: Plan::Synced,
            detail: String::new(),
            wait: None,
        }))
    }

    fn remember_verified(
        &self,
        bot: &str,
        commit: CommitId,
        id: &BotId,
        desired: Digest,
        mark: Option<crate::platform::ChangeMark>,
    ) {
        let (Some(interval), Some(mark)) = (self.full_resync(), mark) else {
            return;
        };
        let verified = Verified {
            bot: id.clone(),
            commit,
            desired,
            mark,
            full_due: Instant::now(),
        };
        self.lock().record_verified(bot, verified, interval);
    }

    async fn observed(
        &self,
        bot: &str,
        commit: CommitId,
        id: &BotId,
        wanted: &NormalisedBot,
        dev: &NormalisedBot,
        published: &NormalisedBot,
    ) -> Result<Observed, PassError> {
        let (desired, dev, published) = (wanted.digest(), dev.digest(), published.digest());
        // Only this case needs the publish status: it is a call saved otherwise.
        let awaiting_approval =
            dev == desired && published != desired && self.awaits_approval(id).await?;
        // The note matters only when the in-development copy is not the
        // commit (drift or a change): an in-sync pass reads no note.
        let arrived = self.lock().arrived.contains(bot);
        let last_synced = match arrived || dev == desired {
            true => None,
            false => self
                .notes
                .read_section(commit, bot)
                .await?
                .filter(|s| s.phase == Phase::Synced || s.phase == Phase::Drifted)
                .and_then(|s| s.desired),
        };
        Ok(Observed {
            desired,
            dev,
            published,
            awaiting_approval,
            last_synced,
        })
    }

    /// Whether the bot's latest publish waits for an administrator. A bot that
    /// was never published has no publish status (404): nothing waits.
    async fn awaits_approval(&self, id: &BotId) -> Result<bool, PassError> {
        match self.platform.publish_status(id).await {
            Ok(status) => Ok(status.awaits_approval()),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The live bot the folder names: its `bot_id` as it stands when every
    /// folder of the commit names its bot by id (the platform checks it, see
    /// [`Reconciler::explain_refusal`]), otherwise checked against Get Bots.
    async fn bot_id(&self, snapshot: &Snapshot, desired: &DesiredBot) -> Result<BotId, PassError> {
        match &desired.settings.target {
            BotTarget::Id(id) if self.targets.ids_only(snapshot) => Ok(id.clone()),
            _ => self.listed_id(snapshot, desired).await,
        }
    }

    /// The live bot the folder names, checked against Get Bots (read once and
    /// kept across commits), and refused when another folder of the commit
    /// names it too. A bot the list does not hold may have been created since
    /// it was read: it is read again once (shared with the other passes that
    /// found the same list stale) before the folder is refused.
    async fn listed_id(
        &self,
        snapshot: &Snapshot,
        desired: &DesiredBot,
    ) -> Result<BotId, PassError> {
        let started = Instant::now();
        let targets = self.targets.get(snapshot, &self.platform).await?;
        match targets.of(desired) {
            Err(e) if e.is_unknown() && targets.read_at() < started => {
                self.targets.read_again_after(targets.read_at());
                let targets = self.targets.get(snapshot, &self.platform).await?;
                Ok(targets.of(desired)?)
            }
            found => Ok(found?),
        }
    }
}

impl Reconciler {
    /// A pass that went to its `bot_id` without Get Bots (see
    /// [`super::targets::TargetCache::ids_only`]) and was refused by the
    /// platform (400, 403 or 404: how a platform answers an id it does not
    /// hold is not documented) is told why when the account's list lacks the
    /// id: the same message a pass checked against the list would give.
    /// Otherwise (the list holds it: a missing scope, say) the platform's own
    /// answer stands.
    pub(super) async fn explain_refusal(
        &self,
        snapshot: &Snapshot,
        desired: &DesiredBot,
        error: PassError,
    ) -> PassError {
        let refused = matches!(&error, PassError::Platform(e)
            if matches!(e.status(), Some(400 | 403 | 404)));
        let by_id = matches!(desired.settings.target, BotTarget::Id(_));
        if !(refused && by_id && self.targets.ids_only(snapshot)) {
            return error;
        }
        match self.listed_id(snapshot, desired).await {
            Err(unknown @ PassError::Identity(_)) => unknown,
            _ => error,
        }
    }
}
