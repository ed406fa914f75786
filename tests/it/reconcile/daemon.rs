//! The daemon as it runs in a cluster: triggered by commits (local watch) and
//! by hand (`/trigger`), reporting on `/status`, `/readyz` and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use kore_gitops::observe::{ObserveState, serve};
use kore_gitops::reconcile::Daemon;
use prometheus_parse::{Scrape, Value as Sample};
use serde_json::Value;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::world::{TRIGGER_TOKEN, World};
use crate::support::git::git;
use crate::support::logs::capture;

pub(super) struct Running {
    pub(super) base: String,
    pub(super) http: reqwest::Client,
    pub(super) stop: Arc<Notify>,
    pub(super) done: tokio::task::JoinHandle<usize>,
}

pub(super) async fn start(world: &World) -> Running {
    start_with(world.load_config()).await
}

/// The daemon of `config`, with its endpoints on a loopback port.
pub(super) async fn start_with(config: kore_gitops::config::Config) -> Running {
    let (observe, triggers) = ObserveState::for_config(&config, "test");
    let daemon = Daemon::start_observed(config, false, Some((observe.clone(), triggers)))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(Notify::new());
    tokio::spawn(serve(listener, observe, std::future::pending()));
    let done = tokio::spawn(daemon.run(stop.clone(), Arc::new(Notify::new())));
    Running {
        base,
        http: reqwest::Client::new(),
        stop,
        done,
    }
}

impl Running {
    pub(super) async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Waits until `/status` satisfies `check` (at most 20 s).
    pub(super) async fn until_status(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, body) = self.get("/status").await;
            let status: Value = serde_json::from_str(&body).unwrap();
            if check(&status) {
                return status;
            }
            assert!(Instant::now() < deadline, "never {what}: {status}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until both example bots are Synced (at most 20 s).
    pub(super) async fn until_both_synced(&self) -> Value {
        self.until_status("both synced", |s| {
            phase_of(s, "travel-desk") == Some("Synced")
                && phase_of(s, "it-helpdesk") == Some("Synced")
        })
        .await
    }

    pub(super) fn sample(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .unwrap_or_else(|| panic!("no sample {name}{labels:?}"));
        match sample.value {
            Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => v,
            ref other => panic!("{name}: {other:?}"),
        }
    }

    pub(super) async fn scrape(&self) -> Scrape {
        let (code, text) = self.get("/metrics").await;
        assert_eq!(code, 200);
        Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("the exposition parses")
    }
}

pub(super) fn phase_of<'a>(status: &'a Value, bot: &str) -> Option<&'a str> {
    entry(status, bot)["phase"].as_str()
}

