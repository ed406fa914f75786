//! The daemon killed (SIGKILL) while a job of each phase runs, then started
//! again: the bot converges, with no second import and no second publish.

use serde_json::{Value, json};

use super::world::World;
use super::world::{count as n, counters};
use crate::commands::kore_gitops;
use crate::support::process::DaemonProcess;

/// Kills the daemon once the platform has accepted a `hold` call for `bot`.
async fn kill_during(world: &World, daemon: DaemonProcess, bot: &str, hold: &str) {
    if world.step_jobs_until_accepted(bot, hold).await {
        daemon.kill();
        return;
    }
    let requests = world.control.inspect("/requests").await;
    panic!(
        "no {hold} call within 12 s; daemon log:\n{}\nrequests: {requests}",
        daemon.log()
    );
}

/// Runs the daemon, commits a change, kills the daemon (SIGKILL) while
/// `hold` runs for that bot, lets the platform finish what it started, then
/// runs the binary again (`sync`) on the same state folder. Returns the
/// simulator's view of the changed bot.
async fn crash_and_restart(hold: &str) -> Value {
    let world = World::start().await;
    world.fault("/jobs/mode", json!({"mode": "manual"})).await;
    let log = world.work.with_file_name("daemon.log");
    let daemon = DaemonProcess::start(&world.config, log);
    let sentence = format!("changed before a crash in {hold}");
    world.commit_definition("travel-desk", "a change the crash interrupts", |d| {
        d["sentences"][0]["sentence"] = sentence.clone().into();
    });
    kill_during(&world, daemon, "travel-desk", hold).await;
    // The platform finishes the job the dead daemon started.
    world.fault("/jobs/step", json!({})).await;
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;

    let config = world.config.to_str().unwrap();
    let restart = kore_gitops(&world.work, &["sync", "--config", config]).await;
    assert_eq!(restart.code, 0, "{}", restart.all());
    let bot = world.bot("travel-desk").await;
    assert_eq!(bot["dev_digest"], bot["published_digest"], "{bot}");
    let comment = bot["last_version_comment"].as_str().unwrap();
    assert!(comment.contains("utterances: +1"), "{comment}");
    let id = &world.sim.credentials.bot("travel-desk").id;
    let published: Value = world
        .control
        .inspect(&format!("/bots/{id}/definition?copy=published"))
        .await;
    assert_eq!(published["sentences"][0]["sentence"], sentence.as_str());
    assert_eq!(n(&world.bot("it-helpdesk").await, "imports"), 0);
    bot
}

/// Kills the daemon while `hold` runs for the changed bot, restarts, and
/// checks the bot was imported, trained and published exactly once.
async fn converges_once_after_a_kill_during(hold: &str) {
    let bot = crash_and_restart(hold).await;
    let counters = counters(&bot);
    assert_eq!(counters, (1, 1, 1), "killed during {hold}: {bot}");
}

#[tokio::test]
async fn killed_while_exporting_it_converges() {
    converges_once_after_a_kill_during("export").await;
}

#[tokio::test]
async fn killed_after_uploading_it_imports_once() {
    converges_once_after_a_kill_during("upload").await;
}

#[tokio::test]
async fn killed_while_importing_it_resumes_at_training() {
    converges_once_after_a_kill_during("import").await;
}

#[tokio::test]
async fn killed_while_training_it_publishes_without_retraining() {
    converges_once_after_a_kill_during("train").await;
}

#[tokio::test]
async fn killed_while_publishing_it_publishes_nothing_more() {
    converges_once_after_a_kill_during("publish").await;
}
