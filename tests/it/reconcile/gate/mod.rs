//! The publish gate end to end: batch test suites from git run after
//! training and before publishing; a commit that breaks intent detection is
//! trained but never published, and the note says which suite, figure and
//! utterances.

use kore_gitops::status::Phase;
use serde_json::{Value, json};

use super::world::{World, count, counters};
use crate::support::logs::capture;

mod faults;

pub const BOT: &str = "it-helpdesk";

/// English cases of both intents of it-helpdesk.
pub const SUITE: &str = r#"{"testCases": [
  {"input": "reset my password", "intent": "Reset Password"},
  {"input": "I forgot my password!", "intent": "Reset Password"},
  {"input": "the VPN is down", "intent": "Report Outage"},
  {"input": "Report an outage", "intent": "Report Outage"}
]}"#;

pub const GATE_EN: &str = "[gate]\napp = \"helpdesk\"\nmin_f1 = 0.9\nlanguages = [\"en\"]\n";

/// A world whose it-helpdesk folder has `tests/smoke.json` and this
/// `[gate]`, committed, and whose daemon knows the App Builder app of
/// it-helpdesk as `[test_apps.helpdesk]` (unless `app` is false).
pub async fn gated(gate: &str, app: bool) -> World {
    let world = World::start().await;
    if app {
        let builder = world.sim.credentials.app("builder");
        let secret = world.config.with_file_name("tests-secret");
        std::fs::write(&secret, &builder.client_secret).unwrap();
        let mut text = std::fs::read_to_string(&world.config).unwrap();
        text.push_str(&format!(
            "\n[test_apps.helpdesk]\nclient_id = {:?}\nclient_secret_file = {:?}\n",
            builder.client_id,
            secret.to_str().unwrap()
        ));
        std::fs::write(&world.config, text).unwrap();
    }
    write_suite(&world, SUITE);
    set_gate(&world, gate);
    world.commit_all("it-helpdesk: a test suite gates the publish");
    world
}

pub fn folder(world: &World) -> std::path::PathBuf {
    world.work.join("bots").join(BOT)
}

pub fn write_suite(world: &World, suite: &str) {
    let tests = folder(world).join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    std::fs::write(tests.join("smoke.json"), suite).unwrap();
}

pub fn set_gate(world: &World, gate: &str) {
    let settings = format!("bot_name = \"IT Helpdesk\"\nlanguages = [\"en\", \"es\"]\n{gate}");
    std::fs::write(folder(world).join("bot.toml"), settings).unwrap();
}

/// Deletes the English utterances of Report Outage (and adds `extra`).
pub fn without_outage_utterances(definition: &mut Value) {
    let sentences = definition["sentences"].as_array_mut().unwrap();
    sentences.retain(|s| !(s["taskName"] == "Report Outage" && s["language"] == "en"));
}

pub fn events(history: &Value, kind: &str) -> Vec<Value> {
    history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn deleting_an_intents_utterances_fails_its_suite_and_nothing_is_published() {
    let world = gated(GATE_EN, true).await;
    let first = world.sync().await;
    assert_eq!(
        World::status_of(&first, BOT).phase,
        Phase::Synced,
        "{first:#?}"
    );
    let published_before = world.bot(BOT).await["published_digest"].clone();

    world.commit_definition(BOT, "drop the outage utterances", without_outage_utterances);
    let (logs, guard) = capture();
    let reports = world.sync().await;
    drop(guard);
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::GateFailed, "{status:#?}");
    let secret = world.sim.credentials.app("builder").client_secret.clone();
    assert!(
        !logs.text().contains(&secret),
        "the test app's secret is never logged"
    );
    assert!(!format!("{status:?}").contains(&secret));
    assert!(
        status.summary.contains("suite smoke (en): F1 0.67 < 0.90"),
        "{}",
        status.summary
    );
    let gate = status.gate.as_ref().expect("the gate's figures");
    assert!(!gate.passed);
    assert_eq!(gate.runs.len(), 1);
    assert_eq!(gate.runs[0].f1, "0.67");
    assert!(
        gate.runs[0]
            .run
            .as_deref()
            .is_some_and(|r| r.starts_with("tr-")),
        "{gate:#?}"
    );
    assert!(
        gate.runs[0]
            .failing
            .iter()
            .any(|f| f.contains("the VPN is down")),
        "{gate:#?}"
    );
    let bot = world.bot(BOT).await;
    assert_eq!(
        counters(&bot),
        (1, 2, 0),
        "imported, trained (en, es), not published"
    );
    assert_eq!(
        bot["published_digest"], published_before,
        "published copy unchanged"
    );
    let history = world.history(BOT).await;
    assert!(
        events(&history, "publish_requested").is_empty(),
        "{history:#}"
    );
    let runs = events(&history, "test_run");
    assert_eq!(runs.len(), 1, "{history:#}");
    assert_eq!(
        runs[0]["digest"], bot["dev_digest"],
        "the trained commit was tested"
    );
    let note = world.head_note();
    assert!(!note.contains(&secret), "the note never holds a secret");
    for needle in ["GateFailed", "smoke", "0.67", "the VPN is down", "0.90"] {
        assert!(note.contains(needle), "the note names {needle:?}:\n{note}");
    }

    // The same commit again: the note says it failed; nothing runs again.
    let again = world.sync().await;
    assert_eq!(World::status_of(&again, BOT).phase, Phase::GateFailed);
    let bot = world.bot(BOT).await;
    assert_eq!(
        count(&bot, "test_runs"),
        1,
        "not run again at the same content"
    );
    assert_eq!(count(&bot, "publishes"), 0);

    // A commit that restores them (and adds one) passes and publishes.
    world.commit_definition(BOT, "outage utterances back, and one more", |d| {
        let sentences = d["sentences"].as_array_mut().unwrap();
        for text in ["the VPN is down", "report an outage", "my internet is down"] {
            sentences.push(json!({"sentence": text, "taskName": "Report Outage",
                "language": "en", "type": "DialogIntent", "entities": []}));
        }
    });
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Synced, "{status:#?}");
    assert!(
        status.gate.as_ref().is_some_and(|g| g.passed),
        "{status:#?}"
    );
    let bot = world.bot(BOT).await;
    assert_eq!(count(&bot, "publishes"), 1);
    assert_eq!(bot["published_digest"], bot["dev_digest"]);
}

