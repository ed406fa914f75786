//! The commit status of an apply overtaken by a later commit: once the older
//! commit's note says Superseded, its status on the git host stops saying
//! "applying" and says, in the host's own word for a cancelled run, which
//! commit took over and what the job ended as; once, and a restart does not
//! bring "applying" back. The later commit's status reaches success.

use std::time::{Duration, Instant};

use kore_gitops::status::Phase;
use serde_json::json;

use super::daemon::start_with;
use super::requeue::{one_worker_manual_jobs_in, trigger};
use super::statuses::{TOKEN, configure, field};
use super::superseded::{
    commit_on_top_of_the_held_import, commit_with_import_held, end_the_held_import,
    release_the_held_import, until_synced_at,
};
use super::world::World;
use crate::support::git_host::{FakeHost, Recorded};
use crate::support::logs::capture;

/// The statuses `host` received for `commit`.
fn on(host: &FakeHost, commit: &str) -> Vec<Recorded> {
    let requests = host.requests().into_iter();
    requests.filter(|r| r.path.contains(commit)).collect()
}

/// Waits (at most 20 s) until the last status on `commit` is in `state`.
async fn until_last_state(host: &FakeHost, commit: &str, state: &str) -> Vec<Recorded> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let statuses = on(host, commit);
        if statuses.last().is_some_and(|r| field(r, "state") == state) {
            return statuses;
        }
        assert!(Instant::now() < deadline, "{commit}: {statuses:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How the test goes.
struct Case {
    provider: &'static str,
    /// A's pending, A's superseded and B's final state, as the host spells them.
    states: [&'static str; 3],
    /// Whether A's import job fails (with "the archive was refused").
    job_fails: bool,
    /// Whether a restarted daemon is checked to post nothing more on A.
    restart: bool,
}

/// Commit A's import held, commit B lands, A's job ends: A's status goes
/// from applying to superseded naming B and what the job ended as, B's
/// reaches its final state.
async fn an_overtaken_apply_ends_its_status(case: Case) {
    let Case {
        provider,
        states,
        job_fails,
        restart,
    } = case;
    let (logs, guard) = capture();
    let world = World::start().await;
    let host = FakeHost::start().await;
    configure(&world, provider, &host);
    let (world, daemon) = one_worker_manual_jobs_in(world).await;
    if job_fails {
        let failure = json!({"kind": "import", "message": "the archive was refused"});
        world.fault("/job-failures", failure).await;
    }
    let first = commit_with_import_held(&world).await;
    until_last_state(&host, &first, states[0]).await;
    let second = commit_on_top_of_the_held_import(&world, &daemon).await;
    // While the job runs, A's status still says it is being applied.
    assert_eq!(on(&host, &first).len(), 1, "{:#?}", on(&host, &first));

    let old = end_the_held_import(&world, &daemon, &first).await;
    assert_eq!(old.phase, Phase::Superseded, "{old:?}");
    let old = until_last_state(&host, &first, states[1]).await;
    let said = field(old.last().unwrap(), "description");
    assert!(
        said.starts_with(&format!("superseded by commit {}", &second[..12])),
        "{provider}: {said}"
    );
    let ended = match job_fails {
        true => ": import job failed: status \"failed\"",
        false => "import job … ended: imported; not trained or published",
    };
    assert!(said.contains(ended), "{provider}: {said}");
    if job_fails {
        assert!(said.contains("the archive was refused"), "{said}");
    }
    assert!(said.chars().count() <= 140, "{said}");
    until_synced_at(&daemon, &second).await;
    until_last_state(&host, &second, states[2]).await;
    // Once: the passes at B post nothing more on A.
    let _ = trigger(&daemon, "travel-desk").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(on(&host, &first).len(), 2, "{:#?}", on(&host, &first));
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
    drop(guard);
    // The log says it once, naming both commits; the token never.
    let text = logs.text();
    let said: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("an apply was superseded by a later commit"))
        .collect();
    assert_eq!(said.len(), 1, "{said:#?}");
    assert!(
        said[0].contains(&first) && said[0].contains(&second),
        "{}",
        said[0]
    );
    assert!(!text.contains(TOKEN), "the token leaked into the log");
    if restart {
        let daemon = start_with(world.load_config()).await;
        daemon.until_both_synced().await;
        let _ = trigger(&daemon, "travel-desk").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = on(&host, &first);
        assert_eq!(after.len(), 2, "a restart posted on A again: {after:#?}");
        daemon.stop.notify_one();
        daemon.done.await.unwrap();
    }
}

#[tokio::test]
async fn github_an_overtaken_apply_ends_as_an_error_naming_the_commit_that_took_over() {
    an_overtaken_apply_ends_its_status(Case {
        provider: "github",
        states: ["pending", "error", "success"],
        job_fails: false,
        restart: true,
    })
    .await;
}

#[tokio::test]
async fn gitlab_an_overtaken_apply_is_canceled_naming_the_commit_that_took_over() {
    an_overtaken_apply_ends_its_status(Case {
        provider: "gitlab",
        states: ["running", "canceled", "success"],
        job_fails: false,
        restart: false,
    })
    .await;
}

#[tokio::test]
async fn bitbucket_cloud_an_overtaken_apply_whose_job_failed_is_stopped_with_the_reason() {
    an_overtaken_apply_ends_its_status(Case {
        provider: "bitbucket-cloud",
        states: ["INPROGRESS", "STOPPED", "SUCCESSFUL"],
        job_fails: true,
        restart: false,
    })
    .await;
}

#[tokio::test]
async fn gitea_an_overtaken_apply_whose_job_failed_is_a_warning_with_the_reason() {
    an_overtaken_apply_ends_its_status(Case {
        provider: "gitea",
        states: ["pending", "warning", "success"],
        job_fails: true,
        restart: false,
    })
    .await;
}

#[tokio::test]
async fn an_apply_taken_over_by_a_commit_with_the_same_definition_ends_the_older_status_only() {
    let world = World::start().await;
    let host = FakeHost::start().await;
    configure(&world, "github", &host);
    let (world, daemon) = one_worker_manual_jobs_in(world).await;
    let first = commit_with_import_held(&world).await;
    until_last_state(&host, &first, "pending").await;
    std::fs::write(world.work.join("CHANGELOG.md"), "a note for people\n").unwrap();
    world.commit_all("a commit that changes no bot");
    let second = world.head();
    let old = until_last_state(&host, &first, "error").await;
    let said = field(old.last().unwrap(), "description");
    assert!(
        said.starts_with(&format!("superseded by commit {}", &second[..12]))
            && said.contains("the apply goes on there"),
        "{said}"
    );

    release_the_held_import(&world, &daemon).await;
    until_synced_at(&daemon, &second).await;
    // The apply went on at B, which is the commit verified.
    until_last_state(&host, &second, "success").await;
    let states: Vec<String> = on(&host, &first)
        .iter()
        .map(|r| field(r, "state").to_owned())
        .collect();
    assert_eq!(states, ["pending", "error"], "never success on A");
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_target_removed_while_its_import_runs_ends_its_status_at_once() {
    let world = World::start().await;
    let host = FakeHost::start().await;
    configure(&world, "gitlab", &host);
    let (world, daemon) = one_worker_manual_jobs_in(world).await;
    let first = commit_with_import_held(&world).await;
    until_last_state(&host, &first, "running").await;
    std::fs::remove_dir_all(world.work.join("bots/travel-desk")).unwrap();
    world.commit_all("travel-desk is no longer managed here");
    let second = world.head();
    let old = until_last_state(&host, &first, "canceled").await;
    let said = field(old.last().unwrap(), "description");
    assert!(
        said.starts_with(&format!("superseded by commit {}", &second[..12]))
            && said.contains(": import job not looked at again: that commit no longer holds"),
        "{said}"
    );
    // Nothing for a target the later commit does not hold.
    assert!(on(&host, &second).is_empty(), "{:#?}", on(&host, &second));
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}
