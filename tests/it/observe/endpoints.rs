//! Health, readiness, status and the manual trigger over real HTTP.

use chrono::{TimeZone, Utc};
use kore_gitops::desired::TargetKey;
use kore_gitops::ids::CommitId;
use kore_gitops::observe::{BotReport, Trigger};
use kore_gitops::status::Phase;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::harness::{Options, Server, TRIGGER_TOKEN, start, start_with};

const REPOSITORY: &str = "https://github.com/acme/kore-bots.git";

async fn get(server: &Server, path: &str) -> (StatusCode, Value) {
    let response = server
        .http
        .get(server.url(path))
        .send()
        .await
        .expect("answer");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn readyz_names_what_is_missing_until_all_three_are_set() {
    let server = start(REPOSITORY).await;
    server.assert_alive().await;
    let readiness = server.state.readiness();
    let (status, body) = get(&server, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"ready": false, "missing": ["config", "mirror", "platform"]})
    );

    readiness.set_config_loaded(true);
    readiness.set_mirror_fetched(true);
    let (status, body) = get(&server, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["missing"], json!(["platform"]));

    readiness.set_platform_reachable(true);
    assert_eq!(
        get(&server, "/readyz").await,
        (StatusCode::OK, json!({"ready": true}))
    );

    readiness.set_platform_reachable(false);
    let (status, body) = get(&server, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["missing"], json!(["platform"]));
    server.assert_alive().await;
    server.stop().await;
}

fn report(bot: &str, phase: Phase, error: Option<&str>) -> BotReport {
    BotReport {
        bot: bot.to_owned(),
        target: TargetKey::parse(bot),
        phase,
        commit: Some(
            "9f2c1b7e4d3a5f60718293a4b5c6d7e8f9012345"
                .parse::<CommitId>()
                .expect("commit id"),
        ),
        summary: "dialogs: 1 changed".to_owned(),
        error: error.map(str::to_owned),
        updated: Utc
            .with_ymd_and_hms(2026, 3, 2, 9, 14, 7)
            .single()
            .expect("time"),
        next_attempt: None,
        last_synced: None,
    }
}

#[tokio::test]
async fn status_lists_every_bot_last_result_by_name() {
    let server = start(REPOSITORY).await;
    assert_eq!(
        get(&server, "/status").await,
        (StatusCode::OK, json!({"bots": []}))
    );
    server
        .state
        .update_report(report("weather", Phase::Synced, None));
    server
        .state
        .update_report(report("greeter", Phase::Training, None));
    server.state.update_report(report(
        "greeter",
        Phase::Failed,
        Some("training failed: job tj-1 ended with status failed"),
    ));
    let (status, body) = get(&server, "/status").await;
    assert_eq!(status, StatusCode::OK);
    let bots = body["bots"].as_array().expect("array");
    assert_eq!(bots.len(), 2);
    assert_eq!(bots[0]["bot"], "greeter");
    assert_eq!(bots[0]["phase"], "Failed");
    assert_eq!(
        bots[0]["error"],
        "training failed: job tj-1 ended with status failed"
    );
    assert_eq!(
        bots[0]["commit"],
        "9f2c1b7e4d3a5f60718293a4b5c6d7e8f9012345"
    );
    assert_eq!(bots[0]["updated"], "2026-03-02T09:14:07Z");
    assert_eq!(bots[0]["next_attempt"], Value::Null);
    assert_eq!(bots[1]["bot"], "weather");
    assert_eq!(bots[1]["phase"], "Synced");
    // The key's parts are fields of their own.
    assert_eq!(
        (&bots[1]["folder"], &bots[1]["environment"]),
        (&json!("weather"), &Value::Null)
    );
    server
        .state
        .update_report(report("travel-desk/prod", Phase::Synced, None));
    let (_, body) = get(&server, "/status").await;
    let prod = &body["bots"][1];
    assert_eq!(prod["bot"], "travel-desk/prod");
    assert_eq!(
        (&prod["folder"], &prod["environment"]),
        (&json!("travel-desk"), &json!("prod"))
    );
    server.state.remove_report("weather");
    server.state.remove_report("travel-desk/prod");
    let (_, body) = get(&server, "/status").await;
    assert_eq!(body["bots"].as_array().map(Vec::len), Some(1));
    server.stop().await;
}

async fn trigger(
    server: &Server,
    bot: &str,
    authorization: Option<&str>,
) -> (StatusCode, Option<String>) {
    let mut request = server.http.post(server.url(&format!("/trigger/{bot}")));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.expect("answer");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status(), challenge)
}

#[tokio::test]
async fn trigger_needs_the_bearer_token_and_knows_the_bots() {
    let mut server = start(REPOSITORY).await;
    let good = format!("Bearer {TRIGGER_TOKEN}");
    let refused = [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer wrong-token".to_owned()),
        Some(format!("Bearer {TRIGGER_TOKEN}x")),
        Some(format!("Basic {TRIGGER_TOKEN}")),
        Some(TRIGGER_TOKEN.to_owned()),
    ];
    for authorization in &refused {
        let answer = trigger(&server, "greeter", authorization.as_deref()).await;
        assert_eq!(
            answer,
            (StatusCode::UNAUTHORIZED, Some("Bearer".to_owned())),
            "{authorization:?}"
        );
    }
    server.assert_no_trigger("refused manual triggers");

    // The bot list is not known yet: any name is handed over.
    assert_eq!(
        trigger(&server, "greeter", Some(&good)).await.0,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        server.triggers.try_recv().ok(),
        Some(Trigger::Bot("greeter".to_owned()))
    );

    server
        .state
        .set_known_bots(["greeter".to_owned(), "weather".to_owned()]);
    assert_eq!(
        trigger(&server, "nosuchbot", Some(&good)).await.0,
        StatusCode::NOT_FOUND
    );
    // Unknown bot without a token: 401, the bot list does not leak.
    assert_eq!(
        trigger(&server, "nosuchbot", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    server.assert_no_trigger("unknown bot");
    let lower = format!("bearer {TRIGGER_TOKEN}");
    assert_eq!(
        trigger(&server, "weather", Some(&lower)).await.0,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        server.triggers.try_recv().ok(),
        Some(Trigger::Bot("weather".to_owned()))
    );
    server.stop().await;
}

#[tokio::test]
async fn trigger_is_off_without_a_token() {
    let mut server = start_with(Options {
        repository: Some(REPOSITORY),
        trigger_token: false,
    })
    .await;
    let answer = trigger(&server, "greeter", Some(&format!("Bearer {TRIGGER_TOKEN}"))).await;
    assert_eq!(answer.0, StatusCode::NOT_FOUND);
    server.assert_no_trigger("trigger off");
    server.stop().await;
}
