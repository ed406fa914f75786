//! The monitoring pack in `deploy/kubernetes/monitoring`: every alert of the
//! PrometheusRule fires and resolves under `promtool test rules`, the rules and
//! the dashboard name only metrics the daemon exports, and the ServiceMonitor
//! scrapes the Service's port.
//!
//! ServiceMonitor and PrometheusRule are Prometheus Operator CRDs, which
//! `kubernetes-validate` has no schema for (it only warns): the test checks
//! that it says so, and checks the rules with promtool and the fields the
//! operator reads here, rather than claiming a schema validation that did not
//! happen.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use kore_gitops::observe::{Format, Metrics};
use serde_json::Value;

use super::deploy::{read, tool_available, validator, yaml_document, yaml_documents};

const PACK: &str = "kubernetes/monitoring";

/// `promtool` from the distribution's `prometheus` package (`.ci/run`).
pub fn promtool() -> bool {
    tool_available("promtool", true)
}

/// The PrometheusRule's `spec` (the rule groups), as promtool reads them.
fn rule_groups() -> Value {
    let rule = yaml_document(&format!("{PACK}/prometheusrule.yaml"));
    assert_eq!(rule["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(rule["kind"], "PrometheusRule");
    rule["spec"].clone()
}

/// `promtool ARGS…` in `dir`: (success, output).
fn run_promtool(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("promtool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn every_shipped_alert_fires_and_resolves_under_promtool() {
    if !promtool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // JSON is YAML: the groups go to promtool exactly as the CRD holds them.
    let groups = serde_json::to_string_pretty(&rule_groups()).unwrap();
    std::fs::write(dir.path().join("rules.yaml"), groups).unwrap();
    let tests = read(&format!("{PACK}/alerts.test.yaml"));
    std::fs::write(dir.path().join("alerts.test.yaml"), &tests).unwrap();
    let (ok, report) = run_promtool(dir.path(), &["check", "rules", "rules.yaml"]);
    assert!(ok, "{report}");
    let (ok, report) = run_promtool(dir.path(), &["test", "rules", "alerts.test.yaml"]);
    assert!(ok, "{report}");

    // Every alert has a test that sees it fire, and one that sees it gone.
    for alert in alert_names() {
        let cases: Vec<&str> = tests
            .split("- eval_time:")
            .filter(|case| case.contains(&format!("alertname: {alert}\n")))
            .collect();
        assert!(
            cases.iter().any(|c| c.contains("exp_labels")),
            "{alert} is never seen firing"
        );
        assert!(
            cases.iter().any(|c| c.contains("exp_alerts: []")),
            "{alert} is never seen resolved"
        );
    }
}

#[test]
fn a_broken_alert_fails_its_promtool_test() {
    if !promtool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let groups = serde_json::to_string(&rule_groups())
        .unwrap()
        .replace("\"for\":\"30m\"", "\"for\":\"45m\"");
    std::fs::write(dir.path().join("rules.yaml"), groups).unwrap();
    let tests = read(&format!("{PACK}/alerts.test.yaml"));
    std::fs::write(dir.path().join("alerts.test.yaml"), tests).unwrap();
    let (ok, report) = run_promtool(dir.path(), &["test", "rules", "alerts.test.yaml"]);
    assert!(
        !ok,
        "a failing alert that waits 45 min must fail:\n{report}"
    );
}

fn alert_names() -> Vec<String> {
    rule_groups()["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules").iter())
        .map(|r| r["alert"].as_str().expect("an alert").to_owned())
        .collect()
}

/// Every `kore_gitops_…` name in `text`.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("kore_gitops_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_rules_and_the_dashboard_name_only_metrics_the_daemon_exports() {
    let metrics = Metrics::new("test");
    metrics.register_bot("travel-desk");
    // A family shows in a scrape once it has a series.
    metrics.synced_now("travel-desk");
    metrics.set_queue_depth(0);
    metrics.platform_retry("export");
    metrics.platform_call("export", kore_gitops::observe::CallStatus::Http(200));
    metrics.webhook("github", kore_gitops::observe::WebhookOutcome::Triggered);
    let exported = metric_names(&metrics.render(Format::Classic));
    let dashboard = read(&format!("{PACK}/dashboard.json"));
    let parsed: Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    assert!(!parsed["panels"].as_array().expect("panels").is_empty());
    let rules = rule_groups().to_string();
    for (what, text) in [("rules", &rules), ("dashboard", &dashboard)] {
        let used = metric_names(text);
        assert!(!used.is_empty(), "{what} uses no metric");
        let unknown: Vec<&String> = used.difference(&exported).collect();
        assert!(unknown.is_empty(), "{what} uses {unknown:?}, not exported");
    }
}

#[test]
fn the_service_monitor_scrapes_the_service_port_and_the_pack_is_complete() {
    let kustomization = yaml_document(&format!("{PACK}/kustomization.yaml"));
    let resources: Vec<&str> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(resources, ["servicemonitor.yaml", "prometheusrule.yaml"]);
    let generated = &kustomization["configMapGenerator"][0];
    assert_eq!(generated["files"][0], "dashboard.json");
    assert_eq!(generated["options"]["labels"]["grafana_dashboard"], "1");

    let monitor = yaml_document(&format!("{PACK}/servicemonitor.yaml"));
    assert_eq!(monitor["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(monitor["kind"], "ServiceMonitor");
    let service = yaml_document("kubernetes/service.yaml");
    let base = yaml_document("kubernetes/kustomization.yaml");
    // The base's kustomize labels are what the Service carries once built.
    let labels = &base["labels"][0]["pairs"];
    for (key, value) in monitor["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("matchLabels")
    {
        assert_eq!(
            &labels[key], value,
            "the Service has no label {key}={value}"
        );
    }
    let ports: Vec<&Value> = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    let endpoint = &monitor["spec"]["endpoints"][0];
    assert!(
        ports.contains(&&endpoint["port"]),
        "{endpoint} vs {ports:?}"
    );
    assert_eq!(endpoint["path"], "/metrics");

    // Said plainly: the Kubernetes schemas do not cover these CRDs.
    if validator() {
        for file in resources {
            let path = super::deploy::deploy_dir().join(PACK).join(file);
            let output = Command::new("kubernetes-validate")
                .args(["--strict"])
                .arg(&path)
                .output()
                .expect("kubernetes-validate runs");
            let said = String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr);
            assert!(said.contains("Couldn't find schema"), "{file}: {said}");
        }
    }
    assert_eq!(
        yaml_documents(&format!("{PACK}/prometheusrule.yaml")).len(),
        1
    );
}
