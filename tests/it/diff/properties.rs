//! Property tests: reordering identity-keyed collections and regenerating
//! volatile fields never changes the digest; changing any other leaf always does.

use kore_gitops::desired::{BotFiles, IgnoreRules};
use kore_gitops::diff::normalise;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::perturb::{Rng, at_path, is_volatile, leaf_paths, perturb};
use super::support::{definition, load, travel_desk, with_definition};
use crate::support::fixtures;

/// Collections whose order carries no meaning.
const UNORDERED: &[&str] = &[
    "dialogs",
    "dialogComponents",
    "scenes",
    "sceneComponents",
    "sentences",
    "patterns",
    "knowledgeTasks",
    "smallTalk",
];

/// The bots the properties run on: the example bot, and a full real export when present.
fn bots() -> Vec<BotFiles> {
    let mut bots = vec![travel_desk()];
    if let Some(export) = fixtures::export("demobot-Export_All") {
        bots.push(load(&export));
    }
    bots
}

fn digest(files: &BotFiles) -> kore_gitops::ids::Digest {
    normalise(files, &IgnoreRules::default()).unwrap().digest()
}

fn reorder_everything(definition: &mut Value, rng: &mut Rng) {
    for name in UNORDERED {
        if let Some(Value::Array(items)) = definition.get_mut(*name) {
            rng.shuffle(items);
        }
    }
    if let Some(Value::Array(graphs)) = definition.get_mut("knowledgeTasks") {
        for graph in graphs {
            if let Some(Value::Array(faqs)) = graph.pointer_mut("/faqs/faqs") {
                rng.shuffle(faqs);
            }
        }
    }
}

/// A different value of the same leaf.
fn mutate(leaf: &mut Value) {
    *leaf = match leaf.take() {
        Value::Null => json!(0),
        Value::Bool(b) => json!(!b),
        Value::Number(n) => json!(n.as_f64().unwrap_or(0.0) + 1.0),
        Value::String(s) => json!(format!("{s}x")),
        Value::Array(_) => json!([1]),
        Value::Object(_) => json!({"added": 1}),
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn reordering_and_regenerating_keeps_the_digest(seed in any::<u64>()) {
        for files in bots() {
            let mut changed = definition(&files);
            let mut rng = Rng::new(seed);
            perturb(&mut changed, &mut rng);
            reorder_everything(&mut changed, &mut rng);
            prop_assert_eq!(digest(&files), digest(&with_definition(&files, &changed)));
        }
    }

    #[test]
    fn changing_any_other_leaf_changes_the_digest(pick in any::<prop::sample::Index>(), seed in any::<u64>()) {
        for files in bots() {
            let mut changed = definition(&files);
            let leaves: Vec<Vec<String>> = leaf_paths(&changed).into_iter().filter(|p| !is_volatile(p)).collect();
            let path = pick.get(&leaves).clone();
            mutate(at_path(&mut changed, &path));
            perturb(&mut changed, &mut Rng::new(seed));
            prop_assert_ne!(digest(&files), digest(&with_definition(&files, &changed)), "leaf /{}", path.join("/"));
        }
    }
}
