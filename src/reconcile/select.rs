//! `--bot NAME`: which bot folders a one-shot command covers. A name matches a
//! folder by the folder's name, by its `bot.toml` `bot_name`, or by the name
//! the platform gives the live bot its `bot_id` names; a name that matches
//! nothing is an error naming the bots that exist, never a silent no-op.

use crate::desired::BotTarget;
use crate::platform::{BotSummary, PlatformError};

use super::snapshot::Snapshot;

/// Why `--bot` could not be honoured.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// Some names match no bot.
    #[error(
        "no bot matches {} (by folder, bot_name or live bot name); the bots are: {}",
        quoted(.unknown),
        .known.join(", ")
    )]
    Unknown {
        /// The names that match nothing.
        unknown: Vec<String>,
        /// The bot folders of the commit.
        known: Vec<String>,
    },
    /// Get Bots failed while looking up a live bot name.
    #[error("looking up live bot names: {0}")]
    Platform(#[from] PlatformError),
}

impl SelectError {
    /// A usage error (exit 2), as opposed to a platform failure.
    pub fn is_usage(&self) -> bool {
        matches!(self, SelectError::Unknown { .. })
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("--bot {n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The folders `wanted` selects (every folder when empty), in folder order;
/// `Err` holds the names that match nothing. `live` (Get Bots) lets a name
/// match a folder through its `bot_id`.
pub fn select(
    snapshot: &Snapshot,
    wanted: &[String],
    live: Option<&[BotSummary]>,
) -> Result<Vec<String>, Vec<String>> {
    if wanted.is_empty() {
        return Ok(snapshot.names().map(str::to_owned).collect());
    }
    let unknown: Vec<String> = wanted
        .iter()
        .filter(|name| {
            !snapshot
                .names()
                .any(|folder| matches(snapshot, folder, name, live))
        })
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    Ok(snapshot
        .names()
        .filter(|folder| wanted.iter().any(|n| matches(snapshot, folder, n, live)))
        .map(str::to_owned)
        .collect())
}

fn matches(snapshot: &Snapshot, folder: &str, name: &str, live: Option<&[BotSummary]>) -> bool {
    // A folder's name selects each of its environments (`travel-desk` is
    // `travel-desk/staging` and `travel-desk/prod`).
    if folder == name || crate::desired::TargetKey::parse(folder).folder() == name {
        return true;
    }
    let Some(Ok(bot)) = snapshot.bots.get(folder) else {
        return false;
    };
    match &bot.settings.target {
        BotTarget::Name(bot_name) => bot_name == name,
        BotTarget::Id(id) => live
            .unwrap_or_default()
            .iter()
            .any(|b| &b.id == id && b.name == name),
    }
}

/// The folder names, for [`SelectError::Unknown`].
pub(super) fn known(snapshot: &Snapshot) -> Vec<String> {
    snapshot.names().map(str::to_owned).collect()
}
