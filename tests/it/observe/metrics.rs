//! `/metrics` after recording values: the exposition parses with a Prometheus
//! parser and carries every family with the recorded values.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use kore_gitops::observe::{CallStatus, FetchResult, PassResult, PushResult};
use kore_gitops::status::Phase;
use prometheus_parse::{Sample, Scrape, Value};

use super::harness::start;
use super::payloads::{Host, Signing};

const FAMILIES: &[&str] = &[
    "kore_gitops_build",
    "kore_gitops_reconcile_passes",
    "kore_gitops_reconcile_duration_seconds",
    "kore_gitops_phase_transitions",
    "kore_gitops_platform_requests",
    "kore_gitops_platform_retries",
    "kore_gitops_rate_limit_waits",
    "kore_gitops_rate_limit_wait_seconds",
    "kore_gitops_git_fetches",
    "kore_gitops_notes_pushes",
    "kore_gitops_queue_depth",
    "kore_gitops_last_successful_sync_timestamp_seconds",
    "kore_gitops_webhook_requests",
];

fn record(metrics: &kore_gitops::observe::Metrics) {
    metrics.reconcile_pass("greeter", PassResult::Applied, Duration::from_millis(1500));
    metrics.reconcile_pass("greeter", PassResult::Applied, Duration::from_millis(2000));
    metrics.reconcile_pass("weather", PassResult::Failed, Duration::from_millis(250));
    metrics.phase_transition("greeter", Phase::Importing);
    metrics.phase_transition("greeter", Phase::Synced);
    for _ in 0..3 {
        metrics.platform_call("import", CallStatus::Http(200));
    }
    metrics.platform_call("export", CallStatus::Http(429));
    metrics.platform_call("export", CallStatus::Transport);
    metrics.platform_retry("export");
    metrics.rate_limit_wait(Duration::from_millis(1250));
    metrics.rate_limit_wait(Duration::from_millis(250));
    metrics.git_fetch(FetchResult::Updated);
    metrics.git_fetch(FetchResult::Unchanged);
    metrics.git_fetch(FetchResult::Unchanged);
    metrics.notes_push(PushResult::Merged);
    metrics.set_queue_depth(3);
    metrics.synced_at("greeter", UNIX_EPOCH + Duration::from_secs(1_772_442_847));
}

/// The value of the sample `name` whose labels include all of `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let sample = samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .unwrap_or_else(|| panic!("no sample {name}{labels:?}"));
    match sample.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
        ref other => panic!("{name}: unexpected {other:?}"),
    }
}

#[tokio::test]
async fn metrics_parse_and_carry_every_family_and_value() {
    let server = start(Host::GitHub.repository()).await;
    record(server.state.metrics());
    let body = Host::GitHub.push("main");
    for signing in [Signing::Correct, Signing::Missing] {
        let headers = Host::GitHub.headers("push", &body, signing);
        let mut request = server.http.post(server.url("/webhook")).body(body.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send().await.expect("answer");
    }

    let response = server
        .http
        .get(server.url("/metrics"))
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.expect("text");
    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with EOF");
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("exposition parses");

    let docs: &HashMap<String, String> = &scrape.docs;
    for family in FAMILIES {
        assert!(
            docs.get(*family).is_some_and(|help| !help.is_empty()),
            "no HELP for {family}\n{text}"
        );
    }
    let s = &scrape.samples;
    assert_eq!(
        value(s, "kore_gitops_build_info", &[("version", "9.9.9-test")]),
        1.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_reconcile_passes_total",
            &[("bot", "greeter"), ("result", "applied")]
        ),
        2.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_reconcile_passes_total",
            &[("bot", "weather"), ("result", "failed")]
        ),
        1.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_reconcile_duration_seconds_count",
            &[("bot", "greeter")]
        ),
        2.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_reconcile_duration_seconds_sum",
            &[("bot", "greeter")]
        ),
        3.5
    );
    let histogram = s
        .iter()
        .find(|x| {
            x.metric == "kore_gitops_reconcile_duration_seconds"
                && x.labels.get("bot") == Some("greeter")
        })
        .expect("histogram buckets");
    let Value::Histogram(buckets) = &histogram.value else {
        panic!("{:?}", histogram.value)
    };
    let under_1_6 = buckets
        .iter()
        .find(|b| b.less_than == 1.6)
        .expect("bucket 1.6")
        .count;
    assert_eq!(under_1_6, 1.0, "1.5 s falls under 1.6, 2.0 s does not");
    assert_eq!(
        value(
            s,
            "kore_gitops_phase_transitions_total",
            &[("bot", "greeter"), ("phase", "Importing")]
        ),
        1.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_platform_requests_total",
            &[("operation", "import"), ("status", "200")]
        ),
        3.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_platform_requests_total",
            &[("operation", "export"), ("status", "429")]
        ),
        1.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_platform_requests_total",
            &[("status", "transport_error")]
        ),
        1.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_platform_retries_total",
            &[("operation", "export")]
        ),
        1.0
    );
    assert_eq!(value(s, "kore_gitops_rate_limit_waits_total", &[]), 2.0);
    assert_eq!(
        value(s, "kore_gitops_rate_limit_wait_seconds_total", &[]),
        1.5
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_git_fetches_total",
            &[("result", "unchanged")]
        ),
        2.0
    );
    assert_eq!(
        value(s, "kore_gitops_notes_pushes_total", &[("result", "merged")]),
        1.0
    );
    assert_eq!(value(s, "kore_gitops_queue_depth", &[]), 3.0);
    assert_eq!(
        value(
            s,
            "kore_gitops_last_successful_sync_timestamp_seconds",
            &[("bot", "greeter")]
        ),
        1_772_442_847.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_webhook_requests_total",
            &[("host", "github"), ("outcome", "triggered")]
        ),
        1.0
    );
    assert_eq!(
        value(
            s,
            "kore_gitops_webhook_requests_total",
            &[("host", "github"), ("outcome", "unauthorized")]
        ),
        1.0
    );
    for (family, kind) in [
        ("reconcile_passes", "counter"),
        ("reconcile_duration_seconds", "histogram"),
        ("queue_depth", "gauge"),
    ] {
        assert!(
            text.contains(&format!("# TYPE kore_gitops_{family} {kind}\n")),
            "{family} is a {kind}"
        );
    }
    server.stop().await;
}
