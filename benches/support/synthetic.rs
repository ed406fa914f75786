//! A synthetic bot definition of any size, grown from the example bot by
//! replicating its dialogs, nodes and utterances under fresh identities, and
//! written pretty-printed with four spaces, as the platform exports it.

use std::path::Path;

use kore_gitops::desired::{BotFiles, read_bot_folder};
use serde::Serialize;
use serde_json::{Value, json};

/// The example bot the synthetic definitions grow from.
pub fn seed_bot() -> BotFiles {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots/travel-desk");
    read_bot_folder(&path).expect("the example bot reads").1
}

/// Pretty-prints like the platform (four-space indent).
pub fn pretty(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    value
        .serialize(&mut serializer)
        .expect("serialising JSON into memory");
    out
}

/// A definition of at least `bytes` bytes (pretty-printed).
pub fn definition_of_size(bytes: usize) -> Vec<u8> {
    let seed: Value =
        serde_json::from_slice(&seed_bot().definition).expect("the example definition is JSON");
    let one_copy = pretty(&replica(&seed, 0)).len();
    let copies = bytes.div_ceil(one_copy.max(1)).max(1);
    let mut grown = seed.clone();
    for key in ["dialogs", "dialogComponents", "sentences"] {
        grown[key] = json!([]);
    }
    for copy in 0..copies {
        let part = replica(&seed, copy);
        for key in ["dialogs", "dialogComponents", "sentences"] {
            let items = part[key].as_array().cloned().unwrap_or_default();
            grown[key].as_array_mut().expect("an array").extend(items);
        }
    }
    pretty(&grown)
}

/// The seed's dialogs, components and utterances with identities and names made unique by `copy`.
fn replica(seed: &Value, copy: usize) -> Value {
    let suffix = |v: &Value| json!(format!("{}-{copy}", v.as_str().unwrap_or_default()));
    let mut part = json!({
        "dialogs": seed["dialogs"].clone(),
        "dialogComponents": seed["dialogComponents"].clone(),
        "sentences": seed["sentences"].clone(),
    });
    for key in ["dialogs", "dialogComponents", "sentences"] {
        for item in part[key].as_array_mut().into_iter().flatten() {
            for field in [
                "_id", "refId", "taskId", "taskName", "name", "lname", "dialogId",
            ] {
                if item.get(field).is_some() {
                    item[field] = suffix(&item[field]);
                }
            }
            for node in item
                .get_mut("nodes")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                node["componentId"] = suffix(&node["componentId"]);
            }
        }
    }
    part
}

/// `definition` with one utterance added and one dialog node's text changed.
pub fn edited(definition: &[u8]) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(definition).expect("JSON");
    let mut utterance = value["sentences"][0].clone();
    utterance["sentence"] = json!("one more way to say it");
    value["sentences"]
        .as_array_mut()
        .expect("sentences")
        .push(utterance);
    value["dialogs"][0]["localeData"]["en"]["name"] = json!("Renamed for the benchmark");
    pretty(&value)
}
