//! The client's logs, captured at TRACE through a whole sync, hold no secret.

use kore_gitops::desired::BotFiles;
use kore_gitops::platform::{ExportKind, PublishOutcome};
use kore_gitops::reconcile::upload_and_import;

use super::setup::World;
use crate::support::logs::capture;

/// The variable value the synthetic bot's `config.json` carries.
const VARIABLE_VALUE: &str = "sim-variable-value-7f3a";

#[tokio::test]
async fn a_full_sync_logged_at_trace_shows_no_secret_token_or_variable_value() {
    let world = World::start().await;
    let (buffer, guard) = capture();
    // One retry on the way, so the retry path is logged too.
    world.fault("import_status", 503, 1).await;
    sync_once(&world).await;
    drop(guard);

    let logs = buffer.text();
    assert!(
        logs.contains("platform call"),
        "the calls were not logged:\n{logs}"
    );
    assert!(logs.contains("retrying platform call"), "{logs}");
    for app in &world.sim.credentials.apps {
        assert!(
            !logs.contains(&app.client_secret),
            "a client secret leaked:\n{logs}"
        );
    }
    assert!(!logs.contains("eyJ"), "a token leaked:\n{logs}");
    assert!(
        !logs.contains(VARIABLE_VALUE),
        "a variable value leaked:\n{logs}"
    );
    assert!(
        !logs.contains("jwtApps") && !logs.contains("clientSecret"),
        "{logs}"
    );
}

async fn sync_once(world: &World) {
    let client = world.client("admin");
    assert!(!client.list_bots().await.unwrap().is_empty());
    let archive = client.export(&world.bot, ExportKind::Latest).await.unwrap();
    // The variable is secured: the export gives it back blank, so the
    // import puts the value back in, and it travels through the client.
    assert!(!String::from_utf8_lossy(&archive.config).contains(VARIABLE_VALUE));
    let mut files = BotFiles::from(archive);
    let mut config: serde_json::Value = serde_json::from_slice(&files.config).unwrap();
    config["envVariables"][0]["value"] = VARIABLE_VALUE.into();
    files.config = serde_json::to_vec(&config).unwrap();
    upload_and_import(&client, &world.bot, &files, None)
        .await
        .unwrap();
    client.train(&world.bot, "en").await.unwrap();
    assert_eq!(
        client.publish(&world.bot, "logged").await.unwrap(),
        PublishOutcome::Published
    );
}
