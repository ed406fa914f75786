//! Environments that follow another branch or tag than the daemon's
//! (`branch = "release"` in `[environments.prod]`). The daemon's branch says
//! which environments exist; such an environment is reconciled at the head
//! of its own branch, with that commit's folder and `bot.toml`, and its note
//! goes on that commit. Every refresh fetches the followed refs; a pass of
//! such an environment looks again soon, since its branch may move while the
//! daemon's does not.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::GitConfig;
use crate::ids::CommitId;
use crate::source::Mirror;

use super::snapshot::Snapshot;

/// Each followed branch or tag's commit, or why there is none.
pub type FollowedHeads = BTreeMap<String, Result<CommitId, String>>;

/// The branches and tags the targets of `snapshot` follow.
pub fn followed(snapshot: &Snapshot) -> Vec<String> {
    let mut names: Vec<String> = snapshot
        .bots
        .values()
        .flatten()
        .filter_map(|bot| bot.target.branch.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Fetches `names` into the mirror (blocking work on its own thread).
pub async fn fetch_followed(
    state_dir: PathBuf,
    git: Arc<GitConfig>,
    names: Vec<String>,
) -> FollowedHeads {
    if names.is_empty() {
        return FollowedHeads::new();
    }
    let fetch = move || {
        let mirror = Mirror::open(&state_dir, &git.url).map_err(|e| e.to_string())?;
        Ok::<_, String>(mirror.fetch_followed(&git, &names))
    };
    match tokio::task::spawn_blocking(fetch).await {
        Ok(Ok(heads)) => heads,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not fetch the branches environments follow");
            FollowedHeads::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, "fetching the branches environments follow died");
            FollowedHeads::new()
        }
    }
}

/// Where a target that follows `branch` is reconciled: the snapshot of the
/// branch's head (the daemon's own when they are the same commit), or why not.
pub async fn at_branch(
    snapshot: &Arc<Snapshot>,
    heads: &FollowedHeads,
    key: &str,
    branch: &str,
) -> Result<Arc<Snapshot>, (Option<CommitId>, String)> {
    let commit = match heads.get(branch) {
        Some(Ok(commit)) => *commit,
        Some(Err(why)) => return Err((None, format!("cannot follow {branch}: {why}"))),
        None => return Err((None, format!("{branch} has not been fetched yet"))),
    };
    if commit == snapshot.commit {
        return Ok(snapshot.clone());
    }
    let source = snapshot.clone();
    let read = move || source.read_older(commit);
    let older = match tokio::task::spawn_blocking(read).await {
        Ok(Ok(older)) => older,
        Ok(Err(e)) => {
            return Err((
                Some(commit),
                format!("cannot read {branch} at {commit}: {e}"),
            ));
        }
        Err(e) => {
            return Err((
                Some(commit),
                format!("cannot read {branch} at {commit}: {e}"),
            ));
        }
    };
    if !older.bots.contains_key(key) {
        let environment = crate::desired::TargetKey::parse(key);
        return Err((
            Some(commit),
            format!(
                "{branch} at {} has no {key}: its {}/bot.toml does not declare [environments.{}]",
                commit.short(),
                environment.folder(),
                environment.environment().unwrap_or_default(),
            ),
        ));
    }
    Ok(Arc::new(older))
}
