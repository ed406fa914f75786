//! Every operation against the simulator over real HTTP.

use kore_gitops::desired::BotFiles;
use kore_gitops::platform::{BotCopy, ExportKind, PublishOutcome};
use kore_gitops::reconcile::upload_and_import;
use kore_gitops::sim::SimConfig;

use super::setup::World;

#[tokio::test]
async fn list_bots_reads_every_page() {
    let world = World::start_with(SimConfig {
        extra_bots: 119,
        ..SimConfig::instant()
    })
    .await;
    let bots = world.client("admin").list_bots().await.unwrap();
    assert_eq!(bots.len(), 120);
    assert!(
        bots.iter()
            .any(|bot| bot.id == world.bot && bot.name == "travel bot")
    );
    assert_eq!(world.calls("bots").await, 3, "three pages of 50");
}

#[tokio::test]
async fn export_import_train_publish_round_trip() {
    let world = World::start().await;
    let client = world.client("admin");
    let exported = client.export(&world.bot, ExportKind::Latest).await.unwrap();
    assert_eq!(exported.definition_name, "botDefinition.json");
    assert!(exported.icon.is_some());

    let mut definition: serde_json::Value = serde_json::from_slice(&exported.definition).unwrap();
    definition["dialogs"][0]["lname"] = "renamed by the client test".into();
    let files = BotFiles {
        definition: serde_json::to_vec(&definition).unwrap(),
        ..BotFiles::from(exported)
    };
    let before = world.bot_view().await;
    let imported = upload_and_import(&client, &world.bot, &files, None)
        .await
        .unwrap();
    assert!(
        imported.request.as_str().starts_with("bir-"),
        "{imported:?}"
    );
    let trained = client.train(&world.bot, "en").await.unwrap();
    assert_eq!(trained.training_status, "Finished");
    let status = client
        .training_status(&world.bot, "en", BotCopy::Configured)
        .await
        .unwrap();
    assert_eq!(status.training_status, "Finished");
    let outcome = client
        .publish(&world.bot, "from the client test")
        .await
        .unwrap();
    assert_eq!(outcome, PublishOutcome::Published);
    assert!(
        client
            .publish_status(&world.bot)
            .await
            .unwrap()
            .status
            .eq_ignore_ascii_case("successful")
    );

    let after = world.bot_view().await;
    assert_ne!(after["dev_digest"], before["dev_digest"]);
    assert_eq!(after["published_digest"], after["dev_digest"]);
    assert_eq!(after["last_version_comment"], "from the client test");
    let published = client
        .export(&world.bot, ExportKind::Published)
        .await
        .unwrap();
    let text = String::from_utf8(published.definition).unwrap();
    assert!(text.contains("renamed by the client test"));
}

#[tokio::test]
async fn the_other_api_prefix_works_too() {
    let world = World::start().await;
    let mut config = world.config("admin");
    config.api_prefix = "/api/1.1/public/".to_owned();
    let client = kore_gitops::platform::PlatformClient::new(config).unwrap();
    let archive = client.export(&world.bot, ExportKind::Latest).await.unwrap();
    assert!(!archive.config.is_empty());
    let log = world.control.inspect("/requests").await;
    let paths: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert!(
        paths.iter().any(|p| p.starts_with("/api/1.1/public/bot/")),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.starts_with("/api/public/")),
        "{paths:?}"
    );
}
