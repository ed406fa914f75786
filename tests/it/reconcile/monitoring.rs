//! What a Prometheus user scrapes from the running daemon after passes that
//! include a failure: the classic text format by default, which `promtool
//! check metrics` accepts; OpenMetrics when asked; a `bot_info` series per
//! bot on its current phase; every bot's counters present at zero.

use std::io::Write;
use std::process::{Command, Stdio};

use prometheus_parse::Scrape;

use super::daemon::{Running, phase_of, start};
use super::world::World;
use crate::observe::monitoring::promtool;

/// `promtool check metrics` on `exposition`: (success, what it said).
fn check_metrics(exposition: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(exposition.as_bytes()).expect("written");
    drop(stdin);
    let output = child.wait_with_output().expect("promtool ends");
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}

#[tokio::test]
async fn a_scrape_after_a_failed_pass_passes_promtool_and_names_each_bot_phase() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "a change the platform refuses", |d| {
        d["sentences"][0]["sentence"] = "refused by the platform".into();
    });
    let body = serde_json::json!({"kind": "import", "count": 1, "message": "Import refused"});
    world.fault("/job-failures", body).await;
    let daemon = start(&world).await;
    daemon
        .until_status("one failed, one synced", |s| {
            phase_of(s, "travel-desk") == Some("Failed")
                && phase_of(s, "it-helpdesk") == Some("Synced")
        })
        .await;

    let response = daemon
        .http
        .get(format!("{}/metrics", daemon.base))
        .send()
        .await
        .unwrap();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let classic = response.text().await.unwrap();
    assert!(!classic.contains("# EOF"), "{classic}");
    if promtool() {
        let (ok, said) = check_metrics(&classic);
        assert!(ok && said.trim().is_empty(), "promtool: {said}\n{classic}");
    }

    let scrape = Scrape::parse(classic.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let info = |bot: &str, phase: &str| {
        Running::sample(
            &scrape,
            "kore_gitops_bot_info",
            &[("bot", bot), ("phase", phase)],
        )
    };
    assert_eq!(info("travel-desk", "Failed"), 1.0);
    assert_eq!(info("it-helpdesk", "Synced"), 1.0);
    let series_of = |bot: &str| {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == "kore_gitops_bot_info" && s.labels.get("bot") == Some(bot))
            .count()
    };
    assert_eq!(series_of("travel-desk"), 1, "one phase per bot:\n{classic}");
    let passes = |bot: &str, result: &str| {
        Running::sample(
            &scrape,
            "kore_gitops_reconcile_passes_total",
            &[("bot", bot), ("result", result)],
        )
    };
    assert_eq!(passes("travel-desk", "failed"), 1.0);
    // Present at zero, so that increase() sees the first one.
    assert_eq!(passes("it-helpdesk", "failed"), 0.0);
    assert_eq!(passes("it-helpdesk", "applied"), 0.0);
    assert_eq!(
        Running::sample(&scrape, "kore_gitops_platform_up", &[]),
        1.0
    );

    let open = daemon
        .http
        .get(format!("{}/metrics", daemon.base))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
        )
        .send()
        .await
        .unwrap();
    let content_type = open.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert!(open.text().await.unwrap().ends_with("# EOF\n"));
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[test]
fn promtool_refuses_the_openmetrics_exposition_as_classic_text() {
    // The reason for the conversion: the OpenMetrics form fails the check.
    if !promtool() {
        return;
    }
    let metrics = kore_gitops::observe::Metrics::new("test");
    metrics.register_bot("travel-desk");
    let open = metrics.render(kore_gitops::observe::Format::OpenMetrics);
    assert!(!check_metrics(&open).0, "{open}");
    let classic = metrics.render(kore_gitops::observe::Format::Classic);
    let (ok, said) = check_metrics(&classic);
    assert!(ok && said.trim().is_empty(), "{said}\n{classic}");
}
