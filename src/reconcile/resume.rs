//! The verifications of in-sync bots, kept in the state folder
//! (`verified.json`), so that a restarted daemon resumes cheap resyncs
//! instead of exporting every bot again. Only what a change log check needs:
//! the live bot, the commit and digest verified, the change-log entries seen
//! (ids only: entries carry a person's name), and when a full pass is due.
//! A missing or unreadable file means full passes, never a wrong trust.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::platform::ChangeMark;

use super::bookkeeping::Verified;

/// The file in the state folder.
pub const FILE: &str = "verified.json";

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    bot_id: String,
    commit: String,
    desired: String,
    mark: Vec<String>,
    full_due: DateTime<Utc>,
}

fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE)
}

/// Writes `verified` (blocking), through a temporary file and a rename so
/// that a crash never leaves half a file.
pub fn save(state_dir: &Path, verified: &HashMap<String, Verified>) -> std::io::Result<()> {
    let (now, wall) = (Instant::now(), Utc::now());
    let saved: HashMap<&str, Saved> = verified
        .iter()
        .map(|(bot, v)| {
            let left = v.full_due.saturating_duration_since(now);
            let full_due = wall + chrono::Duration::from_std(left).unwrap_or_default();
            let saved = Saved {
                bot_id: v.bot.to_string(),
                commit: v.commit.to_string(),
                desired: v.desired.to_string(),
                mark: v.mark.ids().map(str::to_owned).collect(),
                full_due,
            };
            (bot.as_str(), saved)
        })
        .collect();
    let text = serde_json::to_vec(&saved).map_err(std::io::Error::other)?;
    let temporary = state_dir.join(format!("{FILE}.tmp"));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path(state_dir))
}

/// The verifications an earlier run saved, those whose full pass is not yet
/// due (blocking). Anything unreadable is left out, with a warning.
pub fn load(state_dir: &Path) -> HashMap<String, Verified> {
    let text = match std::fs::read(path(state_dir)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return HashMap::new(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read {FILE}: every bot gets a full pass");
            return HashMap::new();
        }
    };
    let saved: HashMap<String, Saved> = match serde_json::from_slice(&text) {
        Ok(saved) => saved,
        Err(e) => {
            tracing::warn!(error = %e, "{FILE} is not readable: every bot gets a full pass");
            return HashMap::new();
        }
    };
    let (now, wall) = (Instant::now(), Utc::now());
    saved
        .into_iter()
        .filter_map(|(bot, s)| {
            let left = (s.full_due - wall).to_std().ok()?;
            let verified = Verified {
                bot: s.bot_id.parse().ok()?,
                commit: s.commit.parse().ok()?,
                desired: s.desired.parse().ok()?,
                mark: ChangeMark::from_ids(s.mark),
                full_due: now + left,
            };
            Some((bot, verified))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ids::{CommitId, Digest};

    #[tokio::test]
    async fn verifications_survive_a_restart_and_expired_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let verified = |due: Duration| Verified {
            bot: "st-00000000-0000-0000-0000-00000000000a".parse().unwrap(),
            commit: CommitId::from_bytes([1; 20]),
            desired: Digest::from_bytes([2; 32]),
            mark: ChangeMark::from_ids(["btl-1".to_owned(), "btl-2".to_owned()]),
            full_due: Instant::now() + due,
        };
        let saved = HashMap::from([
            ("a".to_owned(), verified(Duration::from_secs(3600))),
            ("b".to_owned(), verified(Duration::ZERO)),
        ]);
        save(dir.path(), &saved).unwrap();
        let loaded = load(dir.path());
        assert_eq!(
            loaded.keys().collect::<Vec<_>>(),
            ["a"],
            "b's full pass is due"
        );
        let a = &loaded["a"];
        assert_eq!(
            (a.commit, a.desired),
            (saved["a"].commit, saved["a"].desired)
        );
        assert_eq!(a.mark, saved["a"].mark);
        assert!(a.full_due > Instant::now() + Duration::from_secs(3500));
        std::fs::write(dir.path().join(FILE), "{not json").unwrap();
        assert!(load(dir.path()).is_empty());
    }
}
