//! Every fault the simulator can inject, and how the client copes.

use std::time::Duration;

use kore_gitops::desired::BotFiles;
use kore_gitops::platform::{ArchiveError, ExportKind, Operation, PlatformClient, PlatformError};
use kore_gitops::reconcile::upload_and_import;
use serde_json::json;
use tokio::time::Instant;

use super::setup::World;

async fn export(client: &PlatformClient, world: &World) -> Result<(), PlatformError> {
    client
        .export(&world.bot, ExportKind::Latest)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn rate_limits_with_retry_after_are_waited_out() {
    let world = World::start().await;
    let body = json!({"endpoint": "export", "status": 429, "count": 1, "retry_after": 1});
    world.control("/faults", body).await;
    let started = Instant::now();
    export(&world.client("admin"), &world).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(world.calls("export").await, 2);
}

#[tokio::test]
async fn rate_limits_without_retry_after_back_off_and_pass() {
    let world = World::start().await;
    world.fault("export_status", 429, 2).await;
    export(&world.client("admin"), &world).await.unwrap();
    assert_eq!(world.calls("export_status").await, 3);
}

#[tokio::test]
async fn a_burst_of_503s_is_retried_and_a_longer_one_gives_up_retryable() {
    let world = World::start().await;
    let client = world.client("admin");
    world.fault("upload", 503, 3).await;
    client
        .upload("a.json", "{}".into(), kore_gitops::platform::FileKind::Json)
        .await
        .unwrap();
    world.fault("export_status", 503, 10).await;
    let err = client
        .export(&world.bot, ExportKind::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert!(err.is_retryable());
    assert_eq!(err.context().op, Operation::ExportStatus);
    assert_eq!(
        world.calls("export_status").await,
        5,
        "max_attempts calls, then the error"
    );
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let world = World::start().await;
    world
        .control("/drop", json!({"endpoint": "import_status", "count": 1}))
        .await;
    world
        .control("/drop", json!({"endpoint": "bots", "count": 2}))
        .await;
    let client = world.client("admin");
    assert!(!client.list_bots().await.unwrap().is_empty());
    assert_eq!(world.stats().await["dropped"], 2);
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_a_timeout_then_a_retry() {
    let world = World::start().await;
    let mut config = world.config("admin");
    config.request_timeout = Duration::from_millis(300);
    let client = PlatformClient::new(config).unwrap();
    world
        .control(
            "/latency",
            json!({"endpoint": "export", "millis": 2000, "count": 1}),
        )
        .await;
    export(&client, &world).await.unwrap();
    world
        .control(
            "/latency",
            json!({"endpoint": "export", "millis": 2000, "count": 9}),
        )
        .await;
    let err = export(&client, &world).await.unwrap_err();
    assert!(
        matches!(
            err,
            PlatformError::Transport {
                failure: kore_gitops::platform::TransportFailure::Timeout,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_conflict_surfaces_at_once_as_a_wait_not_a_fault_of_the_commit() {
    let world = World::start().await;
    world.fault("publish", 409, 1).await;
    let err = world
        .client("admin")
        .publish(&world.bot, "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, PlatformError::Api { status: 409, .. }),
        "{err}"
    );
    assert!(err.is_busy() && err.is_retryable(), "{err}");
    assert!(
        err.to_string().contains("not a fault of the commit"),
        "{err}"
    );
    assert_eq!(world.calls("publish").await, 1);
    assert!(err.to_string().contains(&world.bot.to_string()), "{err}");
}

#[tokio::test]
async fn an_expired_link_is_cured_by_exporting_again() {
    let world = World::start_with(kore_gitops::sim::SimConfig {
        link_ttl_secs: 0,
        ..kore_gitops::sim::SimConfig::instant()
    })
    .await;
    let err = export(&world.client("admin"), &world).await.unwrap_err();
    assert!(
        matches!(err, PlatformError::LinkExpired { status: 410, .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    assert_eq!(world.stats().await["exports"], 3, "bounded re-exports");
}

#[tokio::test]
async fn truncated_and_corrupt_zips_are_exported_again() {
    let world = World::start().await;
    let client = world.client("admin");
    for mode in ["truncate", "corrupt"] {
        world
            .control("/download-fault", json!({"mode": mode, "count": 1}))
            .await;
        export(&client, &world).await.unwrap();
    }
    assert_eq!(
        world.stats().await["exports"],
        4,
        "one re-export per damaged zip"
    );
    world
        .control("/download-fault", json!({"mode": "corrupt", "count": 5}))
        .await;
    let err = export(&client, &world).await.unwrap_err();
    assert!(
        matches!(
            err,
            PlatformError::Archive {
                source: ArchiveError::Corrupt { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn failed_jobs_are_typed_errors_with_the_platform_message() {
    let world = World::start().await;
    let client = world.client("admin");
    for kind in ["export", "import", "train", "publish"] {
        let body = json!({"kind": kind, "count": 1, "message": format!("{kind} broke here")});
        world.control("/job-failures", body).await;
    }
    let check = |result: Result<(), PlatformError>, kind: &str| {
        let err = result.unwrap_err();
        assert!(
            matches!(err, PlatformError::JobFailed { .. }),
            "{kind}: {err}"
        );
        assert!(!err.is_retryable());
        if kind != "train" {
            assert!(
                err.to_string().contains(&format!("{kind} broke here")),
                "{kind}: {err}"
            );
        }
    };
    check(export(&client, &world).await, "export");
    let archive = client.export(&world.bot, ExportKind::Latest).await.unwrap();
    let files = BotFiles::from(archive);
    let imported = upload_and_import(&client, &world.bot, &files, None).await;
    check(imported.map(|_| ()), "import");
    check(client.train(&world.bot, "en").await.map(|_| ()), "train");
    check(client.publish(&world.bot, "c").await.map(|_| ()), "publish");
}

#[tokio::test]
async fn approval_mode_ends_in_awaiting_approval() {
    let world = World::start().await;
    world.control("/approval", json!({"enabled": true})).await;
    let outcome = world
        .client("admin")
        .publish(&world.bot, "needs approval")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        kore_gitops::platform::PublishOutcome::AwaitingApproval
    );
}

#[tokio::test]
async fn a_job_that_never_finishes_hits_the_deadline() {
    let world = World::start().await;
    world.control("/jobs/mode", json!({"mode": "manual"})).await;
    let mut config = world.config("admin");
    config.job_deadline = Duration::from_millis(200);
    let err = PlatformClient::new(config)
        .unwrap()
        .train(&world.bot, "en")
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::JobTimedOut { .. }), "{err}");
    assert!(err.to_string().contains("did not finish within"), "{err}");
}

#[tokio::test]
async fn a_jti_enforcing_app_accepts_every_call_so_each_token_is_fresh() {
    let world = World::start().await;
    let client = world.client("jti");
    for _ in 0..3 {
        export(&client, &world).await.unwrap();
    }
    let log = world.control.inspect("/requests").await;
    let refused = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == 401)
        .count();
    assert_eq!(refused, 0, "a replayed jti would have been refused: {log}");
}

#[tokio::test]
async fn a_builder_app_cannot_import_and_says_so() {
    let world = World::start().await;
    let client = world.client("builder");
    let archive = client.export(&world.bot, ExportKind::Latest).await.unwrap();
    let files = BotFiles::from(archive);
    let err = upload_and_import(&client, &world.bot, &files, None)
        .await
        .unwrap_err();
    let PlatformError::Api {
        status, message, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*status, 403, "{err}");
    assert!(!message.is_empty() && message != "(no message)", "{err}");
    assert!(!err.is_retryable());
    assert_eq!(world.calls("import").await, 1);
}
