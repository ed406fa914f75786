//! A commit's apply overtaken by a later commit while it waits on a job: the
//! older commit's note stops saying "waiting on …" and says what became of
//! the job and which commit took over; a target gone from the later commit
//! keeps no waiting apply, and its job is not looked at or acted on again.

use std::time::{Duration, Instant};

use kore_gitops::status::{BotStatus, Note, Phase};
use serde_json::json;

use super::daemon::{Running, entry, phase_of};
use super::requeue::{accepted, one_worker_manual_jobs, step_bot, summary, trigger};
use super::world::{World, counters};
use crate::support::git::git;

/// `bot`'s section of the note on `commit`, as the remote holds it.
fn section(world: &World, commit: &str, bot: &str) -> Option<BotStatus> {
    let args = ["log", "-1", "--notes=kore-gitops", "--format=%N", commit];
    Note::section(&git(&world.remote, &args), bot)
        .ok()
        .flatten()
}

/// Waits (at most 20 s) until `bot`'s section on `commit` satisfies `check`;
/// with `poke`, asks the daemon for a pass of `bot` now and then meanwhile.
pub(super) async fn until_section(
    world: &World,
    commit: &str,
    bot: &str,
    poke: Option<&Running>,
    check: impl Fn(&BotStatus) -> bool,
) -> BotStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    for round in 0.. {
        let found = section(world, commit, bot);
        if let Some(found) = found.filter(|s| check(s)) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "the section of {bot} on {commit}: {:?}",
            section(world, commit, bot)
        );
        if let Some(daemon) = poke.filter(|_| round % 10 == 9) {
            let _ = trigger(daemon, bot).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    unreachable!()
}

fn waits_on_its_import(s: &BotStatus) -> bool {
    s.phase == Phase::Importing && s.summary.contains("waiting on the import job")
}

/// travel-desk changed at a commit whose import the simulator holds; the
/// commit, once its note says it waits on that import.
pub(super) async fn commit_with_import_held(world: &World) -> String {
    world.commit_definition("travel-desk", "a first change", |d| {
        d["sentences"][0]["sentence"] = "first content".into();
    });
    let first = world.head();
    assert!(
        world
            .step_jobs_until_accepted("travel-desk", "import")
            .await
    );
    until_section(world, &first, "travel-desk", None, waits_on_its_import).await;
    first
}

/// A second change to travel-desk on top of a commit whose import is held;
/// the second commit, once its pass waits on that import.
pub(super) async fn commit_on_top_of_the_held_import(world: &World, daemon: &Running) -> String {
    world.commit_definition("travel-desk", "a second change on top", |d| {
        d["sentences"][0]["sentence"] = "second content".into();
    });
    let second = world.head();
    daemon
        .until_status("the new commit waiting on the old import", |s| {
            at(s, &second) && summary(s, "travel-desk").contains("previous content")
        })
        .await;
    second
}

/// Lets the held import end, jobs instant from now on, and asks for a pass.
pub(super) async fn release_the_held_import(world: &World, daemon: &Running) {
    step_bot(world, "travel-desk").await;
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    let _ = trigger(daemon, "travel-desk").await;
}

/// Lets the held import end and returns the section of `first` once it is
/// no longer Importing.
pub(super) async fn end_the_held_import(world: &World, daemon: &Running, first: &str) -> BotStatus {
    release_the_held_import(world, daemon).await;
    until_section(world, first, "travel-desk", Some(daemon), |s| {
        s.phase != Phase::Importing
    })
    .await
}

/// Waits until travel-desk is Synced at `commit` (`/status`).
pub(super) async fn until_synced_at(daemon: &Running, commit: &str) {
    daemon
        .until_status("travel-desk synced at the later commit", |s| {
            at(s, commit) && phase_of(s, "travel-desk") == Some("Synced")
        })
        .await;
}

pub(super) fn at(status: &serde_json::Value, commit: &str) -> bool {
    let at = entry(status, "travel-desk")["commit"].as_str();
    at.is_some_and(|c| commit.starts_with(c))
}

