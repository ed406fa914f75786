//! The volatile fields of an export (platform-api.md, "Volatile fields"):
//! one walker visits each of them, either to regenerate it as the platform
//! does on every export, or to strip it for the canonical digest. Keeping
//! both in one place means the digest ignores exactly what exports change.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::crypto::{prefixed_id, random_hex};
use super::shuffle;

/// What an export needs to regenerate the volatile fields.
#[derive(Debug, Clone)]
pub struct ExportStamp {
    /// The bot's export counter: strictly increasing, so successive exports differ.
    pub seq: u64,
    /// The export time (strictly increasing across exports of the simulator).
    pub time: chrono::DateTime<chrono::Utc>,
    /// The request's `exportOptions` (echoed), if it sent one.
    pub export_options: Option<Value>,
    /// What `environmentVersionInfo` reports.
    pub platform_version: String,
    /// The seed this export shuffles its sets with; `None` keeps every order.
    pub shuffle: Option<u64>,
}

/// Regenerate for an export, or strip for a digest.
#[derive(Debug)]
pub enum Mode<'a> {
    Regenerate(&'a ExportStamp),
    Strip,
}

/// Applies `mode` to every volatile field of a bot definition.
pub fn apply(definition: &mut Value, mode: &Mode) {
    let Some(root) = definition.as_object_mut() else {
        return;
    };
    if let Mode::Regenerate(ExportStamp {
        shuffle: Some(seed),
        ..
    }) = mode
    {
        shuffle::shuffle(root, *seed);
    }
    top_level(root, mode);
    each(root, "smallTalk", |item| small_talk(item, mode));
    if let Some(Value::Object(events)) = root.get_mut("botEvents") {
        for event in events.values_mut() {
            each_in(event, "msg", |msg| {
                set_fields(msg, &["lMod"], &["createdBy", "lModBy"], mode)
            });
        }
    }
    scenes(root, mode);
    each(root, "sentences", |s| set_ids(s, mode, || random_hex(24)));
    locale_meta(root, mode);
    timestamps(root, mode);
    if let Mode::Strip = mode {
        // After the volatile fields are gone, so that they cannot decide the order.
        shuffle::sort(root);
    }
}

fn top_level(root: &mut Map<String, Value>, mode: &Mode) {
    match mode {
        Mode::Strip => {
            for key in ["encryptedHash", "exportOptions", "environmentVersionInfo"] {
                root.remove(key);
            }
        }
        Mode::Regenerate(stamp) => {
            if root.contains_key("encryptedHash") {
                root.insert("encryptedHash".into(), random_hex(32).into());
            }
            if let Some(options) = &stamp.export_options {
                root.insert("exportOptions".into(), options.clone());
            }
            root.insert(
                "environmentVersionInfo".into(),
                stamp.platform_version.clone().into(),
            );
        }
    }
}

fn each(root: &mut Map<String, Value>, key: &str, mut f: impl FnMut(&mut Value)) {
    if let Some(Value::Array(items)) = root.get_mut(key) {
        items.iter_mut().for_each(&mut f);
    }
}

fn each_in(value: &mut Value, key: &str, f: impl FnMut(&mut Value)) {
    if let Some(map) = value.as_object_mut() {
        each(map, key, f);
    }
}

/// Replaces (or strips) `_id` with a fresh id.
fn set_ids(item: &mut Value, mode: &Mode, fresh: impl Fn() -> String) {
    replace_key(item, "_id", mode, &fresh);
}

fn replace_key(item: &mut Value, key: &str, mode: &Mode, fresh: &dyn Fn() -> String) {
    let Some(map) = item.as_object_mut() else {
        return;
    };
    if map.contains_key(key) {
        match mode {
            Mode::Strip => drop(map.remove(key)),
            Mode::Regenerate(_) => drop(map.insert(key.to_owned(), fresh().into())),
        }
    }
}

fn small_talk(item: &mut Value, mode: &Mode) {
    each_in(item, "groups", |group| {
        replace_key(group, "groupId", mode, &|| prefixed_id("smg"));
        each_in(group, "nodes", |node| {
            each_in(node, "botUtterances", |u| {
                set_ids(u, mode, || prefixed_id("mt"))
            });
        });
    });
}

