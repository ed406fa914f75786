//! Which live bot every folder of a commit names, decided for all of them at
//! once, from one Get Bots per commit. Two folders that resolve to the same
//! live bot (one by `bot_id`, the other by `bot_name`) would import their
//! definitions in turn, forever, each note saying Synced: both are refused
//! before either pass touches the bot. (The same `bot_id` or `bot_name` in two
//! `bot.toml`s is refused earlier, offline, by the reader.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::desired::{DesiredBot, shared_claims};
use crate::ids::{BotId, CommitId};
use crate::platform::{BotSummary, PlatformClient, PlatformError};

use super::identity::{IdentityError, resolve};
use super::snapshot::Snapshot;

/// The live bots of the account and the folders of a commit that share one.
#[derive(Debug)]
pub struct Targets {
    bots: Vec<BotSummary>,
    /// Folders refused because another folder resolves to the same live bot.
    shared: BTreeMap<String, IdentityError>,
}

impl Targets {
    /// Resolves every folder of `snapshot` that a pass would act on (read and
    /// not suspended: a suspended folder never touches its bot) against `bots`.
    pub fn resolve(snapshot: &Snapshot, bots: Vec<BotSummary>) -> Targets {
        let claims = snapshot
            .bots
            .iter()
            .filter_map(|(folder, entry)| Some((folder, entry.as_ref().ok()?)))
            .filter(|(_, bot)| !bot.settings.suspend)
            .filter_map(|(folder, bot)| Some((resolve(&bot.settings.target, &bots).ok()?, folder)))
            .map(|(id, folder)| (id, folder.clone()));
        let mut shared = BTreeMap::new();
        for (id, folders) in shared_claims(claims) {
            let name = live_name(&bots, &id);
            for folder in &folders {
                let error = IdentityError::Shared {
                    id: id.clone(),
                    name: name.clone(),
                    folders: folders.clone(),
                };
                shared.insert(folder.clone(), error);
            }
        }
        Targets { bots, shared }
    }

    /// The live bot `desired` names: refused when another folder of the
    /// commit names it too.
    pub fn of(&self, desired: &DesiredBot) -> Result<BotId, IdentityError> {
        match self.shared.get(desired.name.as_str()) {
            Some(error) => Err(error.clone()),
            None => resolve(&desired.settings.target, &self.bots),
        }
    }
}

fn live_name(bots: &[BotSummary], id: &BotId) -> String {
    let bot = bots.iter().find(|b| &b.id == id);
    bot.map(|b| b.name.clone()).unwrap_or_default()
}

/// The targets of one commit, once Get Bots has answered.
type Slot = Arc<OnceCell<Arc<Targets>>>;

/// The [`Targets`] of the current commit, shared by its passes: concurrent
/// passes wait for the one Get Bots instead of each sending their own.
#[derive(Debug, Default)]
pub struct TargetCache {
    current: Mutex<Option<(CommitId, Slot)>>,
}

impl TargetCache {
    /// The targets of `snapshot`'s commit, asking Get Bots the first time
    /// (again after a failed ask).
    pub async fn get(
        &self,
        snapshot: &Snapshot,
        platform: &PlatformClient,
    ) -> Result<Arc<Targets>, PlatformError> {
        let cell = self.cell(snapshot.commit);
        let targets = cell
            .get_or_try_init(|| async {
                let bots = platform.list_bots().await?;
                Ok::<_, PlatformError>(Arc::new(Targets::resolve(snapshot, bots)))
            })
            .await?;
        Ok(targets.clone())
    }

    fn cell(&self, commit: CommitId) -> Slot {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*current {
            Some((at, cell)) if *at == commit => cell.clone(),
            _ => {
                let cell = Arc::new(OnceCell::new());
                *current = Some((commit, cell.clone()));
                cell
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{BotFiles, BotName, parse_settings};

    const A: &str = "st-00000000-0000-0000-0000-00000000000a";
    const B: &str = "st-00000000-0000-0000-0000-00000000000b";

    fn live(id: &str, name: &str) -> BotSummary {
        BotSummary {
            id: id.parse().unwrap(),
            name: name.to_owned(),
            status: None,
            default_language: None,
        }
    }

    fn folder(name: &str, settings: &str) -> (String, crate::desired::BotEntry) {
        let bot = DesiredBot {
            name: BotName::parse(name).unwrap(),
            settings: parse_settings("bot.toml", settings.as_bytes()).unwrap(),
            files: BotFiles::default(),
            suites: Vec::new(),
        };
        (name.to_owned(), Ok(bot))
    }

    fn desired(snapshot: &Snapshot, name: &str) -> DesiredBot {
        snapshot.bots[name].clone().unwrap()
    }

    #[test]
    fn folders_on_one_live_bot_are_refused_and_the_others_resolve() {
        let snapshot = Snapshot {
            commit: CommitId::from_bytes([1; 20]),
            bots: [
                folder("travel", &format!("bot_id = \"{A}\"")),
                folder("travel-copy", "bot_name = \"Travel Desk\""),
                folder("parked", "bot_name = \"Travel Desk\"\nsuspend = true"),
                folder("helpdesk", "bot_name = \"Helpdesk\""),
                folder("missing", "bot_name = \"Nobody\""),
            ]
            .into_iter()
            .collect(),
        };
        let targets =
            Targets::resolve(&snapshot, vec![live(A, "Travel Desk"), live(B, "Helpdesk")]);
        for name in ["travel", "travel-copy"] {
            let error = targets.of(&desired(&snapshot, name)).unwrap_err();
            let text = error.to_string();
            assert!(
                text.contains("the folders travel and travel-copy resolve to one live bot")
                    && text.contains(A)
                    && text.contains("\"Travel Desk\""),
                "{text}"
            );
        }
        let helpdesk = targets.of(&desired(&snapshot, "helpdesk"));
        assert_eq!(helpdesk, Ok(B.parse().unwrap()));
        assert_eq!(
            targets.of(&desired(&snapshot, "missing")),
            Err(IdentityError::UnknownName("Nobody".into()))
        );
    }
}
