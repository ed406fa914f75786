//! The repository at one commit: every target (a bot folder, or one
//! environment of a folder), read once per commit and shared by that commit's
//! passes.

use std::collections::BTreeMap;
use std::path::Path;

use git2::Repository;

use crate::desired::{
    BotEntry, BotError, DEFAULT_PLATFORM, Problem, RepoError, expand_targets, read_commit,
};
use crate::ids::CommitId;

/// The targets at a commit, by [`crate::desired::TargetKey`] text.
#[derive(Debug)]
pub struct Snapshot {
    /// The commit.
    pub commit: CommitId,
    /// Each target: a bot, or why it is not one.
    pub bots: BTreeMap<String, BotEntry>,
}

/// Which targets a daemon reconciles: the platforms it has credentials for,
/// and the environments `[daemon] environments` names (`None`: all).
#[derive(Debug, Clone)]
pub struct Scope {
    /// Configured platform names.
    pub platforms: Vec<String>,
    /// Environments this daemon reconciles.
    pub environments: Option<Vec<String>>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            platforms: vec![DEFAULT_PLATFORM.to_owned()],
            environments: None,
        }
    }
}

impl Snapshot {
    /// Reads `bots_dir` at `commit` from the repository at `repo` (blocking),
    /// every folder expanded into its targets within `scope`.
    pub fn read(
        repo: &Path,
        commit: CommitId,
        bots_dir: &str,
        scope: &Scope,
    ) -> Result<Snapshot, RepoError> {
        let repo = Repository::open(repo)?;
        let entries = read_commit(&repo, commit.to_oid(), bots_dir)?;
        let bots = expand_targets(entries, scope.environments.as_deref())
            .into_iter()
            .filter_map(|(key, entry)| Some((key.to_string(), scope.check(entry)?)))
            .collect();
        Ok(Snapshot { commit, bots })
    }

    /// The target names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.bots.keys().map(String::as_str)
    }

    /// The targets on `platform`; with `failed`, also the folders that
    /// could not be read (one platform's passes report them).
    pub fn on_platform(&self, platform: &str, failed: bool) -> Snapshot {
        let bots = self
            .bots
            .iter()
            .filter(|(_, entry)| match entry {
                Ok(bot) => bot.target.platform == platform,
                Err(_) => failed,
            })
            .map(|(key, entry)| (key.clone(), entry.clone()))
            .collect();
        Snapshot {
            commit: self.commit,
            bots,
        }
    }
}

impl Scope {
    /// A target on a platform the daemon does not have: an error when the
    /// daemon was meant to reconcile it, left out when its `environments`
    /// leave it to another daemon (a folder without environments, on a
    /// daemon without `[platform]`).
    fn check(&self, entry: BotEntry) -> Option<BotEntry> {
        let Ok(bot) = &entry else { return Some(entry) };
        let platform = &bot.target.platform;
        if self.platforms.contains(platform) {
            return Some(entry);
        }
        if bot.target.environment.is_none() && self.environments.is_some() {
            return None;
        }
        let message = match bot.target.environment.as_deref() {
            Some(env) => format!(
                "[environments.{env}] platform = {platform:?}: the daemon has no [platforms.{platform}] \
                 (it has {})",
                self.platforms.join(", ")
            ),
            None => "the daemon has no [platform] for a folder without environments".to_owned(),
        };
        Some(Err(BotError {
            folder: bot.key().to_string(),
            problems: vec![Problem::in_file(format!("{}/bot.toml", bot.name), message)],
        }))
    }
}