/// Regenerates date fields (`dates`) and user fields (`users`) present in `item`.
fn set_fields(item: &mut Value, dates: &[&str], users: &[&str], mode: &Mode) {
    for key in dates {
        let date = match mode {
            Mode::Regenerate(stamp) if *key == "lMod" && is_js_date(item, key) => js_date(stamp),
            Mode::Regenerate(stamp) => iso_date(stamp),
            Mode::Strip => String::new(),
        };
        replace_key(item, key, mode, &|| date.clone());
    }
    for key in users {
        replace_key(item, key, mode, &|| prefixed_id("u"));
    }
}

fn is_js_date(item: &Value, key: &str) -> bool {
    item.get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| s.contains("GMT"))
}

fn iso_date(stamp: &ExportStamp) -> String {
    stamp.time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn js_date(stamp: &ExportStamp) -> String {
    stamp
        .time
        .format("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")
        .to_string()
}

fn timestamps(root: &mut Map<String, Value>, mode: &Mode) {
    each(root, "advancedNLSettings", |s| {
        set_fields(s, &["lastModifiedOn"], &[], mode)
    });
    each(root, "namespaces", |s| {
        set_fields(s, &["createdOn", "lModifiedOn"], &[], mode)
    });
    each(root, "traits", |s| {
        set_fields(s, &["createdOn", "modifiedOn"], &[], mode)
    });
    each(root, "customDashboards", |s| {
        set_fields(s, &["createdOn", "lMod"], &["lModBy"], mode)
    });
}

fn locale_meta(root: &mut Map<String, Value>, mode: &Mode) {
    let Some(Value::Object(locales)) = root.get_mut("localeData") else {
        return;
    };
    for locale in locales.values_mut().filter_map(Value::as_object_mut) {
        match mode {
            Mode::Strip => drop(locale.remove("nlMeta")),
            Mode::Regenerate(stamp) => {
                if let Some(Value::Object(meta)) = locale.get_mut("nlMeta") {
                    for count in meta.values_mut() {
                        if let Some(n) = count.as_u64() {
                            *count = (n + 1 + stamp.seq % 5).into();
                        }
                    }
                }
            }
        }
    }
}

/// Scene and scene-component ids, and the `snc-` keys that refer to them.
fn scenes(root: &mut Map<String, Value>, mode: &Mode) {
    let mut renamed: HashMap<String, String> = HashMap::new();
    for key in ["scenes", "sceneComponents"] {
        each(root, key, |item| {
            if let Some(map) = item.as_object_mut() {
                for field in ["components", "dialogLinks"] {
                    if let Some(Value::Object(links)) = map.get_mut(field) {
                        let links = std::mem::take(links);
                        map.insert(field.to_owned(), rekey(links, mode, &mut renamed));
                    }
                }
            }
            rename_scene_ids(item, mode, &mut renamed);
        });
    }
}

fn rekey(links: Map<String, Value>, mode: &Mode, renamed: &mut HashMap<String, String>) -> Value {
    match mode {
        Mode::Strip => {
            let mut values: Vec<Value> = links.into_values().collect();
            values
                .iter_mut()
                .for_each(|v| rename_scene_ids(v, mode, renamed));
            values.sort_by_key(|v| v.to_string());
            Value::Array(values)
        }
        Mode::Regenerate(_) => Value::Object(
            links
                .into_iter()
                .map(|(key, mut value)| {
                    rename_scene_ids(&mut value, mode, renamed);
                    (renamed_id(&key, renamed), value)
                })
                .collect(),
        ),
    }
}

/// Every string that is a scene (`sn-`) or scene-component (`snc-`) id.
fn rename_scene_ids(value: &mut Value, mode: &Mode, renamed: &mut HashMap<String, String>) {
    match value {
        Value::String(s) if s.starts_with("sn-") || s.starts_with("snc-") => {
            *s = match mode {
                Mode::Strip => String::new(),
                Mode::Regenerate(_) => renamed_id(s, renamed),
            };
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| rename_scene_ids(v, mode, renamed)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| rename_scene_ids(v, mode, renamed)),
        _ => {}
    }
}

fn renamed_id(old: &str, renamed: &mut HashMap<String, String>) -> String {
    if !(old.starts_with("sn-") || old.starts_with("snc-")) {
        return old.to_owned();
    }
    let prefix = if old.starts_with("snc-") { "snc" } else { "sn" };
    renamed
        .entry(old.to_owned())
        .or_insert_with(|| prefixed_id(prefix))
        .clone()
}
