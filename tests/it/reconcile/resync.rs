//! The idle resync: a bot verified in sync costs one change-log call, not
//! two exports, until its change log shows an entry that may have changed it.

use kore_gitops::reconcile::Daemon;
use kore_gitops::status::Phase;
use serde_json::Value;

use super::world::{BOTS, World, count};

/// The endpoints the simulator logged after the first `skip` requests.
async fn endpoints_since(world: &World, skip: usize) -> Vec<(String, Option<String>)> {
    let log: Value = world.control.inspect("/requests").await;
    let log = log.as_array().unwrap();
    log[skip..]
        .iter()
        .map(|e| {
            let bot = e.get("bot").and_then(Value::as_str).map(str::to_owned);
            (e["endpoint"].as_str().unwrap().to_owned(), bot)
        })
        .collect()
}

async fn logged(world: &World) -> usize {
    let log: Value = world.control.inspect("/requests").await;
    log.as_array().unwrap().len()
}

const EXPORTS: &[&str] = &["export", "export_status", "download"];

#[tokio::test]
async fn an_idle_resync_exports_nothing_and_a_designer_edit_is_still_reverted() {
    let world = World::start().await;
    let daemon = Daemon::start(world.load_config(), false).await.unwrap();
    daemon.trust_change_log();
    daemon.refresh().await.unwrap();
    let start = logged(&world).await;
    let first = daemon.pass_all(&[]).await;
    for bot in BOTS {
        assert_eq!(World::status_of(&first, bot).phase, Phase::Synced);
    }
    let calls = endpoints_since(&world, start).await;
    let get_bots = calls.iter().filter(|(e, _)| e == "bots").count();
    assert_eq!(
        get_bots, 1,
        "concurrent passes share one Get Bots: {calls:?}"
    );

    let before = logged(&world).await;
    let idle = daemon.pass_all(&[]).await;
    let calls = endpoints_since(&world, before).await;
    for bot in BOTS {
        assert_eq!(World::status_of(&idle, bot).phase, Phase::Synced);
    }
    assert!(
        calls.iter().all(|(e, _)| e == "changelogs"),
        "an idle resync only reads change logs: {calls:?}"
    );
    assert_eq!(calls.len(), BOTS.len(), "one call per bot: {calls:?}");

    world
        .edit_live("travel-desk", |d: &mut Value| {
            d["dialogs"][0]["name"] = "Renamed in the UI".into();
            d["dialogs"][0]["localeData"]["en"]["name"] = "Renamed in the UI".into();
        })
        .await;
    let before = logged(&world).await;
    let next = daemon.pass_all(&[]).await;
    let status = World::status_of(&next, "travel-desk");
    assert_eq!(status.phase, Phase::Synced);
    assert!(
        status.summary.starts_with("reverted drift: "),
        "the edit is seen within one resync: {}",
        status.summary
    );
    assert_eq!(count(&world.bot("travel-desk").await, "imports"), 1);
    let helpdesk = &world.sim.credentials.bot("it-helpdesk").id;
    let calls = endpoints_since(&world, before).await;
    let untouched_exports = calls.iter().filter(|(e, bot)| {
        EXPORTS.contains(&e.as_str()) && bot.as_deref() == Some(helpdesk.as_str())
    });
    assert_eq!(
        untouched_exports.count(),
        0,
        "the bot nobody edited is still not exported: {calls:?}"
    );
}

#[tokio::test]
async fn without_trusting_the_change_log_every_pass_exports() {
    let world = World::start().await;
    let daemon = Daemon::start(world.load_config(), false).await.unwrap();
    daemon.refresh().await.unwrap();
    daemon.pass_all(&[]).await;
    let before = logged(&world).await;
    daemon.pass_all(&[]).await;
    let calls = endpoints_since(&world, before).await;
    let exports = calls.iter().filter(|(e, _)| e == "export").count();
    assert_eq!(
        exports,
        2 * BOTS.len(),
        "both copies of each bot: {calls:?}"
    );
}

/// Waits until `check` holds for the simulator's view of `bot` (20 s).
async fn until_bot(world: &World, bot: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1000 {
        let seen = world.bot(bot).await;
        if check(&seen) {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{bot} never reached the expected state");
}

#[tokio::test]
async fn a_commit_reconciles_only_the_bots_it_changed() {
    let world = World::start().await;
    let daemon = super::daemon::start(&world).await;
    daemon
        .until_status("both synced", |s| {
            BOTS.iter()
                .all(|b| super::daemon::phase_of(s, b) == Some("Synced"))
        })
        .await;
    let before = logged(&world).await;
    world.commit_definition("travel-desk", "one bot changes", |d| {
        d["sentences"][0]["sentence"] = "changed by the commit".into();
    });
    until_bot(&world, "travel-desk", |b| count(b, "publishes") == 1).await;
    for _ in 0..1000 {
        if world.head_note().contains("[bots.travel-desk]") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A README-only commit moves no bot's desired state.
    std::fs::write(world.work.join("README.md"), "about these bots\n").unwrap();
    world.commit_all("README only");
    let head = world.head();
    let notes_before = world.notes_ref();
    // Long enough for the daemon to see the commit (it watches the remote).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let helpdesk = world.sim.credentials.bot("it-helpdesk").id.clone();
    let calls = endpoints_since(&world, before).await;
    let touched = calls
        .iter()
        .filter(|(_, bot)| bot.as_deref() == Some(helpdesk.as_str()));
    assert_eq!(
        touched.count(),
        0,
        "the bot neither commit changed is left to its resync: {calls:?}"
    );
    assert_eq!(
        world.notes_ref(),
        notes_before,
        "a README-only commit ({head}) writes no note"
    );
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_restarted_daemon_resumes_cheap_resyncs_from_its_state_folder() {
    let world = World::start().await;
    let first = Daemon::start(world.load_config(), false).await.unwrap();
    first.trust_change_log();
    first.refresh().await.unwrap();
    first.pass_all(&[]).await;
    first.keep_verifications().await;
    drop(first);

    let restarted = Daemon::start(world.load_config(), false).await.unwrap();
    restarted.trust_change_log();
    restarted.refresh().await.unwrap();
    let before = logged(&world).await;
    let reports = restarted.pass_all(&[]).await;
    for bot in BOTS {
        assert_eq!(World::status_of(&reports, bot).phase, Phase::Synced);
    }
    let calls = endpoints_since(&world, before).await;
    assert!(
        calls.iter().all(|(e, _)| e == "changelogs" || e == "bots"),
        "the first pass after a restart trusts the saved verification: {calls:?}"
    );
}
