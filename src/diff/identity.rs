//! The identifiers an import stamps with the target bot's own identity
//! (platform-api.md, "Identity on import"). A definition pulled from bot X and
//! imported into bot Y comes back from Y with Y's stream id wherever X's was
//! (the bot's `_id`, every `streamId`, ids inside URLs), Y's bot `refId`, and
//! possibly new `_id`s for its dialogs and dialog components. None of that is
//! a change anybody made, so both sides of a comparison replace them with
//! placeholders before anything else looks at the definition:
//!
//! - the bot's own `_id` and `refId`, wherever they occur, even inside a
//!   longer string, become `$bot` and `$botRef`;
//! - a string equal to the `_id` of a dialog or dialog component becomes
//!   `dg:<refId>` / `dc:<refId>`: `refId` is the identity a task keeps across
//!   bots, so references to it (`sentences[].taskId`, `dialogId`, …) stay linked.

use std::collections::HashMap;

use super::tree::{Map, Value};

const BOT_ID: &str = "$bot";
const BOT_REF: &str = "$botRef";

/// Replaces the bot-specific identifiers of a definition with placeholders, in place.
pub(crate) fn neutralise(definition: &mut Map) {
    let identities = Identities::of(definition);
    if identities.is_empty() {
        return;
    }
    for value in definition.values_mut() {
        identities.rewrite(value);
    }
}

/// A definition's own identifiers and their placeholders: taken from the
/// whole definition, applied to it or to any part of it (the pull's layout
/// keeping compares parts, and they must read as the whole does).
pub(crate) struct Identities {
    bot_ids: Vec<(String, &'static str)>,
    tasks: HashMap<String, String>,
}

impl Identities {
    /// The identifiers `definition` carries.
    pub(crate) fn of(definition: &Map) -> Self {
        let own = |key: &str| {
            definition
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let bot_ids = [(own("_id"), BOT_ID), (own("refId"), BOT_REF)]
            .into_iter()
            .filter_map(|(id, placeholder)| id.map(|id| (id, placeholder)))
            .collect();
        let mut tasks = HashMap::new();
        collect_task_ids(definition, "dialogs", "dg", &mut tasks);
        collect_task_ids(definition, "dialogComponents", "dc", &mut tasks);
        Identities { bot_ids, tasks }
    }

    /// None: nothing to replace (a config file, a definition without ids).
    pub(crate) fn none() -> Self {
        Identities {
            bot_ids: Vec::new(),
            tasks: HashMap::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.bot_ids.is_empty() && self.tasks.is_empty()
    }

    /// Replaces the identifiers inside `value` with their placeholders.
    pub(crate) fn rewrite(&self, value: &mut Value) {
        if !self.is_empty() {
            rewrite(value, &self.bot_ids, &self.tasks);
        }
    }
}

/// `_id` → `<prefix>:<refId>` for the elements of a top-level array.
fn collect_task_ids(
    definition: &Map,
    array: &str,
    prefix: &str,
    out: &mut HashMap<String, String>,
) {
    let items = definition.get(array).and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        if let (Some(id), Some(ref_id)) = (
            item.get("_id").and_then(Value::as_str),
            item.get("refId").and_then(Value::as_str),
        ) {
            out.insert(id.to_owned(), format!("{prefix}:{ref_id}"));
        }
    }
}

fn rewrite(value: &mut Value, bot_ids: &[(String, &str)], tasks: &HashMap<String, String>) {
    match value {
        Value::String(text) => {
            if let Some(placeholder) = tasks.get(text.as_str()) {
                *text = placeholder.as_str().into();
                return;
            }
            let mut current: Option<String> = None;
            for (id, placeholder) in bot_ids {
                let s = current.as_deref().unwrap_or(text.as_str());
                if s.contains(id.as_str()) {
                    current = Some(s.replace(id.as_str(), placeholder));
                }
            }
            if let Some(new) = current {
                *text = new.into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, bot_ids, tasks)),
        Value::Object(map) => map.values_mut().for_each(|v| rewrite(v, bot_ids, tasks)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tree::json;

    fn bot(stream: &str, bot_ref: &str, dialog: &str, component: &str) -> Map {
        let value = json!({
            "_id": stream, "refId": bot_ref,
            "namespaces": [{"streamId": stream, "name": "default"}],
            "hook": format!("https://example.test/bots/{stream}/hook"),
            "dialogs": [{"_id": dialog, "refId": "r-dialog", "nodes": [{"componentId": component}]}],
            "dialogComponents": [{"_id": component, "refId": "r-comp", "dialogId": dialog}],
            "sentences": [{"taskId": component, "sentence": "hi"}]
        });
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_same_definition_under_two_identities_neutralises_to_one() {
        let mut x = bot("st-x", "ref-x", "dg-x", "dc-x");
        let mut y = bot("st-y", "ref-y", "dg-y", "dc-y");
        assert_ne!(x, y);
        neutralise(&mut x);
        neutralise(&mut y);
        assert_eq!(x, y);
        assert_eq!(
            x.get("sentences").unwrap(),
            &json!([{"taskId": "dc:r-comp", "sentence": "hi"}])
        );
        assert_eq!(
            x.get("hook").and_then(Value::as_str),
            Some("https://example.test/bots/$bot/hook")
        );
    }

    #[test]
    fn a_task_linked_to_another_task_is_still_a_difference() {
        let mut x = bot("st-x", "ref-x", "dg-x", "dc-x");
        let mut y = bot("st-y", "ref-y", "dg-y", "dc-y");
        // In y the utterance belongs to the dialog, not to the component.
        if let Some(Value::Array(s)) = y.get_mut("sentences") {
            s[0] = json!({"taskId": "dg-y", "sentence": "hi"});
        }
        neutralise(&mut x);
        neutralise(&mut y);
        assert_ne!(x, y);
    }
}
