//! Identity on import: a definition exported from one bot and imported into
//! another comes back carrying the target's identity, and the normaliser sees
//! no difference from the file that was imported.

use std::path::Path;

use kore_gitops::desired::{BotFiles, IgnoreRules};
use kore_gitops::diff::{compare, normalise};
use kore_gitops::ids::BotId;
use kore_gitops::platform::{ExportKind, PlatformClient};
use kore_gitops::reconcile::upload_and_import;
use kore_gitops::sim::{IdentityRewrite, SimConfig};
use serde_json::Value;

use crate::support::client::fast_client;
use crate::support::fixtures;
use crate::support::sim::start_sim_with;

/// Seeds `<name>-x` and `<name>-y` from one export folder (symlinks, so the
/// fixtures are never copied).
fn two_seeds(dir: &Path, fixture: &Path, name: &str) -> [std::path::PathBuf; 2] {
    ["x", "y"].map(|side| {
        let link = dir.join(format!("{name}-{side}"));
        std::os::unix::fs::symlink(fixture, &link).expect("a symlink to the fixture");
        link
    })
}

async fn export(client: &PlatformClient, bot: &BotId) -> BotFiles {
    BotFiles::from(
        client
            .export(bot, ExportKind::Latest)
            .await
            .expect("export"),
    )
}

fn definition(files: &BotFiles) -> Value {
    serde_json::from_slice(&files.definition).expect("JSON")
}

fn dialog_ids(definition: &Value) -> Vec<String> {
    let dialogs = definition["dialogs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut ids: Vec<String> = dialogs
        .iter()
        .filter_map(|d| d["_id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_definition_from_one_bot_imported_into_another_compares_equal_for_every_export() {
    let Some(fixtures_dir) = fixtures::kore_exports() else {
        return;
    };
    let seeds_dir = tempfile::tempdir().unwrap();
    let mut seeds = Vec::new();
    for name in fixtures::EXPORTS {
        seeds.extend(two_seeds(seeds_dir.path(), &fixtures_dir.join(name), name));
    }
    let config = SimConfig {
        stamp_seeds: true,
        identity_rewrite: IdentityRewrite::Full,
        ..SimConfig::instant()
    };
    let sim = start_sim_with(&seeds, config).await;
    let client = fast_client(&sim, "admin");
    let none = IgnoreRules::default();
    for name in fixtures::EXPORTS {
        let id = |side: &str| -> BotId {
            let seed = format!("{name}-{side}");
            sim.credentials.bot(&seed).id.parse().unwrap()
        };
        let (x, y) = (id("x"), id("y"));
        let pulled = export(&client, &x).await;
        let before = definition(&export(&client, &y).await);
        upload_and_import(&client, &y, &pulled, None)
            .await
            .unwrap_or_else(|e| panic!("{name}: import: {e}"));
        let promoted = export(&client, &y).await;
        let (from, to) = (definition(&pulled), definition(&promoted));
        // The import really stamped y's identity: raw, the two differ.
        assert_eq!(from["_id"], x.as_str(), "{name}");
        assert_eq!(to["_id"], y.as_str(), "{name}");
        assert_ne!(from["refId"], to["refId"], "{name}");
        assert_eq!(
            dialog_ids(&to),
            dialog_ids(&before),
            "{name}: y keeps its ids"
        );
        if !dialog_ids(&from).is_empty() {
            assert_ne!(dialog_ids(&from), dialog_ids(&to), "{name}");
        }
        let (left, right) = (
            normalise(&pulled, &none).unwrap(),
            normalise(&promoted, &none).unwrap(),
        );
        let diff = compare(&left, &right);
        assert!(diff.is_empty(), "{name}: {}", diff.summary());
        assert_eq!(left.digest(), right.digest(), "{name}");
    }
}

#[tokio::test]
async fn a_real_edit_still_shows_after_a_cross_bot_import() {
    let Some(fixture) = fixtures::export("demobot-Export_All") else {
        return;
    };
    let seeds_dir = tempfile::tempdir().unwrap();
    let seeds = two_seeds(seeds_dir.path(), &fixture, "demo");
    let config = SimConfig {
        stamp_seeds: true,
        ..SimConfig::instant()
    };
    let sim = start_sim_with(&seeds, config).await;
    let client = fast_client(&sim, "admin");
    let [x, y]: [BotId; 2] =
        ["demo-x", "demo-y"].map(|s| sim.credentials.bot(s).id.parse().unwrap());
    let mut pulled = export(&client, &x).await;
    upload_and_import(&client, &y, &pulled, None).await.unwrap();
    let mut edited = definition(&pulled);
    edited["dialogs"][0]["localeData"]["en"]["name"] = "Renamed in git".into();
    pulled.definition = serde_json::to_vec(&edited).unwrap();
    let live = export(&client, &y).await;
    let none = IgnoreRules::default();
    let diff = compare(
        &normalise(&pulled, &none).unwrap(),
        &normalise(&live, &none).unwrap(),
    );
    assert!(!diff.is_empty());
    assert!(
        diff.summary().starts_with("dialogs: 1"),
        "{}",
        diff.summary()
    );
}