#[tokio::test]
async fn a_commit_that_only_changes_a_suite_reruns_the_gate_without_an_import() {
    let world = gated(GATE_EN, true).await;
    world.commit_definition(BOT, "drop the outage utterances", without_outage_utterances);
    let failed = world.sync().await;
    assert_eq!(World::status_of(&failed, BOT).phase, Phase::GateFailed);
    let before = world.bot(BOT).await;

    // Only the suite changes: the outage cases go (the intent is retired).
    write_suite(
        &world,
        r#"{"testCases": [{"input": "reset my password", "intent": "Reset Password"}]}"#,
    );
    world.commit_all("tests: no outage cases any more");
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Synced, "{status:#?}");
    let after = world.bot(BOT).await;
    assert_eq!(
        count(&after, "imports"),
        count(&before, "imports"),
        "no new import"
    );
    assert_eq!(
        count(&after, "suite_imports"),
        count(&before, "suite_imports") + 1
    );
    assert_eq!(count(&after, "test_runs"), count(&before, "test_runs") + 1);
    assert_eq!(count(&after, "publishes"), 1);
}

#[tokio::test]
async fn thresholds_decide_and_a_drop_against_the_published_copy_is_measured() {
    // A lower bar lets the same change through.
    let world = gated(
        "[gate]\napp = \"helpdesk\"\nmin_f1 = 0.6\nlanguages = [\"en\"]\n",
        true,
    )
    .await;
    world.commit_definition(BOT, "drop the outage utterances", without_outage_utterances);
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, BOT).phase,
        Phase::Synced,
        "{reports:#?}"
    );
    assert_eq!(count(&world.bot(BOT).await, "publishes"), 1);

    // The same bar with at most 0.1 below the published copy: refused.
    let gate =
        "[gate]\napp = \"helpdesk\"\nmin_f1 = 0.6\nmax_f1_drop = 0.1\nlanguages = [\"en\"]\n";
    let world = gated(gate, true).await;
    world.commit_definition(BOT, "drop the outage utterances", without_outage_utterances);
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::GateFailed, "{status:#?}");
    assert!(
        status.summary.contains("below the published copy's 1.00"),
        "{}",
        status.summary
    );
    let run = &status.gate.as_ref().unwrap().runs[0];
    assert_eq!(run.published_f1.as_deref(), Some("1.00"));
    let versions: Vec<Value> = events(&world.history(BOT).await, "test_run")
        .iter()
        .map(|e| e["version"].clone())
        .collect();
    assert_eq!(versions, [json!("inDevelopment"), json!("published")]);
    assert_eq!(count(&world.bot(BOT).await, "publishes"), 0);
}

#[tokio::test]
async fn every_language_is_run_and_one_failing_language_stops_the_publish() {
    // No languages in [gate]: the bot's trained languages, en and es; the
    // suite is English, so its Spanish run recognises nothing.
    let world = gated("[gate]\napp = \"helpdesk\"\nmin_f1 = 0.9\n", true).await;
    world.commit_definition(BOT, "one more utterance", |d| {
        d["sentences"].as_array_mut().unwrap().push(json!({"sentence": "my internet is down",
            "taskName": "Report Outage", "language": "en", "type": "DialogIntent", "entities": []}));
    });
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::GateFailed, "{status:#?}");
    let runs = &status.gate.as_ref().unwrap().runs;
    let by_language: Vec<(&str, bool)> = runs
        .iter()
        .map(|r| (r.language.as_str(), r.passed))
        .collect();
    assert_eq!(by_language, [("en", true), ("es", false)], "{runs:#?}");
    assert!(
        status.summary.contains("suite smoke (es)"),
        "{}",
        status.summary
    );
    let languages: Vec<Value> = events(&world.history(BOT).await, "test_run")
        .iter()
        .map(|e| e["language"].clone())
        .collect();
    assert_eq!(languages, [json!("en"), json!("es")]);
    assert_eq!(count(&world.bot(BOT).await, "publishes"), 0);
}
