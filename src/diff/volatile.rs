//! What the platform changes on every export although nobody changed the bot
//! (the "Volatile fields" table of platform-api.md). Exactly these are dropped
//! (and the sets of `ordering` sorted, in `sets`); anything else is a real
//! difference.

use super::canonical::HashWriter;
use super::order::{sort_by_content, sort_by_identity};
use super::tree::{Map, Value};

/// Top-level fields that describe the export, not the bot.
const EXPORT_FIELDS: &[&str] = &["encryptedHash", "exportOptions", "environmentVersionInfo"];

/// `(array, fields)`: timestamps the platform rewrites in elements of a top-level array.
const ARRAY_TIMESTAMPS: &[(&str, &[&str])] = &[
    ("advancedNLSettings", &["lastModifiedOn"]),
    ("namespaces", &["createdOn", "lModifiedOn"]),
    ("traits", &["createdOn", "modifiedOn"]),
    ("customDashboards", &["createdOn", "lMod", "lModBy"]),
];

/// Fields of `botEvents.*.msg[]` rewritten on export.
const BOT_EVENT_MESSAGE_FIELDS: &[&str] = &["lMod", "createdBy", "lModBy"];

/// Removes the volatile fields of a bot definition, in place.
pub(crate) fn drop_volatile(definition: &mut Map) {
    for field in EXPORT_FIELDS {
        definition.remove(field);
    }
    for (array, fields) in ARRAY_TIMESTAMPS {
        for element in objects_mut(definition.get_mut(array)) {
            remove_all(element, fields);
        }
    }
    drop_small_talk_ids(definition.get_mut("smallTalk"));
    if let Some(Value::Object(events)) = definition.get_mut("botEvents") {
        for event in events.values_mut() {
            let messages = event.as_object_mut().and_then(|e| e.get_mut("msg"));
            for message in objects_mut(messages) {
                remove_all(message, BOT_EVENT_MESSAGE_FIELDS);
            }
        }
    }
    for scene in objects_mut(definition.get_mut("scenes")) {
        scene.remove("_id");
        for links in ["components", "dialogLinks"] {
            unkey_scene_components(scene.get_mut(links));
        }
    }
    for component in objects_mut(definition.get_mut("sceneComponents")) {
        remove_all(component, &["_id", "sceneId"]);
    }
    for sentence in objects_mut(definition.get_mut("sentences")) {
        sentence.remove("_id");
    }
    if let Some(Value::Object(locales)) = definition.get_mut("localeData") {
        for locale in locales.values_mut().filter_map(Value::as_object_mut) {
            locale.remove("nlMeta");
        }
    }
}

/// Sorts `config.json`'s variables by `key`.
pub(crate) fn sort_config(config: &mut Map) {
    if let Some(Value::Array(variables)) = config.get_mut("envVariables") {
        sort_by_identity(variables, |v| key_of(v, "key"), &mut HashWriter::new());
    }
}

/// The identity of a collection element: `refId`, else `_id`; `None` sorts by content.
pub(crate) fn identity(element: &Value) -> Option<&str> {
    key_of(element, "refId").or_else(|| key_of(element, "_id"))
}

fn key_of<'a>(element: &'a Value, key: &str) -> Option<&'a str> {
    element.get(key).and_then(Value::as_str)
}

fn drop_small_talk_ids(small_talk: Option<&mut Value>) {
    for language in objects_mut(small_talk) {
        for group in objects_mut(language.get_mut("groups")) {
            group.remove("groupId");
            drop_bot_utterance_ids(group);
        }
    }
}

/// Bot utterances sit in nodes (and their children) of a small-talk group.
fn drop_bot_utterance_ids(object: &mut Map) {
    for (key, value) in object.iter_mut() {
        match value {
            Value::Array(items) if key == "botUtterances" => {
                items
                    .iter_mut()
                    .filter_map(Value::as_object_mut)
                    .for_each(|u| drop(u.remove("_id")));
            }
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(drop_bot_utterance_ids),
            Value::Object(inner) => drop_bot_utterance_ids(inner),
            _ => {}
        }
    }
}

/// `{"snc-…": x, …}` becomes the sorted list `[x, …]`: the keys are regenerated ids.
fn unkey_scene_components(links: Option<&mut Value>) {
    let Some(value) = links else { return };
    let Value::Object(map) = value else { return };
    if map.is_empty() || !map.keys().all(|k| k.starts_with("snc-")) {
        return;
    }
    let mut items: Vec<Value> = std::mem::take(map).into_values().collect();
    sort_by_content(&mut items);
    *value = Value::Array(items);
}

fn objects_mut(value: Option<&mut Value>) -> impl Iterator<Item = &mut Map> {
    let items = match value {
        Some(Value::Array(items)) => items.as_mut_slice(),
        _ => &mut [],
    };
    items.iter_mut().filter_map(Value::as_object_mut)
}

fn remove_all(object: &mut Map, fields: &[&str]) {
    for field in fields {
        object.remove(field);
    }
}
