//! An apply waiting on a platform job ends its pass and is brought back by
//! the queue: the worker is free meanwhile, the job is never sent twice,
//! `/status` says what it waits on, a failed job ends the apply, and a commit
//! landing meanwhile waits for the job before it is applied.

use std::time::Duration;

use serde_json::{Value, json};

use super::daemon::{Running, entry, phase_of, start_with};
use super::world::{TRIGGER_TOKEN, World, count, counters};

/// A world whose daemon has one worker and a job deadline far beyond the
/// tests' patience, running and with both bots synced; the simulator's
/// jobs then finish only when stepped.
pub(super) async fn one_worker_manual_jobs() -> (World, Running) {
    one_worker_manual_jobs_in(World::start().await).await
}

/// [`one_worker_manual_jobs`] in `world` (whose config a test may have
/// extended first).
pub(super) async fn one_worker_manual_jobs_in(world: World) -> (World, Running) {
    let text = std::fs::read_to_string(&world.config).unwrap();
    let text = text
        .replace("concurrency = 2", "concurrency = 1")
        .replace("job_timeout = \"10s\"", "job_timeout = \"120s\"");
    std::fs::write(&world.config, text).unwrap();
    let daemon = start_with(world.load_config()).await;
    daemon.until_both_synced().await;
    world.fault("/jobs/mode", json!({"mode": "manual"})).await;
    (world, daemon)
}

/// Finishes the pending jobs of `bot` (of every kind).
pub(super) async fn step_bot(world: &World, bot: &str) {
    let id = world.sim.credentials.bot(bot).id.clone();
    world.fault("/jobs/step", json!({ "bot": id })).await;
}

/// Asks for a pass of `bot` now (the next look at its job comes at once);
/// the request's token.
pub(super) async fn trigger(daemon: &Running, bot: &str) -> String {
    let url = format!("{}/trigger/{bot}", daemon.base);
    let answer = daemon.http.post(&url).bearer_auth(TRIGGER_TOKEN);
    let answer = answer.send().await.unwrap();
    assert!(answer.status().is_success());
    let answer: Value = answer.json().await.unwrap();
    answer["request"].as_str().unwrap().to_owned()
}

/// What became of a request (what `kore-gitops reconcile --wait` asks).
async fn request_state(daemon: &Running, request: &str) -> Value {
    let url = format!("{}/requests/{request}", daemon.base);
    let answer = daemon.http.get(&url).bearer_auth(TRIGGER_TOKEN);
    answer.send().await.unwrap().json().await.unwrap()
}

/// The calls to `endpoint` the simulator accepted for `bot`.
pub(super) async fn accepted(world: &World, bot: &str, endpoint: &str) -> usize {
    let id = world.sim.credentials.bot(bot).id.clone();
    let log: Value = world.control.inspect("/requests").await;
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["endpoint"] == endpoint && e["bot"] == id.as_str() && e["status"] == 200)
        .count()
}

