//! Notifications to a fake generic webhook and a fake Slack incoming webhook:
//! a publish and a failure told once each per bot and commit, nothing for a
//! bot in sync, and no secret in any message.

use super::daemon::{phase_of, start};
use super::world::World;
use crate::support::git_host::{FakeHost, Recorded};

/// Adds a `[notify]` section sending both kinds to `receiver`.
fn configure(world: &World, receiver: &FakeHost) {
    let webhook = world.config.with_file_name("notify-webhook-url");
    std::fs::write(
        &webhook,
        format!("{}/hook?key=receiver-secret-1", receiver.base),
    )
    .unwrap();
    let slack = world.config.with_file_name("notify-slack-url");
    std::fs::write(
        &slack,
        format!("{}/services/T0/B0/slack-secret-2", receiver.base),
    )
    .unwrap();
    let mut text = std::fs::read_to_string(&world.config).unwrap();
    text.push_str(&format!(
        "\n[notify]\nwebhook_url_file = {:?}\nslack_url_file = {:?}\n",
        webhook.to_str().unwrap(),
        slack.to_str().unwrap()
    ));
    std::fs::write(&world.config, text).unwrap();
}

fn of<'a>(requests: &'a [Recorded], path_start: &str) -> Vec<&'a Recorded> {
    requests
        .iter()
        .filter(|r| r.path.starts_with(path_start))
        .collect()
}

#[tokio::test]
async fn a_publish_and_a_failure_are_told_once_each_without_secrets() {
    let world = World::start().await;
    let receiver = FakeHost::start().await;
    configure(&world, &receiver);
    world.commit_definition("travel-desk", "a change worth telling", |d| {
        d["sentences"][0]["sentence"] = "told to the team".into();
    });
    let head = world.head();
    let daemon = start(&world).await;
    daemon.until_both_synced().await;
    // A second pass of the same commit tells nothing new.
    pass_now(&daemon, "travel-desk").await;
    let requests = receiver.until_requests(2).await;
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let hook = of(&requests, "/hook");
    assert_eq!(hook.len(), 1, "{requests:#?}");
    let body = &hook[0].body;
    assert_eq!(body["bot"], "travel-desk");
    assert_eq!(body["outcome"], "published");
    assert_eq!(body["commit"], head.as_str());
    assert!(
        body["summary"].as_str().unwrap().contains("utterances"),
        "{body}"
    );
    let slack = of(&requests, "/services/");
    assert_eq!(slack.len(), 1, "{requests:#?}");
    let text = slack[0].body["text"].as_str().unwrap();
    assert!(
        text.contains("travel-desk") && text.contains("published"),
        "{text}"
    );

    // A failed import of the next commit: one "failed" each.
    world
        .fault(
            "/job-failures",
            serde_json::json!({"kind": "import", "count": 1, "message": "Import refused, told"}),
        )
        .await;
    world.commit_definition("travel-desk", "a change the platform refuses", |d| {
        d["sentences"][0]["sentence"] = "refused and told".into();
    });
    daemon
        .until_status("failed", |s| phase_of(s, "travel-desk") == Some("Failed"))
        .await;
    let all = receiver.until_requests(4).await;
    let failed: Vec<_> = all
        .iter()
        .filter(|r| r.body["outcome"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{all:#?}");
    assert!(
        failed[0].body["error"]
            .as_str()
            .unwrap()
            .contains("Import refused, told")
    );
    assert_eq!(all.len(), 4, "{all:#?}");

    let secret = &world.sim.credentials.app("admin").client_secret;
    for request in &all {
        let text = request.body.to_string();
        for hidden in [
            secret.as_str(),
            "receiver-secret-1",
            "slack-secret-2",
            super::world::TRIGGER_TOKEN,
        ] {
            assert!(!text.contains(hidden), "a secret in {text}");
        }
    }
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

/// Asks the daemon for a pass of `bot` and waits until it was handled.
async fn pass_now(daemon: &super::daemon::Running, bot: &str) {
    let token = super::world::TRIGGER_TOKEN;
    let url = format!("{}/trigger/{bot}", daemon.base);
    let answer = daemon
        .http
        .post(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    let answer: serde_json::Value = answer.json().await.unwrap();
    let handled = format!(
        "{}/requests/{}",
        daemon.base,
        answer["request"].as_str().unwrap()
    );
    for _ in 0..1000 {
        let state: serde_json::Value = daemon
            .http
            .get(&handled)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if state["state"] == "handled" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the pass of {bot} was never handled");
}

#[tokio::test]
async fn a_restarted_daemon_does_not_tell_the_same_drift_again() {
    let world = World::start().await;
    let receiver = FakeHost::start().await;
    configure(&world, &receiver);
    let text = std::fs::read_to_string(&world.config).unwrap();
    let text = text.replace("[daemon]\n", "[daemon]\ndrift = \"report\"\n");
    std::fs::write(&world.config, text).unwrap();
    let daemon = start(&world).await;
    daemon.until_both_synced().await;
    world
        .edit_live("travel-desk", |d| {
            d["sentences"][0]["sentence"] = "edited in the UI".into();
        })
        .await;
    pass_now(&daemon, "travel-desk").await;
    let told = receiver.until_requests(2).await;
    let hook = of(&told, "/hook");
    assert_eq!(hook.len(), 1, "{told:#?}");
    assert_eq!(hook[0].body["outcome"], "drift_found");
    daemon.stop.notify_one();
    daemon.done.await.unwrap();

    // The same drift of the same commit, found again after a restart.
    let daemon = start(&world).await;
    pass_now(&daemon, "travel-desk").await;
    daemon
        .until_status("drifted", |s| phase_of(s, "travel-desk") == Some("Drifted"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.requests().len(), 2, "{:#?}", receiver.requests());
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}
