//! The repository at one commit: every target (a bot folder, or one
//! environment of a folder), read once per commit and shared by that commit's
//! passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::Repository;

use crate::desired::{
    BotEntry, BotError, DEFAULT_PLATFORM, PackedEntry, Problem, RepoError, expand_targets,
    read_commit,
};
use crate::ids::CommitId;

/// The targets at a commit, by [`crate::desired::TargetKey`] text.
#[derive(Debug)]
pub struct Snapshot {
    /// The commit.
    pub commit: CommitId,
    /// Each target: a bot, or why it is not one. The files are kept
    /// deflated: a pass unpacks its own target's ([`Snapshot::target`]).
    pub bots: BTreeMap<String, PackedEntry>,
    /// Where it was read from, to read older commits of the branch for
    /// environments that follow another (`None`: made by hand, in tests).
    pub source: Option<Arc<Source>>,
}

/// The repository a snapshot was read from, and the branch's history.
#[derive(Debug)]
pub struct Source {
    repo: PathBuf,
    bots_dir: String,
    scope: Scope,
    /// The commit and its first parents, newest first, at most
    /// [`PROMOTION_DEPTH`].
    pub history: Vec<CommitId>,
}

/// How far back an environment looks for a commit the environment it
/// follows is Synced at.
pub const PROMOTION_DEPTH: usize = 200;

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
        let path = repo.to_owned();
        let repo = Repository::open(repo)?;
        let mut snapshot = Snapshot::read_in(&repo, commit, bots_dir, scope)?;
        let history = first_parents(&repo, commit)?;
        snapshot.source = Some(Arc::new(Source {
            repo: path,
            bots_dir: bots_dir.to_owned(),
            scope: scope.clone(),
            history,
        }));
        Ok(snapshot)
    }

    fn read_in(
        repo: &Repository,
        commit: CommitId,
        bots_dir: &str,
        scope: &Scope,
    ) -> Result<Snapshot, RepoError> {
        let entries = read_commit(repo, commit.to_oid(), bots_dir)?;
        let bots = expand_targets(entries, scope.environments.as_deref())
            .into_iter()
            .filter_map(|(key, entry)| Some((key.to_string(), scope.check(entry)?)));
        Ok(Snapshot::new(commit, bots))
    }

    /// A snapshot of `bots` at `commit`, not tied to a repository.
    pub fn new(commit: CommitId, bots: impl IntoIterator<Item = (String, BotEntry)>) -> Snapshot {
        let bots = bots
            .into_iter()
            .map(|(key, entry)| (key, entry.map(|bot| bot.pack())))
            .collect();
        Snapshot {
            commit,
            bots,
            source: None,
        }
    }

    /// The target `key`, its files unpacked; `None`: no such target.
    pub fn target(&self, key: &str) -> Option<BotEntry> {
        let entry = self.bots.get(key)?;
        Some(entry.as_ref().map(|bot| bot.unpack()).map_err(Clone::clone))
    }

    /// The same repository at an older `commit` of its history (blocking).
    pub fn read_older(&self, commit: CommitId) -> Result<Snapshot, RepoError> {
        let Some(source) = &self.source else {
            return Err(RepoError::NotABotRepository {
                path: format!("commit {commit} (a snapshot without a repository)"),
            });
        };
        let repo = Repository::open(&source.repo)?;
        let mut older = Snapshot::read_in(&repo, commit, &source.bots_dir, &source.scope)?;
        older.source = self.source.clone();
        Ok(older)
    }

    /// The environments `scope` asks for that no target of this commit has.
    pub fn environments_missing<'a>(&self, scope: &'a Scope) -> Vec<&'a str> {
        let wanted = scope.environments.iter().flatten();
        wanted
            .filter(|env| {
                !self.names().any(|key| {
                    crate::desired::TargetKey::parse(key).environment() == Some(env.as_str())
                })
            })
            .map(String::as_str)
            .collect()
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
            source: self.source.clone(),
        }
    }

    /// The folders whose desired state differs from `previous` (their files,
    /// `bot.toml`, or anything they inherit, as read): new folders, and every
    /// folder when there is no previous commit. Only these need a pass at
    /// once when the branch moves; the others wait for their resync.
    pub fn changed_since<'a>(&'a self, previous: Option<&Snapshot>) -> Vec<&'a str> {
        self.bots
            .iter()
            .filter(|(name, entry)| previous.and_then(|p| p.bots.get(*name)) != Some(*entry))
            .map(|(name, _)| name.as_str())
            .collect()
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

/// `commit` and its first parents, newest first.
fn first_parents(repo: &Repository, commit: CommitId) -> Result<Vec<CommitId>, RepoError> {
    let mut history = Vec::new();
    let mut at = Some(repo.find_commit(commit.to_oid())?);
    while let Some(current) = at.take() {
        history.push(CommitId::from_oid(current.id()));
        if history.len() >= PROMOTION_DEPTH {
            break;
        }
        at = current.parents().next();
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{BotFiles, BotName, DesiredBot, parse_settings};

    fn entry(name: &str, definition: &str) -> (String, BotEntry) {
        let bot = DesiredBot {
            name: BotName::parse(name).unwrap(),
            settings: parse_settings("bot.toml", b"bot_name = \"x\"").unwrap(),
            files: BotFiles {
                definition: definition.as_bytes().to_vec(),
                ..BotFiles::default()
            },
            variables: Default::default(),
            target: Default::default(),
            suites: Vec::new(),
        };
        (name.to_owned(), Ok(bot))
    }

    fn snapshot(n: u8, bots: &[(&str, &str)]) -> Snapshot {
        let bots = bots.iter().map(|(name, def)| entry(name, def));
        Snapshot::new(CommitId::from_bytes([n; 20]), bots)
    }

    #[test]
    fn only_folders_whose_desired_state_moved_are_changed() {
        let old = snapshot(1, &[("a", "{}"), ("b", "{}"), ("gone", "{}")]);
        let new = snapshot(2, &[("a", "{}"), ("b", "{\"x\":1}"), ("new", "{}")]);
        assert_eq!(new.changed_since(Some(&old)), ["b", "new"]);
        assert_eq!(new.changed_since(Some(&new)), Vec::<&str>::new());
        assert_eq!(new.changed_since(None), ["a", "b", "new"]);
    }
}
