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
}