#[tokio::test]
async fn a_push_is_reconciled_and_reported_on_status_readyz_and_metrics() {
    let world = World::start().await;
    let daemon = start(&world).await;
    daemon.until_both_synced().await;
    assert_eq!(daemon.get("/readyz").await.0, 200);

    world.commit_definition("travel-desk", "a pushed change", |d| {
        d["sentences"][0]["sentence"] = "pushed while the daemon runs".into();
    });
    let pushed = Instant::now();
    let status = daemon
        .until_status("the change applied", |s| {
            s["bots"].as_array().unwrap().iter().any(|b| {
                // The running pass shows the same summary while it imports.
                b["bot"] == "travel-desk"
                    && b["phase"] == "Synced"
                    && b["summary"].as_str().unwrap_or("").contains("Book Flight")
            })
        })
        .await;
    assert_eq!(phase_of(&status, "travel-desk"), Some("Synced"), "{status}");
    assert!(pushed.elapsed() < Duration::from_secs(20));
    let bot = world.bot("travel-desk").await;
    assert_eq!(
        (&bot["imports"], &bot["publishes"]),
        (&1.into(), &1.into()),
        "{bot}"
    );

    // By hand: refused without the token, one more pass with it.
    let url = format!("{}/trigger/travel-desk", daemon.base);
    let refused = daemon.http.post(&url).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let before = Running::sample(
        &daemon.scrape().await,
        "kore_gitops_reconcile_passes_total",
        &[("bot", "travel-desk"), ("result", "unchanged")],
    );
    let accepted = daemon
        .http
        .post(&url)
        .bearer_auth(TRIGGER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    let scrape = loop {
        let scrape = daemon.scrape().await;
        let passes = Running::sample(
            &scrape,
            "kore_gitops_reconcile_passes_total",
            &[("bot", "travel-desk"), ("result", "unchanged")],
        );
        // Notes are pushed in batches, shortly after the passes.
        let pushed = Running::sample(
            &scrape,
            "kore_gitops_notes_pushes_total",
            &[("result", "pushed")],
        );
        if passes > before && pushed >= 1.0 {
            break scrape;
        }
        assert!(
            Instant::now() < deadline,
            "the manual trigger ran no pass, or no note was pushed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    let s = |name, labels: &[(&str, &str)]| Running::sample(&scrape, name, labels);
    assert_eq!(
        s(
            "kore_gitops_reconcile_passes_total",
            &[("bot", "travel-desk"), ("result", "applied")]
        ),
        1.0
    );
    assert!(
        s(
            "kore_gitops_platform_requests_total",
            &[("operation", "import"), ("status", "200")]
        ) >= 1.0
    );
    assert!(
        s(
            "kore_gitops_platform_requests_total",
            &[("operation", "export"), ("status", "200")]
        ) >= 4.0
    );
    assert!(s("kore_gitops_git_fetches_total", &[("result", "updated")]) >= 2.0);
    assert!(s("kore_gitops_notes_pushes_total", &[("result", "pushed")]) >= 1.0);
    assert!(
        s(
            "kore_gitops_phase_transitions_total",
            &[("bot", "travel-desk"), ("phase", "Publishing")]
        ) >= 1.0
    );
    assert!(
        s(
            "kore_gitops_last_successful_sync_timestamp_seconds",
            &[("bot", "it-helpdesk")]
        ) > 1.7e9
    );
    assert_eq!(s("kore_gitops_build_info", &[("version", "test")]), 1.0);

    daemon.stop.notify_one();
    assert_eq!(
        daemon.done.await.unwrap(),
        0,
        "a clean stop leaves no pass behind"
    );
}

/// The status entry of `bot`, for assertions.
pub(super) fn entry<'a>(status: &'a Value, bot: &str) -> &'a Value {
    status["bots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bot"] == bot)
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn a_newer_commit_supersedes_a_failing_one_at_once() {
    let world = World::start().await;
    let daemon = start(&world).await;
    daemon
        .until_status("both synced", |s| {
            phase_of(s, "travel-desk") == Some("Synced")
        })
        .await;

    // A broken commit: permanent, it waits for a new commit.
    let definition = world.work.join("bots/travel-desk/botDefinition.json");
    std::fs::write(&definition, "{ not json").unwrap();
    world.commit_all("a broken definition");
    let failed = daemon
        .until_status("the broken commit failed", |s| {
            phase_of(s, "travel-desk") == Some("Failed")
        })
        .await;
    let error = entry(&failed, "travel-desk")["error"].to_string();
    assert!(error.contains("botDefinition.json"), "{failed}");

    // The fix, whose first training fails: transient, retried after a backoff.
    world
        .fault(
            "/job-failures",
            serde_json::json!({"kind": "train", "count": 1}),
        )
        .await;
    git(
        &world.work,
        &[
            "checkout",
            "HEAD~1",
            "--",
            "bots/travel-desk/botDefinition.json",
        ],
    );
    world.commit_definition("travel-desk", "the fix", |d| {
        d["sentences"][0]["sentence"] = "the fixed utterance".into();
    });
    let retrying = daemon
        .until_status("the fix's training failed", |s| {
            entry(s, "travel-desk")["error"]
                .as_str()
                .is_some_and(|e| e.contains("retrying in"))
        })
        .await;
    let first_fix = entry(&retrying, "travel-desk")["commit"].clone();

    // A newer commit does not wait for that retry's backoff (5 s).
    world.commit_definition("travel-desk", "a newer change", |d| {
        d["sentences"][0]["sentence"] = "the newest utterance".into();
    });
    let pushed = Instant::now();
    let status = daemon
        .until_status("the newer commit synced", |s| {
            let bot = entry(s, "travel-desk");
            bot["phase"] == "Synced" && bot["commit"] != first_fix
        })
        .await;
    assert!(
        pushed.elapsed() < Duration::from_secs(4),
        "the newer commit waited for the old one's backoff: {:?} {status}",
        pushed.elapsed()
    );
    let bot = world.bot("travel-desk").await;
    assert_eq!(
        bot["publishes"], 1,
        "only the newest commit published: {bot}"
    );
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_broken_remote_is_retried_with_backoff_however_busy_its_refs() {
    let world = World::start().await;
    let (buffer, guard) = capture();
    let daemon = start(&world).await;
    daemon
        .until_status("synced", |s| phase_of(s, "travel-desk") == Some("Synced"))
        .await;
    let remote = git(&world.work, &["remote", "get-url", "origin"]);
    let remote = std::path::PathBuf::from(remote.trim());
    // Every fetch fails, while something keeps writing under refs/ (a
    // repository being rewritten): each write fires the watch.
    std::fs::remove_dir_all(remote.join("objects")).unwrap();
    for n in 0..30 {
        std::fs::write(remote.join("refs/heads/busy"), format!("{n}\n")).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failures = buffer.text().matches("git fetch failed").count();
    assert!(
        (1..=2).contains(&failures),
        "one failure, then the backoff (5 s): {failures} failures in 1.5 s"
    );
    let (_, body) = daemon.get("/status").await;
    assert!(
        body.contains("Synced"),
        "the last good commit stays: {body}"
    );
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
    drop(guard);
}

#[tokio::test]
async fn a_trigger_wakes_a_bot_parked_until_a_new_commit() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "a change the platform refuses once", |d| {
        d["sentences"][0]["sentence"] = "refused once, then fine".into();
    });
    let body = serde_json::json!({"kind": "import", "count": 1, "message": "Import refused once"});
    world.fault("/job-failures", body).await;
    let daemon = start(&world).await;
    let parked = daemon
        .until_status("parked", |s| phase_of(s, "travel-desk") == Some("Failed"))
        .await;
    let summary = entry(&parked, "travel-desk")["summary"].to_string();
    assert!(summary.contains("waiting for a new commit"), "{parked}");
    let url = format!("{}/trigger/travel-desk", daemon.base);
    let accepted = daemon
        .http
        .post(&url)
        .bearer_auth(TRIGGER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    daemon
        .until_status("woken and synced", |s| {
            phase_of(s, "travel-desk") == Some("Synced")
        })
        .await;
    let bot = world.bot("travel-desk").await;
    assert_eq!(bot["publishes"], 1, "{bot}");
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}
