//! Watching for people while a pass applies a commit: a designer may save the
//! bot in the web UI between the import and the publish, and a publish takes
//! whatever the in-development copy holds at that moment. The change log is
//! read at the start of an apply (the mark) and before and after the
//! publish; an entry that may have changed the in-development copy costs an
//! export, and what that export shows decides: never publish what was not
//! verified, and never say the live bot is the commit when it is not.

use crate::ids::BotId;
use crate::platform::{ChangeMark, PlatformClient, PlatformError};

/// The change log as the apply last read it.
#[derive(Debug)]
pub struct EditGuard {
    /// `None`: the platform has no change log for this app; every check then
    /// says "maybe changed", and an export decides.
    mark: Option<ChangeMark>,
    /// Entries of the apply's own import (`resourceId` = its request id).
    own: Vec<String>,
}

#[cfg(test)]
impl EditGuard {
    /// A guard with no change log (for tests of what holds an apply).
    pub fn without_change_log() -> EditGuard {
        EditGuard {
            mark: None,
            own: Vec::new(),
        }
    }
}

impl EditGuard {
    /// Marks the change log now, or starts from `mark` (taken before an
    /// import whose answer was lost, so that its completion is seen as new).
    pub async fn start(
        platform: &PlatformClient,
        bot: &BotId,
        mark: Option<ChangeMark>,
    ) -> Result<EditGuard, PlatformError> {
        let mark = match mark {
            Some(mark) => Some(mark),
            None => platform.change_mark(bot).await?,
        };
        Ok(EditGuard {
            mark,
            own: Vec::new(),
        })
    }

    /// The mark, for an import sent at most once.
    pub fn mark(&self) -> Option<&ChangeMark> {
        self.mark.as_ref()
    }

    /// Whether the apply imported (see [`EditGuard::own_import`]).
    pub fn imported(&self) -> bool {
        !self.own.is_empty()
    }

    /// The apply's own import: its entry is no one else's edit.
    pub fn own_import(&mut self, request: &str) {
        self.own.push(request.to_owned());
    }

    /// Whether something may have changed the in-development copy since the
    /// last check (without a change log: maybe, so yes); the mark moves on.
    pub async fn changed(
        &mut self,
        platform: &PlatformClient,
        bot: &BotId,
    ) -> Result<bool, PlatformError> {
        Ok(self.read(platform, bot).await?.unwrap_or(true))
    }

    /// Whether the change log shows someone else's edit since the last check
    /// (without a change log: no one is known to have edited).
    pub async fn shows_edit(
        &mut self,
        platform: &PlatformClient,
        bot: &BotId,
    ) -> Result<bool, PlatformError> {
        Ok(self.read(platform, bot).await?.unwrap_or(false))
    }

    /// `None` when there is no change log to read.
    async fn read(
        &mut self,
        platform: &PlatformClient,
        bot: &BotId,
    ) -> Result<Option<bool>, PlatformError> {
        let Some(mark) = &mut self.mark else {
            return Ok(None);
        };
        let Some(entries) = platform.recent_changes(bot).await? else {
            return Ok(None);
        };
        let new = mark.since(&entries);
        let changed = new
            .iter()
            .any(|e| e.may_change_development() && !self.own.contains(&e.resource_id));
        mark.extend(new);
        Ok(Some(changed))
    }
}
