//! Follows the daemon's passes as `/status` sees them and tells the user about
//! each: the first sync, then every pass of a new commit, with where to read
//! the note once a pass changed a bot or failed.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::read_status;
use crate::ids::CommitId;
use crate::observe::{BotReport, ObserveState};
use crate::status::{BotStatus, Phase};

use super::guide::{self, Guide, say};

/// How often the reports are looked at: well under the second a push takes
/// to be noticed.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// Tells the user about every pass until the task is dropped. `first_bots`
/// are the bots of the first commit: once each has reported, the first sync
/// is over and the user is shown how to make a change.
pub(super) async fn follow(
    observe: ObserveState,
    guide: Guide,
    remote: PathBuf,
    first_bots: Vec<String>,
) {
    let mut seen: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let mut first_commit: Option<CommitId> = None;
    let mut header: Option<CommitId> = None;
    let mut hinted: HashSet<CommitId> = HashSet::new();
    let mut commits: HashSet<CommitId> = HashSet::new();
    let mut promoted: HashSet<CommitId> = HashSet::new();
    let mut first_sync_told = false;
    let mut ticks = tokio::time::interval(LOOK_EVERY);
    loop {
        ticks.tick().await;
        for report in fresh_reports(&observe, &mut seen) {
            let Some(commit) = report.commit else {
                continue;
            };
            let first = *first_commit.get_or_insert(commit) == commit;
            // prod checked again at an older commit while staging works on
            // the new one: nothing new to tell.
            if header != Some(commit) && !commits.insert(commit) {
                continue;
            }
            if header != Some(commit) {
                header = Some(commit);
                say(&guide.commit_header(commit, first));
            }
            // An apply under way (waiting on its job) is told, but the note
            // is worth reading (and waiting for) once it ends.
            let under_way = matches!(
                report.phase,
                Phase::Importing | Phase::Training | Phase::Publishing
            );
            let note = match under_way {
                true => note_section(&remote, commit, &report.bot).await,
                false => pushed_section(&remote, commit, &report).await,
            };
            say(&guide.pass_line(&report, note.as_ref()));
            let worth_reading = report.phase == Phase::Failed
                || (!under_way && note.as_ref().is_some_and(|n| !n.jobs.is_empty()));
            if !first && worth_reading && hinted.insert(commit) {
                say(&guide.read_the_note(commit));
            }
            let prod_applied = report.bot == guide::PROMOTED && worth_reading;
            if !first && prod_applied && report.phase == Phase::Synced && promoted.insert(commit) {
                say(&guide.promoted(commit));
            }
        }
        if !first_sync_told && first_bots.iter().all(|bot| seen.contains_key(bot)) {
            first_sync_told = true;
            say(&guide.make_a_change());
        }
    }
}

/// The reports written since the last look, oldest first.
fn fresh_reports(
    observe: &ObserveState,
    seen: &mut BTreeMap<String, DateTime<Utc>>,
) -> Vec<BotReport> {
    let mut fresh: Vec<BotReport> = observe
        .reports()
        .into_iter()
        .filter(|report| seen.get(&report.bot) != Some(&report.updated))
        .collect();
    fresh.sort_by_key(|report| report.updated);
    for report in &fresh {
        seen.insert(report.bot.clone(), report.updated);
    }
    fresh
}

/// How long the demo waits for a pass's note to reach the remote: the daemon
/// writes and pushes notes in batches, at most seconds after the pass.
const NOTE_PUSH_WAIT: Duration = Duration::from_secs(10);

/// The bot's section of the note on `commit` in the remote, once it says what
/// `report` says (notes are pushed in batches, shortly after the pass): the
/// user is told to read it only when it is there. `None` when none came.
async fn pushed_section(
    remote: &std::path::Path,
    commit: CommitId,
    report: &BotReport,
) -> Option<BotStatus> {
    let deadline = tokio::time::Instant::now() + NOTE_PUSH_WAIT;
    loop {
        let section = note_section(remote, commit, &report.bot).await;
        let current = section.as_ref().is_some_and(|s| s.phase == report.phase);
        if current || tokio::time::Instant::now() >= deadline {
            return section;
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// The bot's section of the note on `commit` in the remote; `None` when there
/// is none to read.
async fn note_section(remote: &std::path::Path, commit: CommitId, bot: &str) -> Option<BotStatus> {
    let (remote, bot) = (remote.to_owned(), bot.to_owned());
    let read = tokio::task::spawn_blocking(move || read_status(&remote, &commit.to_string()));
    match read.await {
        Ok(Ok((_, Some(mut note)))) => note.bots.remove(&bot),
        Ok(Ok((_, None))) => None,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "the demo could not read the note");
            None
        }
        Err(e) => {
            tracing::debug!(error = %e, "the demo's note reader stopped");
            None
        }
    }
}
