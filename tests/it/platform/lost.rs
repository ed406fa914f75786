//! Answers lost after the platform did the work (a dropped connection, a
//! gateway's 504, an answer stalled past the timeout, an HTML page), jobs of
//! other clients, and answers that are not the platform's: every
//! non-idempotent call is sent once, and what it did is learnt from the
//! platform (job status, publish status, change log), never by sending it
//! again.

use std::time::Duration;

use kore_gitops::desired::BotFiles;
use kore_gitops::platform::{
    ExportKind, FileKind, ImportRequest, PlatformClient, PlatformError, PublishOutcome,
};
use serde_json::{Value, json};

use super::setup::World;

/// Every way an answer is lost after the work was done.
fn lost_modes() -> Vec<Value> {
    vec![
        json!({"mode": "drop"}),
        json!({"mode": "504"}),
        json!({"mode": "stall", "millis": 1500}),
        json!({"mode": "html", "status": 200}),
    ]
}

/// A client whose requests time out well before a stalled answer comes.
fn impatient(world: &World) -> PlatformClient {
    let mut config = world.config("admin");
    config.request_timeout = Duration::from_millis(500);
    PlatformClient::new(config).unwrap()
}

async fn lose_next(world: &World, endpoint: &str, mode: &Value) {
    let mut body = mode.clone();
    body["endpoint"] = endpoint.into();
    world.control("/lost-answer", body).await;
}

async fn counter(world: &World, key: &str) -> u64 {
    world.bot_view().await[key].as_u64().unwrap()
}

#[tokio::test]
async fn a_publish_whose_answer_is_lost_is_followed_never_sent_again() {
    for mode in lost_modes() {
        let world = World::start().await;
        let client = impatient(&world);
        lose_next(&world, "publish", &mode).await;
        let outcome = client.publish(&world.bot, "lost answer").await;
        assert_eq!(outcome.unwrap(), PublishOutcome::Published, "{mode}");
        assert_eq!(counter(&world, "publishes").await, 1, "{mode}");
        assert_eq!(world.calls("publish").await, 1, "{mode}");
    }
}

/// The synthetic bot's own files, as an export gives them.
async fn own_files(client: &PlatformClient, world: &World) -> BotFiles {
    BotFiles::from(client.export(&world.bot, ExportKind::Latest).await.unwrap())
}

async fn upload_all(client: &PlatformClient, files: &BotFiles) -> ImportRequest {
    let json = FileKind::Json;
    let name = files.definition_name.file_name();
    let definition = client.upload(name, files.definition.clone().into(), json);
    let config = client.upload("config.json", files.config.clone().into(), json);
    ImportRequest {
        bot_definition: definition.await.unwrap(),
        config_info: config.await.unwrap(),
        bot_functions: Vec::new(),
        import_options: None,
    }
}

#[tokio::test]
async fn an_import_whose_answer_is_lost_is_found_in_the_change_log() {
    for mode in lost_modes() {
        let world = World::start().await;
        let client = impatient(&world);
        let files = own_files(&client, &world).await;
        let request = upload_all(&client, &files).await;
        let mark = client.change_mark(&world.bot).await.unwrap();
        assert!(mark.is_some(), "the simulator has a change log");
        lose_next(&world, "import", &mode).await;
        let outcome = client
            .import_once(&world.bot, &request, mark.as_ref())
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert!(outcome.request.as_str().starts_with("bir-"), "{mode}");
        assert_eq!(counter(&world, "imports").await, 1, "{mode}");
    }
}

#[tokio::test]
async fn without_a_mark_a_lost_import_is_unconfirmed_and_not_sent_again() {
    let world = World::start().await;
    let client = impatient(&world);
    let files = own_files(&client, &world).await;
    let request = upload_all(&client, &files).await;
    lose_next(&world, "import", &json!({"mode": "504"})).await;
    let err = client.import(&world.bot, &request).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unconfirmed { .. }), "{err}");
    assert!(err.is_retryable(), "the commit is not at fault");
    assert!(err.to_string().contains("answer was lost"), "{err}");
    assert_eq!(counter(&world, "imports").await, 1);
}

