//! `kore-gitops run` and stop signals: the first SIGTERM or SIGINT stops new
//! work and waits up to `shutdown_grace` for passes in flight; a second one
//! exits at once.

use std::io::Write;
use std::time::Duration;

use serde_json::json;

use super::world::World;
use crate::support::process::DaemonProcess;

/// A world whose daemon waits `grace` on a stop signal, and the daemon
/// running on it.
async fn daemon_with_grace(grace: &str) -> (World, DaemonProcess) {
    let world = World::start().await;
    // The world's configuration ends in its [daemon] section.
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(&world.config)
        .unwrap();
    writeln!(config, "shutdown_grace = {grace:?}").unwrap();
    let log = world.work.with_file_name("daemon.log");
    let daemon = DaemonProcess::start(&world.config, log);
    (world, daemon)
}

/// Waits until the daemon has logged `needle` `count` times.
async fn logged(daemon: &DaemonProcess, needle: &str, count: usize) {
    for _ in 0..500 {
        if daemon.log().matches(needle).count() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{needle:?} not logged {count} times:\n{}", daemon.log());
}

/// A pass in flight: the platform has accepted the import of a new commit of
/// travel-desk and waits to be stepped.
async fn import_in_flight(world: &World, daemon: &DaemonProcess) {
    world.fault("/jobs/mode", json!({"mode": "manual"})).await;
    world.commit_definition("travel-desk", "a change a signal interrupts", |d| {
        d["sentences"][0]["sentence"] = "changed before a stop signal".into();
    });
    let accepted = world
        .step_jobs_until_accepted("travel-desk", "import")
        .await;
    assert!(accepted, "no import started:\n{}", daemon.log());
}

#[tokio::test]
async fn an_idle_daemon_stops_at_once_on_sigint() {
    let (_world, mut daemon) = daemon_with_grace("30s").await;
    logged(&daemon, r#""message":"reconciled""#, 2).await;
    daemon.signal("INT");
    let status = daemon.exit_within(Duration::from_secs(5)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", daemon.log());
    assert!(daemon.log().contains("stop signal"), "{}", daemon.log());
}

#[tokio::test]
async fn sigterm_stops_a_pass_that_outlives_the_grace_period() {
    let (world, mut daemon) = daemon_with_grace("1s").await;
    import_in_flight(&world, &daemon).await;
    daemon.signal("TERM");
    // The import job never finishes: the pass is stopped after 1 s.
    let status = daemon.exit_within(Duration::from_secs(10)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", daemon.log());
    let log = daemon.log();
    assert!(log.contains("outlived the grace period"), "{log}");
    let bot = world.bot("travel-desk").await;
    assert_eq!(
        bot["publishes"], 0,
        "nothing published after the stop: {bot}"
    );
}

#[tokio::test]
async fn sigterm_lets_a_pass_finish_within_the_grace_period() {
    let (world, mut daemon) = daemon_with_grace("30s").await;
    import_in_flight(&world, &daemon).await;
    daemon.signal("TERM");
    logged(&daemon, "stop signal", 1).await;
    // The platform goes on: the pass in flight trains and publishes.
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    world.fault("/jobs/step", json!({})).await;
    let status = daemon.exit_within(Duration::from_secs(10)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", daemon.log());
    let bot = world.bot("travel-desk").await;
    assert_eq!(
        (&bot["imports"], &bot["trainings"], &bot["publishes"]),
        (&json!(1), &json!(1), &json!(1)),
        "{bot}"
    );
    assert!(!daemon.log().contains("outlived the grace period"));
}

#[tokio::test]
async fn a_second_signal_exits_at_once() {
    let (world, mut daemon) = daemon_with_grace("60s").await;
    import_in_flight(&world, &daemon).await;
    daemon.signal("TERM");
    logged(&daemon, "stop signal", 1).await;
    daemon.signal("TERM");
    let status = daemon.exit_within(Duration::from_secs(5)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(130), "{}", daemon.log());
    let bot = world.bot("travel-desk").await;
    assert_eq!(bot["publishes"], 0, "{bot}");
}

#[tokio::test]
async fn sighup_refuses_an_invalid_configuration_and_reloads_a_valid_one() {
    let (world, mut daemon) = daemon_with_grace("5s").await;
    logged(&daemon, r#""message":"reconciled""#, 2).await;
    let good = std::fs::read_to_string(&world.config).unwrap();

    std::fs::write(
        &world.config,
        good.replace("concurrency = 2", "concurrency = 0"),
    )
    .unwrap();
    daemon.signal("HUP");
    logged(&daemon, "the new configuration is refused", 1).await;
    assert!(daemon.log().contains("concurrency"), "{}", daemon.log());
    // Still running, on the old configuration: a commit is still applied.
    world.commit_definition("travel-desk", "a change after a refused reload", |d| {
        d["sentences"][0]["sentence"] = "applied by the running configuration".into();
    });
    logged(&daemon, "utterances", 1).await;

    std::fs::write(
        &world.config,
        good.replace("concurrency = 2", "concurrency = 3"),
    )
    .unwrap();
    let before = daemon.log().matches(r#""message":"reconciled""#).count();
    daemon.signal("HUP");
    logged(&daemon, "configuration reloaded (SIGHUP)", 1).await;
    // The restarted daemon reconciles both bots again.
    logged(&daemon, r#""message":"reconciled""#, before + 2).await;
    daemon.signal("INT");
    let status = daemon.exit_within(Duration::from_secs(10)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", daemon.log());
}