pub(super) fn summary<'a>(status: &'a Value, bot: &str) -> &'a str {
    entry(status, bot)["summary"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn with_one_worker_a_bot_whose_training_is_held_lets_another_bot_through_its_whole_pass() {
    let (world, daemon) = one_worker_manual_jobs().await;
    world.commit_definition("travel-desk", "a change whose training waits", |d| {
        d["sentences"][0]["sentence"] = "trained slowly".into();
    });
    assert!(world.step_jobs_until_accepted("travel-desk", "train").await);
    let status = daemon
        .until_status("travel-desk waiting on its training", |s| {
            phase_of(s, "travel-desk") == Some("Training")
                && summary(s, "travel-desk").contains("waiting on the training")
        })
        .await;
    let waiting = entry(&status, "travel-desk");
    assert!(waiting["next_attempt"].is_string(), "{waiting}");
    // A request for a pass is handled when the apply ends, not by a pass
    // that ends waiting on the job (`reconcile --wait` waits for the apply).
    let request = trigger(&daemon, "travel-desk").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let state = request_state(&daemon, &request).await;
    assert_eq!(state["state"], "pending", "{state}");

    // The one worker is free: it-helpdesk goes through its whole pass while
    // travel-desk's training is still held.
    world.commit_definition("it-helpdesk", "a change behind it", |d| {
        d["sentences"][0]["sentence"] = "not delayed".into();
    });
    let mut synced = false;
    for _ in 0..500 {
        step_bot(&world, "it-helpdesk").await;
        let (_, body) = daemon.get("/status").await;
        let status: Value = serde_json::from_str(&body).unwrap();
        let published = count(&world.bot("it-helpdesk").await, "publishes") == 1;
        if published && phase_of(&status, "it-helpdesk") == Some("Synced") {
            synced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(synced, "it-helpdesk waited behind a held training");
    let (_, body) = daemon.get("/status").await;
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        phase_of(&status, "travel-desk"),
        Some("Training"),
        "{status}"
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 0));

    // Released, travel-desk's next look finds the training done and goes on.
    step_bot(&world, "travel-desk").await;
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    let _ = trigger(&daemon, "travel-desk").await;
    daemon.until_both_synced().await;
    let mut state = request_state(&daemon, &request).await;
    for _ in 0..100 {
        if state["state"] == "handled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        state = request_state(&daemon, &request).await;
    }
    assert_eq!(
        (&state["state"], &state["phase"]),
        (&json!("handled"), &json!("Synced")),
        "{state}"
    );
    // it-helpdesk trains two languages (en, es): one training each.
    for (bot, trainings) in [("travel-desk", 1), ("it-helpdesk", 2)] {
        assert_eq!(counters(&world.bot(bot).await), (1, trainings, 1), "{bot}");
        let sent = [
            accepted(&world, bot, "import").await,
            accepted(&world, bot, "train").await,
            accepted(&world, bot, "publish").await,
        ];
        assert_eq!(
            sent,
            [1, trainings as usize, 1],
            "{bot}: import, train, publish"
        );
    }
    daemon.stop.notify_one();
    assert_eq!(daemon.done.await.unwrap(), 0);
}

#[tokio::test]
async fn a_training_that_fails_while_its_pass_is_requeued_ends_failed_and_nothing_is_published() {
    let (world, daemon) = one_worker_manual_jobs().await;
    let failure = json!({"kind": "train"});
    world.fault("/job-failures", failure).await;
    world.commit_definition("travel-desk", "a change whose training fails", |d| {
        d["sentences"][0]["sentence"] = "never trained".into();
    });
    assert!(world.step_jobs_until_accepted("travel-desk", "train").await);
    daemon
        .until_status("travel-desk waiting on its training", |s| {
            summary(s, "travel-desk").contains("waiting on the training")
        })
        .await;
    step_bot(&world, "travel-desk").await;
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    let _ = trigger(&daemon, "travel-desk").await;
    let status = daemon
        .until_status("travel-desk failed", |s| {
            phase_of(s, "travel-desk") == Some("Failed")
        })
        .await;
    // The training status carries no message: the error names the job.
    let error = entry(&status, "travel-desk")["error"].as_str().unwrap();
    assert!(
        error.contains("train of bot") && error.contains("failed"),
        "{error}"
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 0));
    assert_eq!(accepted(&world, "travel-desk", "publish").await, 0);
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_commit_landing_while_an_import_runs_waits_for_it_then_imports_once() {
    let (world, daemon) = one_worker_manual_jobs().await;
    world.commit_definition("travel-desk", "a first change", |d| {
        d["sentences"][0]["sentence"] = "first content".into();
    });
    assert!(
        world
            .step_jobs_until_accepted("travel-desk", "import")
            .await
    );
    world.commit_definition("travel-desk", "a second change on top", |d| {
        d["sentences"][0]["sentence"] = "second content".into();
    });
    let head = world.head();
    daemon
        .until_status("the new commit waiting on the old import", |s| {
            let e = entry(s, "travel-desk");
            e["commit"]
                .as_str()
                .is_some_and(|c| head.starts_with(c) || c == head)
                && summary(s, "travel-desk").contains("previous content")
        })
        .await;
    // However often the target comes back, no second import on top.
    for _ in 0..5 {
        let _ = trigger(&daemon, "travel-desk").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(accepted(&world, "travel-desk", "import").await, 1);

    step_bot(&world, "travel-desk").await;
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    let _ = trigger(&daemon, "travel-desk").await;
    let status = daemon
        .until_status("travel-desk synced at the new commit", |s| {
            phase_of(s, "travel-desk") == Some("Synced")
                && entry(s, "travel-desk")["commit"]
                    .as_str()
                    .is_some_and(|c| head.starts_with(c) || c == head)
        })
        .await;
    assert_eq!(phase_of(&status, "travel-desk"), Some("Synced"));
    // One import per content; only the second was trained and published.
    assert_eq!(counters(&world.bot("travel-desk").await), (2, 1, 1));
    let live = world.bot("travel-desk").await;
    assert_eq!(live["dev_digest"], live["published_digest"], "{live}");
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_look_at_a_job_that_fails_on_the_way_leaves_the_apply_waiting_on_it() {
    let (world, daemon) = one_worker_manual_jobs().await;
    world.commit_definition("travel-desk", "a change whose import is looked at", |d| {
        d["sentences"][0]["sentence"] = "imported behind a flaky status".into();
    });
    assert!(
        world
            .step_jobs_until_accepted("travel-desk", "import")
            .await
    );
    // Every attempt of the next look fails: the pass fails, the job runs on.
    let fault = json!({"endpoint": "import_status", "status": 503, "count": 5});
    world.fault("/faults", fault).await;
    daemon
        .until_status("travel-desk failed", |s| {
            phase_of(s, "travel-desk") == Some("Failed")
        })
        .await;
    // The next pass looks at the same job again (an export now would be
    // refused: the import still runs) and sends nothing.
    let _ = trigger(&daemon, "travel-desk").await;
    daemon
        .until_status("travel-desk waiting on its import again", |s| {
            summary(s, "travel-desk").contains("waiting on the import job")
        })
        .await;
    step_bot(&world, "travel-desk").await;
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    let _ = trigger(&daemon, "travel-desk").await;
    daemon
        .until_status("travel-desk synced", |s| {
            phase_of(s, "travel-desk") == Some("Synced")
        })
        .await;
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 1));
    assert_eq!(accepted(&world, "travel-desk", "import").await, 1);
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}