#[tokio::test]
async fn a_training_whose_answer_is_lost_is_followed_never_sent_again() {
    for mode in lost_modes() {
        let world = World::start_with(kore_gitops::sim::SimConfig {
            job_mode: kore_gitops::sim::JobMode::Timed,
            job_millis: 100,
            ..kore_gitops::sim::SimConfig::instant()
        })
        .await;
        let client = impatient(&world);
        lose_next(&world, "train", &mode).await;
        let status = client.train(&world.bot, "en").await;
        assert!(status.is_ok(), "{mode}: {status:?}");
        assert_eq!(counter(&world, "trainings").await, 1, "{mode}");
    }
}

#[tokio::test]
async fn a_call_refused_before_any_work_is_not_taken_for_done() {
    // A 503 before the handler ran: the publish did not happen, and the
    // client says so rather than sending it again or claiming it.
    let world = World::start().await;
    world.fault("publish", 503, 1).await;
    let err = world
        .client("admin")
        .publish(&world.bot, "x")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Unconfirmed { .. }), "{err}");
    assert_eq!(counter(&world, "publishes").await, 0);
    assert_eq!(world.calls("publish").await, 1);
}

#[tokio::test]
async fn html_pages_are_a_retryable_platform_fault_whatever_their_status() {
    let world = World::start().await;
    let client = world.client("admin");
    for status in [200, 401, 502] {
        let body = json!({"endpoint": "bots", "status": status, "count": 9, "body": "html"});
        world.control("/faults", body).await;
        let err = client.list_bots().await.unwrap_err();
        assert!(
            matches!(err, PlatformError::NotJson { status: s, .. } if s == status),
            "{err}"
        );
        assert!(err.is_retryable(), "{err}");
        let shown = err.to_string();
        assert!(shown.contains("text/html"), "{shown}");
        assert!(shown.contains("<!DOCTYPE html>"), "{shown}");
        world.control("/faults/clear", json!({})).await;
    }
    // One page, then the platform again: retried and passed.
    let body = json!({"endpoint": "bots", "status": 200, "count": 1, "body": "html"});
    world.control("/faults", body).await;
    assert!(!client.list_bots().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_answer_larger_than_the_cap_is_refused_without_reading_it_all() {
    let world = World::start().await;
    let mut config = world.config("admin");
    config.answer_limit = 64;
    let err = PlatformClient::new(config)
        .unwrap()
        .list_bots()
        .await
        .unwrap_err();
    assert!(
        matches!(err, PlatformError::AnswerTooLarge { limit: 64, .. }),
        "{err}"
    );
    assert_eq!(world.calls("bots").await, 1, "not fetched again");
}

#[tokio::test]
async fn a_job_of_another_client_makes_ours_wait_not_fail_the_commit() {
    let world = World::start().await;
    let path = format!("/bots/{}/jobs", world.bot);
    world
        .control(&path, json!({"kind": "train", "millis": 400}))
        .await;
    let client = world.client("admin");
    let err = client.publish(&world.bot, "x").await.unwrap_err();
    assert!(err.is_busy(), "{err}");
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("already in progress"), "{err}");
    assert_eq!(counter(&world, "publishes").await, 0);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let outcome = client.publish(&world.bot, "x").await.unwrap();
    assert_eq!(outcome, PublishOutcome::Published);
}

#[tokio::test]
async fn the_export_status_of_another_client_is_never_taken_for_ours() {
    let world = World::start().await;
    // Our export is done at once; its first status poll waits 300 ms, and
    // meanwhile another client's (partial) export runs and finishes.
    let body = json!({"endpoint": "export_status", "millis": 300, "count": 1});
    world.control("/latency", body).await;
    let client = world.client("admin");
    let bot = world.bot.clone();
    let ours = tokio::spawn(async move { client.export(&bot, ExportKind::Latest).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let path = format!("/bots/{}/jobs", world.bot);
    world
        .control(&path, json!({"kind": "export", "millis": 50}))
        .await;
    let archive = ours.await.unwrap().unwrap();
    let definition: Value = serde_json::from_slice(&archive.definition).unwrap();
    assert!(
        definition["dialogs"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "the other client's partial export was taken for ours"
    );
    assert_eq!(world.calls("export").await, 2, "ours was started again");
}
