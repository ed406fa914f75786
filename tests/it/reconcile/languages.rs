//! Every language is trained: a pass trains each language the definition
//! holds (its `localeData`) before it publishes, unless `bot.toml` narrows
//! the list on purpose; a listed language the definition lacks is refused.

use std::collections::BTreeSet;

use kore_gitops::status::Phase;
use serde_json::Value;

use super::world::{World, counters};

const BOT: &str = "it-helpdesk";

/// Gives the it-helpdesk folder (en, es) this `bot.toml` and changes one
/// Spanish utterance, in one commit.
fn commit_settings_and_an_utterance(world: &World, settings: &str) {
    let toml = world.work.join("bots").join(BOT).join("bot.toml");
    std::fs::write(toml, settings).unwrap();
    world.commit_definition(BOT, "it-helpdesk: settings and one utterance", |d| {
        let sentences = d["sentences"].as_array_mut().unwrap();
        let spanish = sentences
            .iter_mut()
            .find(|s| s["language"] == "es")
            .unwrap();
        spanish["sentence"] = "necesito una contraseña nueva".into();
    });
}

/// The languages trained (successfully) after the last import and before the
/// first publish request that follows it, from the simulator's history.
async fn trained_before_publish(world: &World) -> BTreeSet<String> {
    let history = world.history(BOT).await;
    let events = history["events"].as_array().unwrap();
    let last_import = events
        .iter()
        .rposition(|e| e["event"] == "import" && e["ok"] == true)
        .unwrap_or_else(|| panic!("an import: {events:#?}"));
    let after = &events[last_import..];
    let publish = after
        .iter()
        .position(|e| e["event"] == "publish_requested")
        .unwrap_or_else(|| panic!("a publish after the import: {events:#?}"));
    after[..publish]
        .iter()
        .filter(|e| e["event"] == "train" && e["ok"] == true)
        .map(|e| e["language"].as_str().unwrap().to_owned())
        .collect()
}

fn languages(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|l| (*l).to_owned()).collect()
}

fn train_jobs(jobs: &std::collections::BTreeMap<String, String>) -> Vec<&str> {
    jobs.keys()
        .filter(|k| k.starts_with("train."))
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn without_languages_every_language_of_the_definition_is_trained_before_publish() {
    let world = World::start().await;
    commit_settings_and_an_utterance(&world, "bot_name = \"IT Helpdesk\"\n");

    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Synced, "{status:#?}");
    assert_eq!(
        trained_before_publish(&world).await,
        languages(&["en", "es"])
    );
    assert_eq!(
        train_jobs(&status.jobs),
        ["train.en", "train.es"],
        "{status:#?}"
    );
    assert_eq!(counters(&world.bot(BOT).await), (1, 2, 1));
}

#[tokio::test]
async fn languages_in_bot_toml_narrow_the_training_on_purpose() {
    let world = World::start().await;
    let settings = "bot_name = \"IT Helpdesk\"\nlanguages = [\"es\"]\n";
    commit_settings_and_an_utterance(&world, settings);

    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Synced, "{status:#?}");
    assert_eq!(trained_before_publish(&world).await, languages(&["es"]));
    assert_eq!(train_jobs(&status.jobs), ["train.es"], "{status:#?}");
    assert_eq!(counters(&world.bot(BOT).await), (1, 1, 1));
}

#[tokio::test]
async fn a_listed_language_the_definition_lacks_is_refused_and_nothing_is_imported() {
    let world = World::start().await;
    let settings = "bot_name = \"IT Helpdesk\"\nlanguages = [\"en\", \"fr\"]\n";
    commit_settings_and_an_utterance(&world, settings);

    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Failed, "{status:#?}");
    let error = status.error.as_deref().unwrap_or(&status.summary);
    assert!(error.contains("bot.toml"), "names the file: {status:#?}");
    assert!(error.contains("\"fr\""), "names the language: {status:#?}");
    assert_eq!(counters(&world.bot(BOT).await), (0, 0, 0));
    let history: Value = world.history(BOT).await;
    assert_eq!(history["events"], serde_json::json!([]), "{history:#}");
}
