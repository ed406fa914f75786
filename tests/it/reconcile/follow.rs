//! Logs an operator can follow: every line of a pass carries the pass's
//! `reconcile_id` (one per pass, as Flux's `reconcileID`), and no JSON line
//! holds a key twice.

use serde_json::Value;

use super::world::World;
use crate::support::logs::duplicate_keys;

#[tokio::test]
async fn every_line_of_a_pass_carries_its_own_reconcile_id() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "a followed change", |d| {
        d["sentences"][0]["sentence"] = "followed in the logs".into();
    });
    // The binary, as an operator runs it: its one global subscriber.
    let text = sync_logs(&world).await + &sync_logs(&world).await;
    let mut ids = std::collections::BTreeMap::<(String, String), usize>::new();
    for line in text.lines() {
        assert_eq!(duplicate_keys(line), Vec::<String>::new(), "{line}");
        let entry: Value = serde_json::from_str(line).unwrap();
        // The lines a pass writes name their bot (the platform client's by
        // its live id, or "-" for a call such as Get Bots): each must be in
        // the pass's span.
        let Some(bot) = entry["bot"].as_str() else {
            continue;
        };
        let span = &entry["span"];
        assert_eq!(span["name"], "reconcile", "outside a pass: {line}");
        let folder = span["bot"].as_str().expect("the span names the bot");
        if !(bot == "-" || bot.contains("st-")) {
            assert_eq!(folder, bot, "{line}");
        }
        let bot = folder;
        let id = span["reconcile_id"].as_str().expect("a reconcile id");
        *ids.entry((bot.to_owned(), id.to_owned())).or_default() += 1;
    }
    // Two syncs of two bots: four passes, four ids, each on several lines
    // for the pass that imported.
    let per_bot = |bot: &str| ids.keys().filter(|(b, _)| b == bot).count();
    assert_eq!(per_bot("travel-desk"), 2, "{ids:?}");
    assert_eq!(per_bot("it-helpdesk"), 2, "{ids:?}");
    let distinct: std::collections::BTreeSet<&String> = ids.keys().map(|(_, id)| id).collect();
    assert_eq!(distinct.len(), 4, "{ids:?}");
    assert!(ids.values().any(|&lines| lines >= 4), "{ids:?}\n{text}");
}

/// The JSON log lines of `kore-gitops sync` over the world.
/// (Without blocking the test's runtime, which serves the simulator.)
async fn sync_logs(world: &World) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
        .args([
            "sync",
            "--log-format",
            "json",
            "--log-level",
            "debug",
            "--config",
        ])
        .arg(&world.config)
        .env_remove("KORE_GITOPS_CONFIG")
        .output()
        .await
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).expect("UTF-8 logs")
}
