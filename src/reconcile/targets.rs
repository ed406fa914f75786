//! Which live bot every folder of a commit names, decided for all of them at
//! once. Two folders that resolve to the same live bot (one by `bot_id`, the
//! other by `bot_name`) would import their definitions in turn, forever, each
//! note saying Synced: both are refused before either pass touches the bot.
//! (The same `bot_id` or `bot_name` in two `bot.toml`s is refused earlier,
//! offline, by the reader.)
//!
//! The account's bots come from Get Bots (a page per 50 bots, under an
//! account-wide 60 calls a minute). Identities do not change with commits, so
//! the list is read once and kept across commits, shared by every pass of the
//! platform (one reader, the others wait for it). It is read again only when
//! a folder names a bot the list does not hold (the bot may be new), when a
//! bot the list holds is gone (a 404), or when it is older than the full
//! resync interval.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::desired::{DesiredBot, shared_claims};
use crate::ids::{BotId, CommitId};
use crate::platform::{PlatformClient, PlatformError};

use super::identity::{IdentityError, LiveBots};
use super::snapshot::Snapshot;

/// The live bots of the account and the folders of a commit that share one.
#[derive(Debug)]
pub struct Targets {
    live: Arc<Listed>,
    /// Folders refused because another folder resolves to the same live bot.
    shared: BTreeMap<String, IdentityError>,
}

/// One reading of Get Bots.
#[derive(Debug)]
pub struct Listed {
    bots: LiveBots,
    read_at: Instant,
}

impl Listed {
    /// The bots Get Bots listed at `read_at`.
    pub fn new(bots: LiveBots, read_at: Instant) -> Listed {
        Listed { bots, read_at }
    }
}

impl Targets {
    /// Resolves every folder of `snapshot` that a pass would act on (read and
    /// not suspended: a suspended folder never touches its bot) against `live`.
    pub fn resolve(snapshot: &Snapshot, live: Arc<Listed>) -> Targets {
        let bots = &live.bots;
        let claims = snapshot
            .bots
            .iter()
            .filter_map(|(folder, entry)| Some((folder, entry.as_ref().ok()?)))
            .filter(|(_, bot)| !bot.settings.suspend)
            .filter_map(|(folder, bot)| Some((bots.resolve(&bot.settings.target).ok()?, folder)))
            .map(|(id, folder)| (id, folder.clone()));
        let mut shared = BTreeMap::new();
        for (id, folders) in shared_claims(claims) {
            let name = bots.name_of(&id);
            for folder in &folders {
                let error = IdentityError::Shared {
                    id: id.clone(),
                    name: name.clone(),
                    folders: folders.clone(),
                };
                shared.insert(folder.clone(), error);
            }
        }
        Targets { live, shared }
    }

    /// The live bot `desired` names: refused when another folder of the
    /// commit names it too.
    pub fn of(&self, desired: &DesiredBot) -> Result<BotId, IdentityError> {
        match self.shared.get(&desired.key().to_string()) {
            Some(error) => Err(error.clone()),
            None => self.live.bots.resolve(&desired.settings.target),
        }
    }

    /// When the list these targets were resolved against was read.
    pub fn read_at(&self) -> Instant {
        self.live.read_at
    }
}

/// Filled once, by the first caller; the others wait for it.
type Slot<T> = Arc<OnceCell<Arc<T>>>;

/// The account's bots and the [`Targets`] of the current commit, shared by
/// the passes of one platform: concurrent passes wait for the one Get Bots
/// instead of each sending their own, and a new commit resolves its folders
/// against the list already read.
#[derive(Debug, Default)]
pub struct TargetCache {
    inner: Mutex<Inner>,
    /// A list older than this is read again (`None`: never for its age).
    max_age: std::sync::OnceLock<Duration>,
}

#[derive(Debug, Default)]
struct Inner {
    list: Option<Slot<Listed>>,
    targets: Option<(CommitId, Slot<Targets>)>,
}

impl TargetCache {
    /// The list is read again once it is `age` old (the full resync
    /// interval: what a full verification of every bot would cost anyway).
    pub fn set_max_age(&self, age: Duration) {
        let _ = self.max_age.set(age);
    }

    /// The targets of `snapshot`'s commit, asking Get Bots when no list is
    /// held (again after a failed ask).
    pub async fn get(
        &self,
        snapshot: &Snapshot,
        platform: &PlatformClient,
    ) -> Result<Arc<Targets>, PlatformError> {
        let list = self.list_slot();
        let listed = list
            .get_or_try_init(|| async {
                let bots = platform.list_bots().await?;
                let listed = Listed::new(LiveBots::new(bots), Instant::now());
                Ok::<_, PlatformError>(Arc::new(listed))
            })
            .await?
            .clone();
        let cell = self.targets_slot(snapshot.commit, &listed);
        let targets = cell.get_or_init(|| async { Arc::new(Targets::resolve(snapshot, listed)) });
        Ok(targets.await.clone())
    }

    /// Get Bots is read again by the next pass, unless a list read after
    /// `seen` (the one a pass found stale) is already held or on its way: the
    /// passes that found the same list stale share one new reading.
    pub fn read_again_after(&self, seen: Instant) {
        let mut inner = self.lock();
        let stale = match &inner.list {
            Some(cell) => cell.get().is_some_and(|l| l.read_at <= seen),
            None => false,
        };
        if stale {
            inner.list = None;
        }
    }

    fn list_slot(&self) -> Slot<Listed> {
        let mut inner = self.lock();
        let too_old = |listed: &Listed| {
            self.max_age
                .get()
                .is_some_and(|age| listed.read_at.elapsed() >= *age)
        };
        if let Some(cell) = &inner.list
            && cell.get().is_some_and(|l| too_old(l))
        {
            inner.list = None;
        }
        inner.list.get_or_insert_with(Default::default).clone()
    }

    fn targets_slot(&self, commit: CommitId, listed: &Arc<Listed>) -> Slot<Targets> {
        let mut inner = self.lock();
        match &inner.targets {
            Some((at, cell))
                if *at == commit && cell.get().is_none_or(|t| Arc::ptr_eq(&t.live, listed)) =>
            {
                cell.clone()
            }
            _ => {
                let cell = Slot::default();
                inner.targets = Some((commit, cell.clone()));
                cell
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{BotFiles, BotName, parse_settings};
    use crate::platform::BotSummary;

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
            variables: Default::default(),
            target: Default::default(),
            suites: Vec::new(),
        };
        (name.to_owned(), Ok(bot))
    }

    fn desired(snapshot: &Snapshot, name: &str) -> DesiredBot {
        snapshot.target(name).unwrap().unwrap()
    }

    #[test]
    fn folders_on_one_live_bot_are_refused_and_the_others_resolve() {
        let bots = [
            folder("travel", &format!("bot_id = \"{A}\"")),
            folder("travel-copy", "bot_name = \"Travel Desk\""),
            folder("parked", "bot_name = \"Travel Desk\"\nsuspend = true"),
            folder("helpdesk", "bot_name = \"Helpdesk\""),
            folder("missing", "bot_name = \"Nobody\""),
        ];
        let snapshot = Snapshot::new(CommitId::from_bytes([1; 20]), bots);
        let bots = LiveBots::new(vec![live(A, "Travel Desk"), live(B, "Helpdesk")]);
        let targets = Targets::resolve(&snapshot, Arc::new(Listed::new(bots, Instant::now())));
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