#[tokio::test]
async fn an_older_commits_note_stops_waiting_once_its_job_ends_and_names_the_commit_that_took_over()
{
    let (world, daemon) = one_worker_manual_jobs().await;
    let first = commit_with_import_held(&world).await;
    let second = commit_on_top_of_the_held_import(&world, &daemon).await;
    // While the job runs, the first commit's apply does wait on it.
    let waiting = section(&world, &first, "travel-desk").unwrap();
    assert!(waits_on_its_import(&waiting), "{waiting:?}");

    let old = end_the_held_import(&world, &daemon, &first).await;
    assert_eq!(old.phase, Phase::Superseded, "{old:?}");
    assert!(!old.summary.contains("waiting on"), "{}", old.summary);
    let by = format!("superseded by commit {}", &second[..12]);
    assert!(old.summary.contains(&by), "{}", old.summary);
    assert!(
        old.summary
            .contains("ended: imported; not trained or published"),
        "{}",
        old.summary
    );
    assert_eq!(old.jobs.get("import"), waiting.jobs.get("import"));
    until_synced_at(&daemon, &second).await;
    assert_eq!(counters(&world.bot("travel-desk").await), (2, 1, 1));
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn an_older_commits_note_says_its_job_failed_after_a_later_commit_took_over() {
    let (world, daemon) = one_worker_manual_jobs().await;
    let failure = json!({"kind": "import", "message": "the archive was refused"});
    world.fault("/job-failures", failure).await;
    let first = commit_with_import_held(&world).await;
    let second = commit_on_top_of_the_held_import(&world, &daemon).await;
    let old = end_the_held_import(&world, &daemon, &first).await;
    assert_eq!(old.phase, Phase::Superseded, "{old:?}");
    assert!(
        old.summary.contains(&second[..12]) && old.summary.contains("failed; nothing more"),
        "{}",
        old.summary
    );
    let error = old.error.as_deref().unwrap_or_default();
    assert!(error.contains("the archive was refused"), "{error}");
    until_synced_at(&daemon, &second).await;
    assert_eq!(counters(&world.bot("travel-desk").await), (2, 1, 1));
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_later_commit_with_the_same_definition_takes_the_apply_over_and_the_older_note_says_so() {
    let (world, daemon) = one_worker_manual_jobs().await;
    let first = commit_with_import_held(&world).await;
    std::fs::write(world.work.join("CHANGELOG.md"), "a note for people\n").unwrap();
    world.commit_all("a commit that changes no bot");
    let second = world.head();
    let old = until_section(&world, &first, "travel-desk", Some(&daemon), |s| {
        s.phase != Phase::Importing
    })
    .await;
    assert_eq!(old.phase, Phase::Superseded, "{old:?}");
    let by = format!("superseded by commit {}", &second[..12]);
    assert!(old.summary.contains(&by), "{}", old.summary);
    assert!(
        old.summary.contains("the apply goes on there"),
        "{}",
        old.summary
    );

    release_the_held_import(&world, &daemon).await;
    until_synced_at(&daemon, &second).await;
    // One import: the apply went on from the job, at the later commit.
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 1));
    let old = section(&world, &first, "travel-desk").unwrap();
    assert_eq!(
        old.phase,
        Phase::Superseded,
        "never Synced at the first commit"
    );
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_target_removed_while_its_import_runs_is_left_alone_and_its_note_says_so() {
    let (world, daemon) = one_worker_manual_jobs().await;
    let first = commit_with_import_held(&world).await;
    std::fs::remove_dir_all(world.work.join("bots/travel-desk")).unwrap();
    world.commit_all("travel-desk is no longer managed here");
    let second = world.head();
    let old = until_section(&world, &first, "travel-desk", None, |s| {
        s.phase != Phase::Importing
    })
    .await;
    assert_eq!(old.phase, Phase::Superseded, "{old:?}");
    let by = format!("superseded by commit {}", &second[..12]);
    assert!(old.summary.contains(&by), "{}", old.summary);
    assert!(
        old.summary.contains("no longer holds the target")
            && old.summary.contains("was not looked at again"),
        "{}",
        old.summary
    );
    // The job ends; nothing looks at it or goes on from it.
    let looks = accepted(&world, "travel-desk", "import_status").await;
    step_bot(&world, "travel-desk").await;
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    let _ = trigger(&daemon, "it-helpdesk").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        accepted(&world, "travel-desk", "import_status").await,
        looks
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 0, 0));
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}
