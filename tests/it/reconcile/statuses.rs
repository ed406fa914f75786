//! Commit statuses on fake GitHub, GitLab, Gitea and Bitbucket (Cloud and
//! Server) status APIs over HTTP, posted by the running daemon: one pending
//! and one final status per bot and commit for a publish, a failure with its
//! reason, nothing for a bot in sync, and a refusing host logged once while
//! the passes go on.

use super::daemon::{phase_of, start};
use super::world::World;
use crate::support::git_host::{FakeHost, Recorded};
use crate::support::logs::capture;

pub(super) const TOKEN: &str = "status-token-5f1e-never-logged";

/// Adds a `[statuses]` section for `provider` at `host` to the world's config.
pub(super) fn configure(world: &World, provider: &str, host: &FakeHost) {
    let token = world.config.with_file_name("status-token");
    std::fs::write(&token, TOKEN).unwrap();
    let mut text = std::fs::read_to_string(&world.config).unwrap();
    text.push_str(&format!(
        "\n[statuses]\nprovider = {provider:?}\napi_url = {:?}\nrepository = \"team/bots\"\n\
         token_file = {:?}\ntarget_url = \"https://kore-gitops.example/status#{{bot}}\"\n\
         min_interval = \"0s\"\n",
        host.base,
        token.to_str().unwrap()
    ));
    std::fs::write(&world.config, text).unwrap();
}

/// The path, authorization, context and state field spelling of a provider.
fn expected(provider: &str, head: &str) -> (String, String, &'static str, [&'static str; 2]) {
    match provider {
        "github" => (
            format!("/repos/team/bots/statuses/{head}"),
            format!("Bearer {TOKEN}"),
            "context",
            ["pending", "success"],
        ),
        "gitea" => (
            format!("/repos/team/bots/statuses/{head}"),
            format!("token {TOKEN}"),
            "context",
            ["pending", "success"],
        ),
        "gitlab" => (
            format!("/projects/team%2Fbots/statuses/{head}"),
            format!("Bearer {TOKEN}"),
            "name",
            ["running", "success"],
        ),
        "bitbucket-cloud" => (
            format!("/repositories/team/bots/commit/{head}/statuses/build"),
            format!("Bearer {TOKEN}"),
            "key",
            ["INPROGRESS", "SUCCESSFUL"],
        ),
        "bitbucket-server" => (
            format!("/rest/build-status/1.0/commits/{head}"),
            format!("Bearer {TOKEN}"),
            "key",
            ["INPROGRESS", "SUCCESSFUL"],
        ),
        other => panic!("{other}"),
    }
}

pub(super) fn field<'a>(request: &'a Recorded, key: &str) -> &'a str {
    request.body[key].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_publish_posts_one_pending_and_one_final_status_on_every_host() {
    for provider in [
        "github",
        "gitlab",
        "gitea",
        "bitbucket-cloud",
        "bitbucket-server",
    ] {
        let world = World::start().await;
        let host = FakeHost::start().await;
        configure(&world, provider, &host);
        world.commit_definition("travel-desk", "a change with a status", |d| {
            d["sentences"][0]["sentence"] = "reported on the commit".into();
        });
        let head = world.head();
        let daemon = start(&world).await;
        daemon.until_both_synced().await;
        let requests = host.until_requests(2).await;
        assert_eq!(requests.len(), 2, "{provider}: {requests:#?}");
        let (path, auth, context, states) = expected(provider, &head);
        for (request, state) in requests.iter().zip(states) {
            assert_eq!(request.method, "POST");
            assert_eq!(request.path, path, "{provider}");
            assert_eq!(request.authorization.as_deref(), Some(auth.as_str()));
            assert_eq!(field(request, context), "kore-gitops/travel-desk");
            assert_eq!(field(request, "state"), state, "{provider}");
            let link = request.body["target_url"]
                .as_str()
                .or(request.body["url"].as_str());
            assert_eq!(link, Some("https://kore-gitops.example/status#travel-desk"));
        }
        let summary = field(&requests[1], "description");
        assert!(summary.contains("utterances"), "{provider}: {summary}");
        daemon.stop.notify_one();
        daemon.done.await.unwrap();
    }
}

#[tokio::test]
async fn a_failed_import_posts_a_failure_with_the_reason() {
    let world = World::start().await;
    let host = FakeHost::start().await;
    configure(&world, "github", &host);
    world.commit_definition("travel-desk", "a change the platform refuses", |d| {
        d["sentences"][0]["sentence"] = "refused".into();
    });
    let body =
        serde_json::json!({"kind": "import", "count": 1, "message": "Import refused by policy"});
    world.fault("/job-failures", body).await;
    let daemon = start(&world).await;
    daemon
        .until_status("failed", |s| phase_of(s, "travel-desk") == Some("Failed"))
        .await;
    let requests = host.until_requests(2).await;
    let states: Vec<&str> = requests.iter().map(|r| field(r, "state")).collect();
    assert_eq!(states, ["pending", "failure"], "{requests:#?}");
    let reason = field(&requests[1], "description");
    assert!(reason.contains("Import refused by policy"), "{reason}");
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_refusing_host_is_logged_once_and_the_passes_succeed() {
    let world = World::start().await;
    let host = FakeHost::start().await;
    host.refuse(403, "Resource not accessible by integration");
    configure(&world, "github", &host);
    for bot in ["travel-desk", "it-helpdesk"] {
        world.edit_file(bot, "botDefinition.json", |d| {
            d["sentences"][0]["sentence"] = "refused statuses".into();
        });
    }
    world.commit_all("two changes, statuses refused");
    let (logs, guard) = capture();
    let daemon = start(&world).await;
    daemon.until_both_synced().await;
    host.until_requests(4).await;
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
    drop(guard);
    let text = logs.text();
    let refusals: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("refuses commit statuses"))
        .collect();
    assert_eq!(refusals.len(), 1, "{text}");
    assert!(refusals[0].contains("Resource not accessible by integration"));
    assert!(refusals[0].contains("status=403"), "{}", refusals[0]);
    assert!(!text.contains(TOKEN), "the token leaked into the log");
    let note = world.head_note();
    assert!(note.contains("Synced"), "{note}");
}

#[tokio::test]
async fn a_slow_host_never_holds_a_pass() {
    let world = World::start().await;
    let host = FakeHost::start().await;
    host.slow_down(std::time::Duration::from_secs(4));
    configure(&world, "github", &host);
    world.commit_definition("travel-desk", "a change, a slow host", |d| {
        d["sentences"][0]["sentence"] = "not held up".into();
    });
    let daemon = start(&world).await;
    daemon.until_both_synced().await;
    // The pass is over while the host still sits on the pending status.
    assert_eq!(host.requests().len(), 1, "{:#?}", host.requests());
    let requests = host.until_requests(2).await;
    assert_eq!(field(&requests[1], "state"), "success");
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}
