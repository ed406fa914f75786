//! Test helper: do to a bot definition what the platform does on every export
//! (platform-api.md, "Volatile fields"): regenerate exactly the volatile fields
//! and reshuffle `dialogs`, `scenes` and `sentences`. Nothing else is touched.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// A small deterministic random source (xorshift), so failures reproduce from the seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// A fresh id with the platform's prefix.
    fn id(&mut self, prefix: &str) -> String {
        format!("{prefix}{:016x}{:016x}", self.next(), self.next())
    }

    fn date(&mut self) -> String {
        format!(
            "2031-0{}-1{}T10:{:02}:00.000Z",
            1 + self.below(9),
            self.below(10),
            self.below(60)
        )
    }
}

/// Regenerates the volatile fields and reshuffles the unordered collections.
pub fn perturb(definition: &mut Value, rng: &mut Rng) {
    let map = definition
        .as_object_mut()
        .expect("a definition is an object");
    if map.contains_key("encryptedHash") {
        map.insert("encryptedHash".into(), json!(rng.id("")));
    }
    map.insert(
        "exportOptions".into(),
        json!({"tasks": [rng.id("t")], "settings": ["botSettings"]}),
    );
    map.insert(
        "environmentVersionInfo".into(),
        json!({"version": rng.id("v")}),
    );
    regenerate_small_talk(map, rng);
    regenerate_bot_events(map, rng);
    regenerate_scenes(map, rng);
    for sentence in objects(map, "sentences") {
        sentence.insert("_id".into(), json!(rng.id("")));
    }
    if let Some(Value::Object(locales)) = map.get_mut("localeData") {
        for locale in locales.values_mut().filter_map(Value::as_object_mut) {
            locale.insert(
                "nlMeta".into(),
                json!({"intents": rng.below(100), "faqs": rng.below(100)}),
            );
        }
    }
    regenerate_timestamps(map, rng);
    for name in ["dialogs", "scenes", "sentences"] {
        if let Some(Value::Array(items)) = map.get_mut(name) {
            rng.shuffle(items);
        }
    }
}

fn objects<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    let items = match map.get_mut(key) {
        Some(Value::Array(items)) => items.as_mut_slice(),
        _ => &mut [],
    };
    items.iter_mut().filter_map(Value::as_object_mut)
}

fn regenerate_small_talk(map: &mut Map<String, Value>, rng: &mut Rng) {
    for language in objects(map, "smallTalk") {
        for group in objects(language, "groups") {
            group.insert("groupId".into(), json!(rng.id("smg-")));
            regenerate_utterance_ids(group, rng);
        }
    }
}

fn regenerate_utterance_ids(object: &mut Map<String, Value>, rng: &mut Rng) {
    for (key, value) in object.iter_mut() {
        match value {
            Value::Array(items) if key == "botUtterances" => {
                for utterance in items.iter_mut().filter_map(Value::as_object_mut) {
                    utterance.insert("_id".into(), json!(rng.id("mt-")));
                }
            }
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(|o| regenerate_utterance_ids(o, rng)),
            Value::Object(inner) => regenerate_utterance_ids(inner, rng),
            _ => {}
        }
    }
}

fn regenerate_bot_events(map: &mut Map<String, Value>, rng: &mut Rng) {
    let Some(Value::Object(events)) = map.get_mut("botEvents") else {
        return;
    };
    for event in events.values_mut().filter_map(Value::as_object_mut) {
        for message in objects(event, "msg") {
            message.insert("lMod".into(), json!(rng.date()));
            message.insert("createdBy".into(), json!(rng.id("u-")));
            message.insert("lModBy".into(), json!(rng.id("u-")));
        }
    }
}

/// New scene ids, new scene-component ids, and the `snc-` keys renamed to match.
fn regenerate_scenes(map: &mut Map<String, Value>, rng: &mut Rng) {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for component in objects(map, "sceneComponents") {
        let new_id = rng.id("snc-");
        if let Some(Value::String(old)) = component.insert("_id".into(), json!(new_id)) {
            renamed.insert(old, new_id);
        }
        component.insert("sceneId".into(), json!(rng.id("sn-")));
    }
    for scene in objects(map, "scenes") {
        scene.insert("_id".into(), json!(rng.id("sn-")));
        for links in ["components", "dialogLinks"] {
            if let Some(Value::Object(linked)) = scene.get_mut(links) {
                let old = std::mem::take(linked);
                for (key, value) in old {
                    let key = renamed.get(&key).cloned().unwrap_or_else(|| rng.id("snc-"));
                    linked.insert(key, value);
                }
            }
        }
    }
}

fn regenerate_timestamps(map: &mut Map<String, Value>, rng: &mut Rng) {
    let table: &[(&str, &[&str])] = &[
        ("advancedNLSettings", &["lastModifiedOn"]),
        ("namespaces", &["createdOn", "lModifiedOn"]),
        ("traits", &["createdOn", "modifiedOn"]),
        ("customDashboards", &["createdOn", "lMod", "lModBy"]),
    ];
    for (array, fields) in table {
        for element in objects(map, array) {
            for field in *fields {
                element.insert((*field).into(), json!(rng.date()));
            }
        }
    }
}

/// Whether a path (object keys and array indices as strings) is one of the volatile fields.
pub fn is_volatile(path: &[String]) -> bool {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    matches!(
        p.as_slice(),
        [
            "encryptedHash" | "exportOptions" | "environmentVersionInfo",
            ..,
        ] | ["smallTalk", _, "groups", _, "groupId"]
            | ["smallTalk", .., "botUtterances", _, "_id"]
            | ["botEvents", _, "msg", _, "lMod" | "createdBy" | "lModBy"]
            | ["scenes", _, "_id"]
            | ["sceneComponents", _, "_id" | "sceneId"]
            | ["sentences", _, "_id"]
            | ["localeData", _, "nlMeta", ..]
            | ["advancedNLSettings", _, "lastModifiedOn"]
            | ["namespaces", _, "createdOn" | "lModifiedOn"]
            | ["traits", _, "createdOn" | "modifiedOn"]
            | ["customDashboards", _, "createdOn" | "lMod" | "lModBy"]
            // The bot's own identity, and dialog and component ids (stood for
            // by their `refId`): an import stamps the target's (diff::identity).
            | ["_id" | "refId"]
            | ["dialogs" | "dialogComponents", _, "_id"]
    )
}

/// Every leaf path of a value (object keys and array indices), in document order.
pub fn leaf_paths(value: &Value) -> Vec<Vec<String>> {
    fn walk(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match value {
            Value::Object(map) if !map.is_empty() => map.iter().for_each(|(k, v)| {
                path.push(k.clone());
                walk(v, path, out);
                path.pop();
            }),
            Value::Array(items) if !items.is_empty() => {
                items.iter().enumerate().for_each(|(i, v)| {
                    path.push(i.to_string());
                    walk(v, path, out);
                    path.pop();
                })
            }
            _ => out.push(path.clone()),
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

/// The value at a leaf path.
pub fn at_path<'a>(value: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(value, |v, segment| match v {
        Value::Array(items) => &mut items[segment.parse::<usize>().expect("an index")],
        _ => &mut v[segment.as_str()],
    })
}
