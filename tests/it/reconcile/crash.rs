//! The daemon killed (SIGKILL) while a job of each phase runs, then started
//! again: the bot converges, with no second import and no second publish.

use std::time::Duration;

use serde_json::{Value, json};

use super::world::World;
use crate::support::process::DaemonProcess;

/// Steps every pending job except those of `hold`, until the daemon has
/// started a `hold` job for `bot`; then kills it.
async fn kill_during(world: &World, daemon: DaemonProcess, bot: &str, hold: &str) {
    let id = world.sim.credentials.bot(bot).id.clone();
    for _ in 0..600 {
        let log: Value = world.control.inspect("/requests").await;
        let started = log.as_array().unwrap().iter().any(|entry| {
            entry["endpoint"] == hold && entry["bot"] == id.as_str() && entry["status"] == 200
        });
        if started {
            daemon.kill();
            return;
        }
        for kind in ["export", "import", "train", "publish"]
            .into_iter()
            .filter(|k| *k != hold)
        {
            world.fault("/jobs/step", json!({"kind": kind})).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let requests = world.control.inspect("/requests").await;
    panic!("no {hold} job within 12 s; daemon log:\n{}\nrequests: {requests}", daemon.log());
}

fn n(bot: &Value, key: &str) -> u64 {
    bot[key].as_u64().unwrap()
}

async fn crash_and_restart(hold: &str) -> Value {
    let world = World::start().await;
    world.fault("/jobs/mode", json!({"mode": "manual"})).await;
    let log = tempfile::NamedTempFile::new()
        .unwrap()
        .into_temp_path()
        .to_path_buf();
    let daemon = DaemonProcess::start(&world.config, log);
    world.commit_definition("travel-desk", "a change the crash interrupts", |d| {
        d["sentences"][0]["sentence"] = format!("changed before a crash in {hold}").into();
    });
    kill_during(&world, daemon, "travel-desk", hold).await;
    // The platform finishes the job the dead daemon started.
    world.fault("/jobs/step", json!({})).await;
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;

    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(
        status.phase,
        kore_gitops::status::Phase::Synced,
        "{status:?}"
    );
    let bot = world.bot("travel-desk").await;
    assert_eq!(bot["dev_digest"], bot["published_digest"], "{bot}");
    assert_eq!(n(&world.bot("it-helpdesk").await, "imports"), 0);
    bot
}

#[tokio::test]
async fn killed_while_importing_it_resumes_at_training() {
    let bot = crash_and_restart("import").await;
    assert_eq!(
        (
            n(&bot, "imports"),
            n(&bot, "trainings"),
            n(&bot, "publishes")
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn killed_while_training_it_publishes_without_retraining() {
    let bot = crash_and_restart("train").await;
    assert_eq!(
        (
            n(&bot, "imports"),
            n(&bot, "trainings"),
            n(&bot, "publishes")
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn killed_while_publishing_it_publishes_nothing_more() {
    let bot = crash_and_restart("publish").await;
    assert_eq!(
        (
            n(&bot, "imports"),
            n(&bot, "trainings"),
            n(&bot, "publishes")
        ),
        (1, 1, 1)
    );
}
