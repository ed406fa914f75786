//! What the daemon and the one-off commands say is what happened: a bot that
//! differs and was not applied is `OutOfSync` (never `Synced`), readiness is
//! about the platform and not one bot's failure, and a running pass shows its
//! phase on `/status` as it moves.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::daemon::{Running, entry, phase_of, start, start_with};
use super::world::{TRIGGER_TOKEN, World, counters};
use crate::commands::kore_gitops;

fn change(world: &World, text: &str) {
    world.commit_definition("travel-desk", "change one utterance", |d| {
        d["sentences"][0]["sentence"] = text.into();
    });
}

#[tokio::test]
async fn a_dry_run_daemon_reports_a_difference_as_out_of_sync_and_stamps_no_sync() {
    let world = World::start().await;
    change(&world, "a change a dry run must not apply");
    let mut config = world.load_config();
    config.daemon.dry_run = true;
    let daemon = start_with(config).await;
    let status = daemon
        .until_status("both reported", |s| {
            phase_of(s, "travel-desk").is_some() && phase_of(s, "it-helpdesk").is_some()
        })
        .await;
    assert_eq!(
        phase_of(&status, "travel-desk"),
        Some("OutOfSync"),
        "{status}"
    );
    assert_eq!(phase_of(&status, "it-helpdesk"), Some("Synced"), "{status}");

    let scrape = daemon.scrape().await;
    let stamped = |bot: &str| {
        scrape.samples.iter().any(|s| {
            s.metric == "kore_gitops_last_successful_sync_timestamp_seconds"
                && s.labels.get("bot") == Some(bot)
        })
    };
    assert!(
        !stamped("travel-desk"),
        "a bot never synced has no sync time"
    );
    assert!(stamped("it-helpdesk"));
    let reported = Running::sample(
        &scrape,
        "kore_gitops_reconcile_passes_total",
        &[("bot", "travel-desk"), ("result", "reported")],
    );
    assert_eq!(reported, 1.0);
    assert_eq!(counters(&world.bot("travel-desk").await), (0, 0, 0));
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn sync_dry_run_and_plan_say_out_of_sync_for_a_bot_they_did_not_sync() {
    let world = World::start().await;
    change(&world, "a change only planned");
    let config = world.config.to_str().unwrap();
    let dry = kore_gitops(&world.work, &["sync", "--config", config, "--dry-run"]).await;
    assert_eq!(dry.code, 1, "{}", dry.all());
    assert!(
        dry.stdout.contains("travel-desk\tOutOfSync\t"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("it-helpdesk\tSynced\t"),
        "{}",
        dry.stdout
    );

    let plan = kore_gitops(&world.work, &["plan", "--config", config]).await;
    assert_eq!(plan.code, 1, "{}", plan.all());
    let log = without_colours(&plan.stderr);
    let line = log
        .lines()
        .find(|l| l.contains("reconciled") && l.contains("bot=travel-desk "))
        .unwrap_or_else(|| panic!("no final line:\n{log}"));
    assert!(line.contains("phase=OutOfSync"), "{line}");
    assert!(
        line.contains("next=\"none\""),
        "a one-off pass is not retried: {line}"
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (0, 0, 0));
}

/// The human log format without its terminal colour codes.
fn without_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An escape runs to its final letter (`m` for colours).
            chars.by_ref().find(char::is_ascii_alphabetic);
        } else {
            plain.push(c);
        }
    }
    plain
}

#[tokio::test]
async fn readiness_follows_the_platform_not_one_bot_failed_training() {
    let world = World::start().await;
    let daemon = start(&world).await;
    daemon.until_both_synced().await;
    assert_eq!(daemon.get("/readyz").await.0, 200);

    world
        .fault("/job-failures", json!({"kind": "train", "count": 3}))
        .await;
    change(&world, "a change whose training fails");
    daemon
        .until_status("the training failed", |s| {
            entry(s, "travel-desk")["error"]
                .as_str()
                .is_some_and(|e| e.contains("retrying in"))
        })
        .await;
    let (code, body) = daemon.get("/readyz").await;
    assert_eq!(code, 200, "the platform answered: {body}");

    // The platform itself stops answering: then the daemon is not ready.
    for endpoint in ["bots", "export"] {
        let fault = json!({"endpoint": endpoint, "status": 503, "count": 100});
        world.fault("/faults", fault).await;
    }
    let trigger = daemon
        .http
        .post(format!("{}/trigger/travel-desk", daemon.base))
        .bearer_auth(TRIGGER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(trigger.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, body) = daemon.get("/readyz").await;
        if code == 503 {
            assert!(body.contains("platform"), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "still ready: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    world.fault("/faults/clear", json!({})).await;
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn status_shows_a_running_pass_as_it_moves_through_its_phases() {
    let world = World::start().await;
    let daemon = start(&world).await;
    daemon.until_both_synced().await;
    world.fault("/jobs/mode", json!({"mode": "manual"})).await;
    change(&world, "a change watched on /status");
    let head = world.head();
    for (hold, phase) in [
        ("import", "Importing"),
        ("train", "Training"),
        ("publish", "Publishing"),
    ] {
        let accepted = world.step_jobs_until_accepted("travel-desk", hold).await;
        assert!(accepted, "no {hold} started");
        let status = daemon
            .until_status(phase, |s| phase_of(s, "travel-desk") == Some(phase))
            .await;
        assert_eq!(entry(&status, "travel-desk")["commit"], head, "{status}");
    }
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    world.fault("/jobs/step", json!({})).await;
    daemon
        .until_status("synced at the head", |s| {
            phase_of(s, "travel-desk") == Some("Synced")
                && entry(s, "travel-desk")["commit"] == head
        })
        .await;
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}
