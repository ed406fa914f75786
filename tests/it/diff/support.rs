//! Loading bots for the diff tests and comparing them through the public API.

use std::path::Path;

use kore_gitops::desired::{BotFiles, IgnoreRules, read_bot_folder};
use kore_gitops::diff::{BotDiff, NormalisedBot, compare, normalise};
use serde_json::Value;

/// The files of an export folder or bot folder.
pub fn load(path: &Path) -> BotFiles {
    read_bot_folder(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .1
}

/// The travel-desk example bot (part of this repository, so always present).
pub fn travel_desk() -> BotFiles {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots/travel-desk"))
}

pub fn definition(files: &BotFiles) -> Value {
    serde_json::from_slice(&files.definition).expect("definition is JSON")
}

pub fn config(files: &BotFiles) -> Value {
    serde_json::from_slice(&files.config).expect("config is JSON")
}

/// The same files with another definition.
pub fn with_definition(files: &BotFiles, definition: &Value) -> BotFiles {
    BotFiles {
        definition: serde_json::to_vec_pretty(definition).unwrap(),
        ..files.clone()
    }
}

/// The same files with another config.
pub fn with_config(files: &BotFiles, config: &Value) -> BotFiles {
    BotFiles {
        config: serde_json::to_vec_pretty(config).unwrap(),
        ..files.clone()
    }
}

/// Compares two sides without ignore rules, checking that the digest and the diff agree.
pub fn diff(left: &BotFiles, right: &BotFiles) -> BotDiff {
    let (l, r) = (
        normalise(left, &IgnoreRules::default()).unwrap(),
        normalise(right, &IgnoreRules::default()).unwrap(),
    );
    compare_checked(&l, &r)
}

/// Compares two normalised sides, checking that the digest and the diff agree.
pub fn compare_checked(l: &NormalisedBot, r: &NormalisedBot) -> BotDiff {
    let diff = compare(l, r);
    assert_eq!(
        diff.is_empty(),
        l.digest() == r.digest(),
        "digest and diff disagree: {}",
        diff.summary()
    );
    diff
}
