//! Ordering on principle (`diff::ordering`): every array of every real export
//! and example bot is decided on (a set by the identity rule, or listed), a
//! shuffle of every set at every depth changes nothing, a reorder of a list is
//! a difference, and FAQs that share one `refId` are told apart by content.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kore_gitops::desired::BotFiles;
use kore_gitops::diff::ordering::{IDENTITY_KEYS, Order, classify};
use serde_json::{Value, json};

use super::support::{definition, diff, load, with_definition};
use crate::support::fixtures;

/// Every bot folder the ordering must hold for: the real exports (when
/// present) and the example bots (always).
fn bots() -> Vec<(String, PathBuf)> {
    let mut bots = Vec::new();
    if let Some(dir) = fixtures::kore_exports() {
        bots.extend(
            fixtures::EXPORTS
                .iter()
                .map(|name| (name.to_string(), dir.join(name))),
        );
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots");
    for entry in std::fs::read_dir(&examples).expect("examples/bots") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        bots.push((format!("examples/{name}"), path));
    }
    bots
}

/// Calls `visit` on every array (innermost first) with its path, e.g. `dialogs[].nodes[]`.
fn each_array(value: &mut Value, path: &mut String, visit: &mut dyn FnMut(&str, &mut Vec<Value>)) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                each_array(value, path, visit);
                path.truncate(length);
            }
        }
        Value::Array(items) => {
            path.push_str("[]");
            for item in items.iter_mut() {
                each_array(item, path, visit);
            }
            visit(path, items);
            path.truncate(path.len() - 2);
        }
        _ => {}
    }
}

fn identity_bearing(items: &[Value]) -> bool {
    !items.is_empty()
        && items.iter().all(|item| {
            IDENTITY_KEYS
                .iter()
                .any(|key| item.get(key).is_some_and(Value::is_string))
        })
}

/// How the normaliser treats the array at `path` (`None`: undecided).
fn order_of(path: &str, items: &[Value]) -> Option<Order> {
    classify(path, identity_bearing(items))
}

#[test]
fn every_array_of_objects_in_every_export_is_decided_on() {
    let mut undecided = BTreeSet::new();
    let mut sets_by_rule = BTreeSet::new();
    for (name, folder) in bots() {
        let mut value = definition(&load(&folder));
        each_array(&mut value, &mut String::new(), &mut |path, items| {
            // Scalars are values in order; an empty array shows nothing to decide on.
            if !items.iter().any(|i| i.is_object() || i.is_array()) {
                return;
            }
            match order_of(path, items) {
                None => drop(undecided.insert(format!("{path} ({name})"))),
                Some(Order::Set("carries an identity key")) => {
                    sets_by_rule.insert(path.to_owned());
                }
                Some(_) => {}
            }
        });
    }
    assert!(
        undecided.is_empty(),
        "arrays neither a set by the identity rule nor listed in diff::ordering: {undecided:#?}"
    );
    // The rule reaches below the top level (the old fixed list did not).
    for nested in [
        "knowledgeTasks[].taxonomy[]",
        "smallTalk[].groups[].nodes[]",
        "dialogComponents[].payload.headers[]",
    ] {
        assert!(sets_by_rule.contains(nested), "{nested}: {sets_by_rule:#?}");
    }
}

/// A deterministic generator for the test's own shuffles (independent of the simulator's).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn shuffle(&mut self, items: &mut [Value]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
        if items.len() > 1 {
            items.rotate_left(1);
        }
    }
}

#[test]
fn shuffling_every_set_at_every_depth_changes_nothing_and_reordering_a_list_does() {
    let mut rng = Lcg(11);
    for (name, folder) in bots() {
        let files = load(&folder);
        let mut shuffled = definition(&files);
        let mut sets = 0;
        each_array(&mut shuffled, &mut String::new(), &mut |path, items| {
            if let Some(Order::Set(_)) = order_of(path, items) {
                rng.shuffle(items);
                sets += 1;
            }
        });
        let same = diff(&files, &with_definition(&files, &shuffled));
        assert!(
            same.is_empty(),
            "{name}: {sets} sets shuffled: {}",
            same.detailed()
        );
        let mut reordered = definition(&files);
        let dialog = reordered["dialogs"].as_array_mut().and_then(|dialogs| {
            dialogs
                .iter_mut()
                .find(|d| d["nodes"].as_array().is_some_and(|n| n.len() > 2))
        });
        if let Some(dialog) = dialog {
            dialog["nodes"].as_array_mut().unwrap().swap(1, 2);
            let changed = diff(&files, &with_definition(&files, &reordered));
            assert!(
                !changed.is_empty(),
                "{name}: reordered dialog nodes went unseen"
            );
        }
    }
}

/// vaidyah-kg with every FAQ given the first FAQ's `refId`, as the platform's
/// own exports often have them.
fn faqs_sharing_one_ref_id() -> Option<(BotFiles, Value)> {
    let files = load(&fixtures::export("vaidyah-kg")?);
    let mut shared = definition(&files);
    let faqs = shared["knowledgeTasks"][0]["faqs"]["faqs"]
        .as_array_mut()
        .unwrap();
    let ref_id = faqs[0]["refId"].clone();
    faqs.iter_mut()
        .for_each(|faq| faq["refId"] = ref_id.clone());
    Some((with_definition(&files, &shared), shared))
}

#[test]
fn one_edited_answer_among_faqs_sharing_a_ref_id_is_one_changed_faq() {
    let Some((files, mut edited)) = faqs_sharing_one_ref_id() else {
        return;
    };
    let faq = &mut edited["knowledgeTasks"][0]["faqs"]["faqs"][200];
    faq["answer"][0]["text"] = json!("A new answer.");
    let question = faq["question"].as_str().unwrap().to_owned();
    let diff = diff(&files, &with_definition(&files, &edited));
    assert_eq!(
        diff.summary(),
        format!("knowledge graph: 1 changed (FAQ \"{question}\": answer)"),
        "{}",
        diff.detailed()
    );
}

#[test]
fn an_edited_question_with_unique_ref_ids_reads_as_a_change_of_that_faq() {
    let Some(folder) = fixtures::export("vaidyah-kg") else {
        return;
    };
    let files = load(&folder);
    let mut edited = definition(&files);
    edited["knowledgeTasks"][0]["faqs"]["faqs"][3]["question"] = json!("a new question?");
    let diff = diff(&files, &with_definition(&files, &edited));
    assert_eq!(
        diff.summary(),
        "knowledge graph: 1 changed (FAQ \"a new question?\": question)",
        "{}",
        diff.detailed()
    );
}
