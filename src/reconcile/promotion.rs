//! Promotion: an environment with `after = "<other>"` moves only to commits
//! at which the other environment is Synced, as the other's note on the
//! commit records, the newest such commit of the branch: never to one that
//! failed there, nor to one the other has not reached yet. Notes travel with
//! the repository, so a production daemon that never talks to the staging
//! platform still sees where staging stands.

use std::time::Duration;

use crate::desired::TargetKey;
use crate::ids::CommitId;
use crate::status::Phase;

use super::error::PassError;
use super::notes::Notes;
use super::snapshot::Snapshot;

/// How soon an environment waiting for the one it follows looks again.
pub const PROMOTION_RECHECK: Duration = Duration::from_secs(30);

/// Where an environment that follows another goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Promotion {
    /// To `commit` (the head, or an older one), with the reason in words.
    To {
        /// The newest commit the followed environment is Synced at.
        commit: CommitId,
        /// Why there and not further.
        why: String,
    },
    /// Nowhere yet: the followed environment is Synced at no recent commit.
    Waiting(String),
}

/// Where the target `key` (following `after`) goes at `snapshot`'s commit.
pub async fn promotion(
    notes: &Notes,
    snapshot: &Snapshot,
    key: &TargetKey,
    after: &str,
) -> Result<Promotion, PassError> {
    let followed = TargetKey::new(key.folder(), Some(after)).to_string();
    let head = snapshot.commit;
    let history = snapshot
        .source
        .as_ref()
        .map_or_else(|| vec![head], |s| s.history.clone());
    let phase_at = |section: Option<crate::status::BotStatus>| section.map(|s| s.phase);
    let at_head = phase_at(notes.read_section(head, &followed).await?);
    for commit in &history {
        let phase = match *commit == head {
            true => at_head,
            false => phase_at(notes.read_section(*commit, &followed).await?),
        };
        if phase == Some(Phase::Synced) {
            let why = match *commit == head {
                true => format!("{after} is Synced at the head {}", head.short()),
                false => format!(
                    "{after} is Synced at {}, its newest such commit; {}",
                    commit.short(),
                    not_further(after, head, at_head)
                ),
            };
            return Ok(Promotion::To {
                commit: *commit,
                why,
            });
        }
    }
    Ok(Promotion::Waiting(format!(
        "waits for {after}: Synced at none of the last {} commits; {}",
        history.len(),
        not_further(after, head, at_head)
    )))
}

/// The targets of `snapshot` that follow `key` (`after` naming its
/// environment, in its folder): a pass that left `key` Synced wakes them, so
/// that they need not wait for [`PROMOTION_RECHECK`].
pub fn followers(snapshot: &Snapshot, key: &str) -> Vec<String> {
    let followed = TargetKey::parse(key);
    snapshot
        .bots
        .iter()
        .filter(|(other, bot)| {
            let after = bot.as_ref().ok().and_then(|b| b.target.after.as_deref());
            after.is_some_and(|after| {
                TargetKey::new(TargetKey::parse(other).folder(), Some(after)) == followed
            })
        })
        .map(|(other, _)| other.clone())
        .collect()
}

/// `keys` in waves: a target comes one wave after the target it follows
/// (`after`) when that one is among `keys`; order within a wave is kept.
pub fn waves(snapshot: &Snapshot, keys: Vec<String>) -> Vec<Vec<String>> {
    let follows = |key: &str| -> Option<String> {
        let after = snapshot
            .bots
            .get(key)?
            .as_ref()
            .ok()?
            .target
            .after
            .clone()?;
        let followed = TargetKey::new(TargetKey::parse(key).folder(), Some(&after)).to_string();
        keys.contains(&followed).then_some(followed)
    };
    let depth = |key: &str| {
        let (mut depth, mut at) = (0, key.to_owned());
        // `after` has no cycles (bot.toml refuses them); the bound is a guard.
        while let Some(next) = follows(&at).filter(|_| depth < keys.len()) {
            depth += 1;
            at = next;
        }
        depth
    };
    let mut waves: Vec<Vec<String>> = Vec::new();
    for key in &keys {
        let depth = depth(key);
        if waves.len() <= depth {
            waves.resize_with(depth + 1, Vec::new);
        }
        waves[depth].push(key.clone());
    }
    waves.retain(|wave| !wave.is_empty());
    waves
}

/// Why the head is not the commit: what the followed environment's note on
/// it says.
fn not_further(after: &str, head: CommitId, phase: Option<Phase>) -> String {
    match phase {
        None => format!("{after} has not reconciled the head {} yet", head.short()),
        Some(Phase::Failed) => format!("{after} failed at the head {}", head.short()),
        Some(phase) => format!("{after} is {phase} at the head {}", head.short()),
    }
}
