//! The order of the sets of an export, as the harshest plausible platform
//! returns them: every array whose elements carry an identity is a set,
//! unless the platform keeps its order (platform-api.md, "Volatile fields").
//! An export shuffles every set at every depth (seeded, so a test can replay
//! it); the canonical digest sorts them.
//!
//! This is the simulator's own model of the platform, written apart from the
//! normaliser's rule (`diff::ordering`) on purpose: if the two disagree, the
//! round-trip tests see a re-export that differs.

use serde_json::{Map, Value};

/// Keys that make an element a record of its own.
const IDENTITY_KEYS: &[&str] = &["refId", "_id", "nodeId", "groupId", "key"];

/// Identity-bearing arrays whose order the platform keeps: dialog nodes (the
/// first is the entry) and form fields (the form's layout).
const KEPT_IN_ORDER: &[&str] = &[
    "dialogs[].nodes[]",
    "dialogs[].nodes[].nodes[]",
    "dialogComponents[].nodes[]",
    "forms[].components[]",
    "forms[].components[].components[]",
];

/// Sets the rule cannot see once the digest has stripped their volatile
/// identity (or that have none: small talk is one element per language).
const ALSO_SETS: &[&str] = &[
    "sentences[]",
    "smallTalk[]",
    "smallTalk[].groups[]",
    "smallTalk[].groups[].nodes[].botUtterances[]",
];

/// Shuffles every set of `root`, at every depth, from `seed`.
pub fn shuffle(root: &mut Map<String, Value>, seed: u64) {
    let mut rng = SplitMix(seed);
    let mut path = String::new();
    walk_object(root, &mut path, &mut |items, path| {
        if is_set(items, path) {
            permute(items, &mut rng);
        }
    });
}

/// Sorts every set of `root` (innermost first) by its canonical JSON.
pub fn sort(root: &mut Map<String, Value>) {
    let mut path = String::new();
    walk_object(root, &mut path, &mut |items, path| {
        if is_set(items, path) {
            items.sort_by_cached_key(|v| v.to_string());
        }
    });
}

fn is_set(items: &[Value], path: &str) -> bool {
    if KEPT_IN_ORDER.contains(&path) {
        return false;
    }
    let carries_identity = |item: &Value| {
        item.as_object().is_some_and(|map| {
            IDENTITY_KEYS
                .iter()
                .any(|k| map.get(*k).is_some_and(Value::is_string))
        })
    };
    ALSO_SETS.contains(&path) || (!items.is_empty() && items.iter().all(carries_identity))
}

/// Calls `visit` on every array, after the arrays inside it, with its path (`a[].b[]`).
fn walk_object(
    map: &mut Map<String, Value>,
    path: &mut String,
    visit: &mut dyn FnMut(&mut Vec<Value>, &str),
) {
    for (key, value) in map.iter_mut() {
        let length = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        walk(value, path, visit);
        path.truncate(length);
    }
}

fn walk(value: &mut Value, path: &mut String, visit: &mut dyn FnMut(&mut Vec<Value>, &str)) {
    match value {
        Value::Object(map) => walk_object(map, path, visit),
        Value::Array(items) => {
            path.push_str("[]");
            for item in items.iter_mut() {
                walk(item, path, visit);
            }
            visit(items, path);
            path.truncate(path.len() - 2);
        }
        _ => {}
    }
}

/// A random permutation that always moves something (when it can): a shuffle
/// that happens to keep the order would hide a test's blind spot.
fn permute(items: &mut Vec<Value>, rng: &mut SplitMix) {
    let len = items.len();
    if len < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    if order.iter().enumerate().all(|(k, &i)| k == i) {
        order.rotate_left(1);
    }
    let mut taken: Vec<Option<Value>> = std::mem::take(items).into_iter().map(Some).collect();
    *items = order
        .into_iter()
        .map(|i| {
            taken[i]
                .take()
                .expect("a permutation takes each element once")
        })
        .collect();
}

/// splitmix64: tiny, seedable, and good enough to shuffle.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The seed of one export's shuffle: the configured seed mixed with the export's number.
pub fn export_seed(seed: u64, seq: u64) -> u64 {
    SplitMix(seed ^ seq.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn shuffles_identity_arrays_at_every_depth_and_keeps_lists() {
        let original = root(json!({
            "dialogs": [{"refId": "a", "nodes": [{"nodeId": "1"}, {"nodeId": "2"}],
                          "headers": [{"key": "x"}, {"key": "y"}, {"key": "z"}]},
                        {"refId": "b", "nodes": []}],
            "transitions": [{"if": 1}, {"if": 2}],
        }));
        let mut shuffled = original.clone();
        shuffle(&mut shuffled, 7);
        assert_ne!(shuffled["dialogs"], original["dialogs"]);
        let a = shuffled["dialogs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["refId"] == "a")
            .unwrap();
        assert_eq!(
            a["nodes"], original["dialogs"][0]["nodes"],
            "nodes keep their order"
        );
        assert_ne!(a["headers"], original["dialogs"][0]["headers"]);
        assert_eq!(shuffled["transitions"], original["transitions"]);
        let (mut left, mut right) = (shuffled, original);
        sort(&mut left);
        sort(&mut right);
        assert_eq!(left, right);
    }
}
