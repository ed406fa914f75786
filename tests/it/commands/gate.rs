//! `validate` checks batch test suites and `[gate]` offline, and `plan` says
//! which suites a publish would run first.

use std::fs;
use std::path::Path;

use super::kore_gitops;
use crate::reconcile::world::World;

/// A copy of the example it-helpdesk at `bots/<name>` with this `[gate]`
/// (appended to its `bot.toml`) and this `tests/smoke.json`.
fn gated_bot(root: &Path, name: &str, gate: &str, suite: &str) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots/it-helpdesk");
    let folder = root.join("bots").join(name);
    fs::create_dir_all(folder.join("tests")).unwrap();
    for entry in fs::read_dir(example).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
    }
    let settings = format!("bot_name = \"{name}\"\nlanguages = [\"en\", \"es\"]\n{gate}");
    fs::write(folder.join("bot.toml"), settings).unwrap();
    fs::write(folder.join("tests/smoke.json"), suite).unwrap();
}

const GATE: &str = "[gate]\napp = \"helpdesk\"\nmin_f1 = 0.9\n";
const GOOD: &str = r#"{"testCases": [{"input": "reset my password", "intent": "Reset Password"}]}"#;

#[tokio::test]
async fn validate_names_malformed_suites_and_a_gate_without_an_app() {
    let root = tempfile::tempdir().unwrap();
    gated_bot(root.path(), "good", GATE, GOOD);
    let long = format!(
        r#"{{"testCases": [{{"input": "{}", "intent": "Reset Password"}}]}}"#,
        "a".repeat(3001)
    );
    gated_bot(root.path(), "long-input", GATE, &long);
    let unknown = r#"{"testCases": [{"input": "a pizza", "intent": "Order Pizza"}]}"#;
    gated_bot(root.path(), "unknown-intent", GATE, unknown);
    gated_bot(root.path(), "not-a-suite", GATE, r#"{"cases": []}"#);
    gated_bot(root.path(), "no-app", "[gate]\nmin_f1 = 0.9\n", GOOD);
    let french = "[gate]\napp = \"helpdesk\"\nmin_f1 = 0.9\nlanguages = [\"fr\"]\n";
    gated_bot(root.path(), "french-gate", french, GOOD);
    let run = kore_gitops(root.path(), &["validate", root.path().to_str().unwrap()]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    for (file, why) in [
        ("bots/long-input/tests/smoke.json", "over 3000 characters"),
        ("bots/unknown-intent/tests/smoke.json", "\"Order Pizza\""),
        ("bots/not-a-suite/tests/smoke.json", "testCases"),
        ("bots/no-app/bot.toml", "App Builder"),
        ("bots/french-gate/bot.toml", "[gate] languages lists \"fr\""),
    ] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no problem for {file}:\n{}", run.stdout));
        assert!(line.contains(why), "{line}");
    }
    assert!(!run.stdout.contains("bots/good/"), "{}", run.stdout);
    assert!(run.stdout.contains("5 problem(s)"), "{}", run.stdout);
}

#[tokio::test]
async fn plan_says_which_suites_a_publish_would_run() {
    let world = World::start().await;
    let folder = world.work.join("bots/it-helpdesk");
    fs::create_dir_all(folder.join("tests")).unwrap();
    fs::write(folder.join("tests/smoke.json"), GOOD).unwrap();
    let settings = format!("bot_name = \"IT Helpdesk\"\nlanguages = [\"en\", \"es\"]\n{GATE}");
    fs::write(folder.join("bot.toml"), settings).unwrap();
    world.commit_definition("it-helpdesk", "one more utterance", |d| {
        d["sentences"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
            "sentence": "my internet is down", "taskName": "Report Outage",
            "language": "en", "type": "DialogIntent", "entities": []}));
    });
    let config = world.config.to_str().unwrap();
    let plan = kore_gitops(&world.work, &["plan", "--config", config]).await;
    assert_eq!(plan.code, 1, "{}", plan.all());
    let line = plan
        .stdout
        .lines()
        .find(|l| l.starts_with("it-helpdesk:"))
        .unwrap_or_else(|| panic!("{}", plan.stdout));
    assert!(
        line.contains("gate: suites smoke in en, es (F1 ≥ 0.90)"),
        "{line}"
    );
}
