//! The repository at one commit: every bot folder, read once per commit and
//! shared by that commit's passes.

use std::collections::BTreeMap;
use std::path::Path;

use git2::Repository;

use crate::desired::{BotEntry, RepoError, read_commit};
use crate::ids::CommitId;

/// The bot folders at a commit, by folder name.
#[derive(Debug)]
pub struct Snapshot {
    /// The commit.
    pub commit: CommitId,
    /// Each folder: a bot, or why it is not one.
    pub bots: BTreeMap<String, BotEntry>,
}

impl Snapshot {
    /// Reads `bots_dir` at `commit` from the repository at `repo` (blocking).
    pub fn read(repo: &Path, commit: CommitId, bots_dir: &str) -> Result<Snapshot, RepoError> {
        let repo = Repository::open(repo)?;
        let entries = read_commit(&repo, commit.to_oid(), bots_dir)?;
        let bots = entries
            .into_iter()
            .map(|entry| {
                let name = match &entry {
                    Ok(bot) => bot.name.as_str().to_owned(),
                    Err(e) => e.folder.clone(),
                };
                (name, entry)
            })
            .collect();
        Ok(Snapshot { commit, bots })
    }

    /// The folder names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.bots.keys().map(String::as_str)
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
            suites: Vec::new(),
        };
        (name.to_owned(), Ok(bot))
    }

    fn snapshot(n: u8, bots: &[(&str, &str)]) -> Snapshot {
        Snapshot {
            commit: CommitId::from_bytes([n; 20]),
            bots: bots.iter().map(|(name, def)| entry(name, def)).collect(),
        }
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
