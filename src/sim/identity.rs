//! Identity on import: the platform stamps the target bot's own identifiers
//! onto whatever it imports, so a definition exported from bot X and imported
//! into bot Y comes back from Y with Y's identity. How much is rewritten is
//! configurable (`identity_rewrite`); the default is the harshest plausible:
//!
//! | mode     | what an import rewrites                                                   |
//! |----------|---------------------------------------------------------------------------|
//! | `none`   | nothing                                                                    |
//! | `stream` | the file's bot `_id` → the target's id and its bot `refId` → the target's, |
//! |          | wherever they occur (`streamId` fields, ids inside URLs and texts)         |
//! | `full`   | `stream`, plus dialog (`dg-`) and dialog component (`dc-`) `_id`s: the     |
//! |          | target's id for the same `refId` if it has that task, else a new id       |
//! |          | derived from (target, `refId`); every string equal to an old id follows   |
//!
//! With `stamp_seeds`, seeds get the same treatment at start, so a seeded
//! bot's definition carries the simulator's id for it, as a real bot's export
//! carries the bot's own id (two bots seeded from one export then differ).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// How much of the target's identity an import stamps (see the module table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityRewrite {
    None,
    Stream,
    #[default]
    Full,
}

/// Who the target bot is: its id and what its current copy holds.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub bot_id: &'a str,
    /// The target's current in-development definition (`None` for a seed).
    pub current: Option<&'a Value>,
}

/// Rewrites `definition` (an imported file) to carry `target`'s identity.
pub fn stamp(definition: &mut Value, target: Target<'_>, mode: IdentityRewrite) {
    if mode == IdentityRewrite::None {
        return;
    }
    let field = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let target_ref = field(target.current, "refId")
        .unwrap_or_else(|| derived(target.bot_id, "bot", "refId").to_string());
    let mut substrings = Vec::new();
    if let Some(source) = field(Some(definition), "_id") {
        substrings.push((source, target.bot_id.to_owned()));
    }
    if let Some(source) = field(Some(definition), "refId") {
        substrings.push((source, target_ref));
    }
    let mut exact = HashMap::new();
    if mode == IdentityRewrite::Full {
        for (array, prefix) in [("dialogs", "dg"), ("dialogComponents", "dc")] {
            task_ids(definition, target, array, prefix, &mut exact);
        }
    }
    rewrite(definition, &exact, &substrings);
    if let Some(root) = definition.as_object_mut() {
        root.insert("_id".into(), target.bot_id.into());
    }
}

/// Old `_id` → the target's `_id` for each task of `array` that has a `refId`.
fn task_ids(
    definition: &Value,
    target: Target<'_>,
    array: &str,
    prefix: &str,
    out: &mut HashMap<String, String>,
) {
    let existing: HashMap<&str, &str> = elements(target.current, array)
        .filter_map(|t| Some((str_of(t, "refId")?, str_of(t, "_id")?)))
        .collect();
    for task in elements(Some(definition), array) {
        let (Some(id), Some(ref_id)) = (str_of(task, "_id"), str_of(task, "refId")) else {
            continue;
        };
        let new = existing.get(ref_id).map_or_else(
            || format!("{prefix}-{}", derived(target.bot_id, prefix, ref_id)),
            |id| (*id).to_owned(),
        );
        out.insert(id.to_owned(), new);
    }
}

fn elements<'a>(definition: Option<&'a Value>, array: &str) -> impl Iterator<Item = &'a Value> {
    definition
        .and_then(|d| d.get(array))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// A stable id for `(bot, kind, key)`: re-importing into one bot keeps it.
fn derived(bot: &str, kind: &str, key: &str) -> Uuid {
    let name = format!("kore-gitops-sim:{bot}:{kind}:{key}");
    Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes())
}

fn rewrite(value: &mut Value, exact: &HashMap<String, String>, substrings: &[(String, String)]) {
    match value {
        Value::String(text) => {
            if let Some(new) = exact.get(text.as_str()) {
                *text = new.clone();
                return;
            }
            for (old, new) in substrings {
                if text.contains(old.as_str()) {
                    *text = text.replace(old.as_str(), new);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, exact, substrings)),
        Value::Object(map) => rewrite_map(map, exact, substrings),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn rewrite_map(
    map: &mut Map<String, Value>,
    exact: &HashMap<String, String>,
    substrings: &[(String, String)],
) {
    map.values_mut().for_each(|v| rewrite(v, exact, substrings));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_import_carries_the_target_identity_and_keeps_its_task_ids() {
        let file = json!({"_id": "st-x", "refId": "ref-x",
            "namespaces": [{"streamId": "st-x"}], "url": "https://h/st-x/hook",
            "dialogs": [{"_id": "dg-x1", "refId": "r1"}, {"_id": "dg-x2", "refId": "r2"}],
            "dialogComponents": [{"_id": "dc-x1", "refId": "c1", "dialogId": "dg-x1"}],
            "sentences": [{"taskId": "dc-x1"}]});
        let current = json!({"_id": "st-y", "refId": "ref-y",
            "dialogs": [{"_id": "dg-y1", "refId": "r1"}]});
        let target = Target {
            bot_id: "st-y",
            current: Some(&current),
        };
        let mut stamped = file.clone();
        stamp(&mut stamped, target, IdentityRewrite::Full);
        assert_eq!(stamped["_id"], "st-y");
        assert_eq!(stamped["refId"], "ref-y");
        assert_eq!(stamped["namespaces"][0]["streamId"], "st-y");
        assert_eq!(stamped["url"], "https://h/st-y/hook");
        assert_eq!(stamped["dialogs"][0]["_id"], "dg-y1");
        let new = stamped["dialogs"][1]["_id"].as_str().unwrap();
        assert!(new.starts_with("dg-") && new != "dg-x2");
        let component = stamped["dialogComponents"][0]["_id"].clone();
        assert_eq!(stamped["sentences"][0]["taskId"], component);
        assert_eq!(stamped["dialogComponents"][0]["dialogId"], "dg-y1");
        // Importing the same file again gives the same ids.
        let mut again = file.clone();
        stamp(&mut again, target, IdentityRewrite::Full);
        assert_eq!(again, stamped);
        let mut stream_only = file;
        stamp(&mut stream_only, target, IdentityRewrite::Stream);
        assert_eq!(stream_only["dialogs"][1]["_id"], "dg-x2");
        assert_eq!(stream_only["namespaces"][0]["streamId"], "st-y");
    }
}
