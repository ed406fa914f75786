//! Which live bot a folder means: its `bot_id`, checked against Get Bots, or
//! its `bot_name`, resolved through Get Bots.

use std::collections::HashMap;

use crate::desired::{BotTarget, folder_list};
use crate::ids::BotId;
use crate::platform::BotSummary;

/// A folder that names no live bot, or more than one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// No bot of the account has this id.
    #[error("bot.toml: bot_id {0} is not a bot of this account (Get Bots does not list it)")]
    UnknownId(BotId),
    /// No bot has this name.
    #[error("bot.toml: no bot of this account is named {0:?}")]
    UnknownName(String),
    /// Several bots have this name.
    #[error(
        "bot.toml: {count} bots of this account are named {name:?} ({ids}); use bot_id instead"
    )]
    AmbiguousName {
        /// The name.
        name: String,
        /// How many bots carry it.
        count: usize,
        /// Their ids, comma-separated.
        ids: String,
    },
    /// Several folders of the commit resolve to this one live bot: they would
    /// import their definitions in turn, forever (see [`super::targets`]).
    #[error(
        "bot.toml: the folders {} resolve to one live bot, {id} ({name:?}): one live bot takes \
         one folder's definition, so these folders are not reconciled (remove one, or point it \
         at another bot)",
        folder_list(.folders)
    )]
    Shared {
        /// The live bot.
        id: BotId,
        /// Its name on the platform.
        name: String,
        /// Every folder resolving to it, sorted.
        folders: Vec<String>,
    },
}

/// The account's live bots (what Get Bots lists), indexed by id and by name:
/// every folder of a commit is resolved against them, so a scan of the list
/// per folder would cost O(bots²) per commit.
#[derive(Debug, Default)]
pub struct LiveBots {
    by_id: HashMap<BotId, String>,
    by_name: HashMap<String, Vec<BotId>>,
}

impl LiveBots {
    /// Indexes `bots`.
    pub fn new(bots: Vec<BotSummary>) -> LiveBots {
        let mut live = LiveBots::default();
        for bot in bots {
            live.by_name
                .entry(bot.name.clone())
                .or_default()
                .push(bot.id.clone());
            live.by_id.insert(bot.id, bot.name);
        }
        live
    }

    /// How many bots the account has.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the account has no bot.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The platform name of the bot `id` (empty when unknown).
    pub fn name_of(&self, id: &BotId) -> String {
        self.by_id.get(id).cloned().unwrap_or_default()
    }

    /// Resolves `target` against the account's bots.
    pub fn resolve(&self, target: &BotTarget) -> Result<BotId, IdentityError> {
        match target {
            BotTarget::Id(id) => match self.by_id.contains_key(id) {
                true => Ok(id.clone()),
                false => Err(IdentityError::UnknownId(id.clone())),
            },
            BotTarget::Name(name) => match self.by_name.get(name).map(Vec::as_slice) {
                Some([one]) => Ok(one.clone()),
                None | Some([]) => Err(IdentityError::UnknownName(name.clone())),
                Some(many) => Err(IdentityError::AmbiguousName {
                    name: name.clone(),
                    count: many.len(),
                    ids: many
                        .iter()
                        .map(BotId::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            },
        }
    }
}

/// Resolves `target` against a list of the account's bots (for one lookup;
/// many go through [`LiveBots`]).
pub fn resolve(target: &BotTarget, bots: &[BotSummary]) -> Result<BotId, IdentityError> {
    LiveBots::new(bots.to_vec()).resolve(target)
}

impl IdentityError {
    /// Whether the folder names a bot the list does not hold: a list read
    /// before the bot was created (or re-created) would say so too.
    pub fn is_unknown(&self) -> bool {
        matches!(
            self,
            IdentityError::UnknownId(_) | IdentityError::UnknownName(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot(id: &str, name: &str) -> BotSummary {
        BotSummary {
            id: id.parse().unwrap(),
            name: name.to_owned(),
            status: None,
            default_language: None,
        }
    }

    const A: &str = "st-00000000-0000-0000-0000-00000000000a";
    const B: &str = "st-00000000-0000-0000-0000-00000000000b";
    const C: &str = "st-00000000-0000-0000-0000-00000000000c";

    #[test]
    fn ids_are_checked_and_names_resolved() {
        let bots = LiveBots::new(vec![
            bot(A, "Travel Desk"),
            bot(B, "Helpdesk"),
            bot(C, "Helpdesk"),
        ]);
        let resolve = |target: &BotTarget, bots: &LiveBots| bots.resolve(target);
        assert_eq!(
            resolve(&BotTarget::Id(A.parse().unwrap()), &bots),
            Ok(A.parse().unwrap())
        );
        assert_eq!(
            resolve(&BotTarget::Name("Travel Desk".into()), &bots),
            Ok(A.parse().unwrap())
        );
        let unknown: BotId = "st-00000000-0000-0000-0000-0000000000ff".parse().unwrap();
        assert_eq!(
            resolve(&BotTarget::Id(unknown.clone()), &bots),
            Err(IdentityError::UnknownId(unknown))
        );
        let err = resolve(&BotTarget::Name("Helpdesk".into()), &bots).unwrap_err();
        assert!(
            err.to_string()
                .contains("2 bots of this account are named \"Helpdesk\""),
            "{err}"
        );
        assert!(
            err.to_string().contains(B) && err.to_string().contains(C),
            "{err}"
        );
        assert_eq!(
            resolve(&BotTarget::Name("Nope".into()), &bots),
            Err(IdentityError::UnknownName("Nope".into()))
        );
    }
}
