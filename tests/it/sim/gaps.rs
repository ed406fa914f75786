//! Smaller ways the simulator matches the platform: App Builder apps reach
//! only their own bot, exports are hashed and 4-space indented, the publish
//! status answers with a trailing slash too.

use kore_gitops::sim::SimConfig;
use kore_gitops::sim::config::{AppConfig, default_apps};
use serde_json::{Value, json};

use crate::support::sim::{Client, start_sim, start_sim_with, unzip, write_synthetic_bot};

async fn export_status(client: &Client, app: &kore_gitops::sim::AppCredential, bot: &str) -> u16 {
    let body = json!({"exportType": "latest"});
    client
        .post(app, &format!("/bot/{bot}/export"), body)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_app_builder_app_reaches_only_its_own_bot() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        write_synthetic_bot(dir.path(), "one"),
        write_synthetic_bot(dir.path(), "two"),
    ];
    let mut apps = default_apps();
    apps.push(AppConfig {
        name: "builder-two".into(),
        kind: "builder".into(),
        scopes: vec!["export".into()],
        jti_enforced: false,
        client_id: None,
        client_secret: None,
        bot: Some("two".into()),
    });
    let sim = start_sim_with(
        &seeds,
        SimConfig {
            apps,
            ..SimConfig::instant()
        },
    )
    .await;
    let client = Client::new(&sim);
    let (one, two) = (
        sim.credentials.bot("one").id.clone(),
        sim.credentials.bot("two").id.clone(),
    );
    let (builder, builder_two) = (
        sim.credentials.app("builder"),
        sim.credentials.app("builder-two"),
    );
    // Without a bot in its configuration, a builder app belongs to the first seed.
    assert_eq!(export_status(&client, builder, &one).await, 200);
    assert_eq!(export_status(&client, builder, &two).await, 403);
    assert_eq!(export_status(&client, builder_two, &two).await, 200);
    assert_eq!(export_status(&client, builder_two, &one).await, 403);
    let refused = client
        .get(builder, &format!("/bot/{two}/export/status"))
        .await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["errors"][0]["msg"].as_str().unwrap().contains("bot"),
        "{body}"
    );
    // Admin Console apps reach every bot of the account.
    let admin = sim.credentials.app("admin");
    assert_eq!(export_status(&client, admin, &two).await, 200);
}

#[tokio::test]
async fn every_export_is_hashed_and_indented_with_four_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let folder = write_synthetic_bot(dir.path(), "plain");
    // A definition without a hash, written compactly.
    std::fs::write(
        folder.join("botDefinition.json"),
        br#"{"_id":"st-plain","name":"plain","dialogs":[{"refId":"r","lname":"x"}]}"#,
    )
    .unwrap();
    let sim = start_sim(&[folder]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("plain").id.clone();
    let mut hashes = Vec::new();
    for _ in 0..2 {
        let zip = client.export(admin, &bot, "latest").await;
        let entries = unzip(&zip);
        let (_, bytes) = entries
            .iter()
            .find(|(n, _)| n == "botDefinition.json")
            .unwrap();
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with("{\n    \""),
            "{}",
            &text[..40.min(text.len())]
        );
        assert!(
            text.contains("\n        {\n            \""),
            "nested levels: {text}"
        );
        let (_, config) = entries.iter().find(|(n, _)| n == "config.json").unwrap();
        assert!(config.starts_with(b"{\n    \""));
        let definition: Value = serde_json::from_str(text).unwrap();
        let hash = definition["encryptedHash"]
            .as_str()
            .expect("encryptedHash")
            .to_owned();
        assert!(
            hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{hash}"
        );
        hashes.push(hash);
    }
    assert_ne!(hashes[0], hashes[1], "a new hash on every export");
}

#[tokio::test]
async fn the_publish_status_answers_with_a_trailing_slash() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    let published = client
        .post(
            admin,
            &format!("/bot/{bot}/publish"),
            json!({"versionComment": "v1"}),
        )
        .await;
    assert_eq!(published.status(), 200);
    let plain: Value = client
        .get(admin, &format!("/bot/{bot}/publish/status"))
        .await
        .json()
        .await
        .unwrap();
    let slashed = client
        .get(admin, &format!("/bot/{bot}/publish/status/"))
        .await;
    assert_eq!(slashed.status(), 200);
    let slashed: Value = slashed.json().await.unwrap();
    assert_eq!(slashed["_id"], plain["_id"]);
    assert_eq!(slashed["status"], plain["status"]);
    let log = client.inspect("/requests").await;
    let endpoints: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["endpoint"])
        .collect();
    let statuses = endpoints.iter().filter(|e| **e == "publish_status").count();
    assert_eq!(
        statuses, 2,
        "both calls are classified, rate-limited and logged: {log}"
    );
}

#[tokio::test]
async fn numbers_come_back_with_the_bytes_that_went_in() {
    let dir = tempfile::tempdir().unwrap();
    let folder = write_synthetic_bot(dir.path(), "numbers");
    let literal = |n: &str| {
        format!(
            r#"{{"_id":"st-n","name":"n","mlParams":[{{"threshold":1.50,"timeout":1e3,"big":{n},"plain":7,"half":0.5}}]}}"#
        )
    };
    std::fs::write(
        folder.join("botDefinition.json"),
        literal("123456789012345678901234567890"),
    )
    .unwrap();
    let sim = start_sim(&[folder]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("numbers").id.clone();
    let exported = |zip: Vec<u8>| {
        let entries = unzip(&zip);
        let (_, bytes) = entries
            .into_iter()
            .find(|(n, _)| n == "botDefinition.json")
            .unwrap();
        String::from_utf8(bytes).unwrap()
    };
    let text = exported(client.export(admin, &bot, "latest").await);
    for token in [
        "\"threshold\": 1.50",
        "\"timeout\": 1e3",
        "\"big\": 123456789012345678901234567890",
        "\"plain\": 7",
        "\"half\": 0.5",
    ] {
        assert!(text.contains(token), "{token} in {text}");
    }
    // And through an import.
    let definition = client
        .upload(
            admin,
            literal("-98765432109876543210.000").into_bytes(),
            "json",
        )
        .await;
    let config = client
        .upload(admin, br#"{"name":"n","envVariables":[]}"#.to_vec(), "json")
        .await;
    let body = json!({"botDefinition": definition, "configInfo": config});
    let started = client
        .post(admin, &format!("/bot/{bot}/import"), body)
        .await;
    assert_eq!(started.status(), 200);
    let text = exported(client.export(admin, &bot, "latest").await);
    assert!(
        text.contains("\"big\": -98765432109876543210.000"),
        "{text}"
    );
    assert!(text.contains("\"threshold\": 1.50"), "{text}");
}
