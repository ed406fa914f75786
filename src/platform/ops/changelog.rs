//! The bot's change log: the cheap way to learn that something changed a bot
//! (an import completed, a designer saved a dialog) without an export.
//!
//! Entries carry `userId` with a person's name and e-mail: it is never
//! deserialised, kept or logged.

use std::collections::BTreeSet;

use reqwest::Method;
use serde::Deserialize;

use crate::ids::BotId;
use crate::platform::PlatformClient;
use crate::platform::error::{Operation, PlatformError};

use super::design_call;

/// The largest page the platform serves.
const PAGE_SIZE: u32 = 50;
/// A bound on pages read, against a log that always fills its pages.
const MAX_PAGES: u32 = 20;

/// One entry (without `userId`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeLogEntry {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub resource_id: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub created_on: String,
}

impl ChangeLogEntry {
    /// A completed import (`resourceType` `Import`, `resourceId` its `bir-…`).
    pub fn is_import(&self) -> bool {
        self.resource_type.eq_ignore_ascii_case("import")
    }

    /// Whether the entry may stand for a change of the in-development copy.
    /// Only what is known to change nothing there is excluded (trainings,
    /// publishes, variable exports): an entry of a kind never seen counts as a
    /// change, so a new kind of edit costs an export, never a wrong publish.
    pub fn may_change_development(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        let harmless = message.starts_with("trained ml")
            || message.contains("publish")
            || message.contains("variables are exported");
        !harmless
    }
}

/// What the change log held at one moment: the entries since yesterday (by
/// the platform's dates), by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeMark {
    seen: BTreeSet<String>,
}

impl ChangeMark {
    /// The entries of `now` that were not there at the mark, oldest first.
    pub fn since<'a>(&self, now: &'a [ChangeLogEntry]) -> Vec<&'a ChangeLogEntry> {
        now.iter().filter(|e| !self.seen.contains(&e.id)).collect()
    }

    /// Adds entries to the mark (e.g. the daemon's own import).
    pub fn extend<'a>(&mut self, entries: impl IntoIterator<Item = &'a ChangeLogEntry>) {
        self.seen.extend(entries.into_iter().map(|e| e.id.clone()));
    }

    /// The ids of the entries seen, to keep the mark across a restart.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.seen.iter().map(String::as_str)
    }

    /// A mark of the entries with these ids (see [`ChangeMark::ids`]).
    pub fn from_ids(ids: impl IntoIterator<Item = String>) -> ChangeMark {
        ChangeMark {
            seen: ids.into_iter().collect(),
        }
    }
}

impl PlatformClient {
    /// The entries of `bot`'s change log from yesterday on (UTC dates, so
    /// that a platform clock a little ahead or behind still falls inside),
    /// oldest first. `None` when the platform has no change log for this app
    /// (404 or 403), or more entries than [`MAX_PAGES`] pages hold (the
    /// newest could be among those not read): callers then fall back to an
    /// export.
    pub async fn recent_changes(
        &self,
        bot: &BotId,
    ) -> Result<Option<Vec<ChangeLogEntry>>, PlatformError> {
        let since = (chrono::Utc::now() - chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string();
        let mut entries = Vec::new();
        let mut complete = false;
        for page in 0..MAX_PAGES {
            let mut call = design_call(Operation::ChangeLog, bot, Method::GET, "/changelogs");
            call.query = vec![
                ("offset", page.to_string()),
                ("limit", PAGE_SIZE.to_string()),
                ("startDate", since.clone()),
            ];
            let batch: Vec<ChangeLogEntry> = match self.http.json(&call).await {
                Ok(batch) => batch,
                Err(e) if matches!(e.status(), Some(403 | 404)) => return Ok(None),
                Err(e) => return Err(e),
            };
            complete = batch.len() < PAGE_SIZE as usize;
            entries.extend(batch);
            if complete {
                break;
            }
        }
        if !complete {
            tracing::debug!(bot = %bot, "the change log holds more than it is read for: an export decides");
            return Ok(None);
        }
        // The documentation gives no order: sort by time, then id.
        entries.sort_by(|a, b| (&a.created_on, &a.id).cmp(&(&b.created_on, &b.id)));
        entries.dedup_by(|a, b| a.id == b.id);
        Ok(Some(entries))
    }

    /// A mark of the change log as it is now (`None`: no change log).
    pub async fn change_mark(&self, bot: &BotId) -> Result<Option<ChangeMark>, PlatformError> {
        Ok(self.recent_changes(bot).await?.map(|entries| {
            let mut mark = ChangeMark::default();
            mark.extend(&entries);
            mark
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, kind: &str, message: &str) -> ChangeLogEntry {
        ChangeLogEntry {
            id: id.into(),
            resource_id: String::new(),
            resource_type: kind.into(),
            message: message.into(),
            created_on: String::new(),
        }
    }

    #[test]
    fn only_known_harmless_entries_are_not_changes() {
        assert!(entry("1", "stream", "Bot updated").may_change_development());
        assert!(entry("2", "Dialog", "Created Dialog Greet").may_change_development());
        assert!(entry("3", "Import", "Import request completed").may_change_development());
        assert!(entry("4", "brand-new", "Something new").may_change_development());
        assert!(!entry("5", "Sentence", "Trained ML after x").may_change_development());
        assert!(!entry("6", "dialog", "Published task Greet").may_change_development());
        assert!(!entry("7", "variables", "Bot variables are exported").may_change_development());
    }

    #[test]
    fn a_mark_tells_what_came_after_it() {
        let before = [entry("a", "stream", "x"), entry("b", "Import", "y")];
        let mut mark = ChangeMark::default();
        mark.extend(&before);
        let now = [
            before[0].clone(),
            before[1].clone(),
            entry("c", "stream", "z"),
        ];
        let new: Vec<&str> = mark.since(&now).iter().map(|e| e.id.as_str()).collect();
        assert_eq!(new, ["c"]);
    }
}
