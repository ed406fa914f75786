//! Exports regenerate every volatile field and keep everything else; the
//! real exports seed the simulator and come back out intact.

use std::path::PathBuf;

use kore_gitops::diff::ordering::{IDENTITY_KEYS, Order, classify};
use serde_json::{Map, Value};

use crate::support::fixtures;
use kore_gitops::sim::SimConfig;
use kore_gitops::sim::config::ShuffleConfig;

use crate::support::sim::{
    Client, start_sim, start_sim_with, unzip, write_synthetic_bot, zip_json,
};

/// The test's own list of volatile fields (platform-api.md), stripped.
fn strip(mut definition: Value) -> Value {
    let root = definition.as_object_mut().unwrap();
    for key in ["encryptedHash", "exportOptions", "environmentVersionInfo"] {
        root.remove(key);
    }
    for_each(root, "smallTalk", |st| {
        for group in arr(st, "groups") {
            group.as_object_mut().unwrap().remove("groupId");
            for node in arr(group, "nodes") {
                for u in arr(node, "botUtterances") {
                    u.as_object_mut().unwrap().remove("_id");
                }
            }
        }
    });
    if let Some(Value::Object(events)) = root.get_mut("botEvents") {
        for event in events.values_mut() {
            for msg in arr(event, "msg") {
                remove(msg, &["lMod", "createdBy", "lModBy"]);
            }
        }
    }
    for key in ["scenes", "sceneComponents"] {
        for_each(root, key, |item| {
            for links in ["components", "dialogLinks"] {
                if let Some(Value::Object(map)) = item.get(links) {
                    let mut values: Vec<Value> = map.values().cloned().collect();
                    values.sort_by_key(|v| v.to_string());
                    item[links] = Value::Array(values);
                }
            }
            remove(item, &["_id", "sceneId"]);
            blank_scene_ids(item);
        });
    }
    for_each(root, "sentences", |s| remove(s, &["_id"]));
    if let Some(Value::Object(locales)) = root.get_mut("localeData") {
        locales.values_mut().for_each(|l| remove(l, &["nlMeta"]));
    }
    for (key, fields) in [
        ("advancedNLSettings", &["lastModifiedOn"][..]),
        ("namespaces", &["createdOn", "lModifiedOn"]),
        ("traits", &["createdOn", "modifiedOn"]),
        ("customDashboards", &["createdOn", "lMod", "lModBy"]),
    ] {
        for_each(root, key, |item| remove(item, fields));
    }
    sort_sets(&mut definition);
    definition
}

/// Sorts (innermost first) every array the normaliser treats as a set: the
/// simulator may reorder those and nothing else.
fn sort_sets(value: &mut Value) {
    fn walk(value: &mut Value, path: &mut String) {
        match value {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    let length = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    walk(value, path);
                    path.truncate(length);
                }
            }
            Value::Array(items) => {
                path.push_str("[]");
                items.iter_mut().for_each(|item| walk(item, path));
                let identity = !items.is_empty()
                    && items.iter().all(|item| {
                        IDENTITY_KEYS
                            .iter()
                            .any(|key| item.get(key).is_some_and(Value::is_string))
                    });
                if let Some(Order::Set(_)) = classify(path, identity) {
                    items.sort_by_key(|v| v.to_string());
                }
                path.truncate(path.len() - 2);
            }
            _ => {}
        }
    }
    walk(value, &mut String::new());
}

fn blank_scene_ids(value: &mut Value) {
    match value {
        Value::String(s) if s.starts_with("snc-") || s.starts_with("sn-") => s.clear(),
        Value::Array(items) => items.iter_mut().for_each(blank_scene_ids),
        Value::Object(map) => map.values_mut().for_each(blank_scene_ids),
        _ => {}
    }
}

fn for_each(root: &mut Map<String, Value>, key: &str, f: impl FnMut(&mut Value)) {
    if let Some(Value::Array(items)) = root.get_mut(key) {
        items.iter_mut().for_each(f);
    }
}

fn arr<'a>(value: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    value
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn remove(value: &mut Value, keys: &[&str]) {
    if let Some(map) = value.as_object_mut() {
        keys.iter().for_each(|k| drop(map.remove(*k)));
    }
}

fn at<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    value
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"))
}

#[tokio::test]
async fn second_export_differs_in_every_volatile_field_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let seed = write_synthetic_bot(dir.path(), "travel");
    let sim = start_sim(std::slice::from_ref(&seed)).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    let first_zip = client.export(admin, &bot, "latest").await;
    let second_zip = client.export(admin, &bot, "latest").await;
    let names: Vec<String> = unzip(&first_zip).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["botDefinition.json", "config.json", "icon.png"],
        "root files only, no bot.toml"
    );
    let (first, second) = (
        zip_json(&first_zip, "botDefinition.json"),
        zip_json(&second_zip, "botDefinition.json"),
    );
    for pointer in [
        "/encryptedHash",
        "/smallTalk/0/groups/0/groupId",
        "/smallTalk/0/groups/0/nodes/0/botUtterances/0/_id",
        "/botEvents/TASK_FAILURE_EVENT/msg/0/lMod",
        "/botEvents/TASK_FAILURE_EVENT/msg/0/createdBy",
        "/botEvents/TASK_FAILURE_EVENT/msg/0/lModBy",
        "/sceneComponents/0/_id",
        "/sceneComponents/0/sceneId",
        "/localeData/en/nlMeta",
        "/advancedNLSettings/0/lastModifiedOn",
        "/namespaces/0/createdOn",
        "/namespaces/0/lModifiedOn",
        "/traits/0/createdOn",
        "/traits/0/modifiedOn",
        "/customDashboards/0/createdOn",
        "/customDashboards/0/lMod",
        "/customDashboards/0/lModBy",
    ] {
        assert_ne!(
            at(&first, pointer),
            at(&second, pointer),
            "{pointer} must change on every export"
        );
    }
    let ids = |v: &Value, key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_ne!(ids(&first, "scenes"), ids(&second, "scenes"));
    assert_ne!(ids(&first, "sentences"), ids(&second, "sentences"));
    let keys = |v: &Value| {
        v["scenes"][0]["components"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_ne!(keys(&first), keys(&second));
    assert!(keys(&first)[0].starts_with("snc-"));
    assert_ne!(
        ids(&first, "dialogs"),
        ids(&second, "dialogs"),
        "dialogs reshuffled"
    );
    assert_eq!(first["environmentVersionInfo"], "9.1.7");
    let seeded: Value =
        serde_json::from_slice(&std::fs::read(seed.join("botDefinition.json")).unwrap()).unwrap();
    assert_eq!(strip(first.clone()), strip(second));
    assert_eq!(strip(first), strip(seeded));
    let exported_config = zip_json(&first_zip, "config.json");
    let mut seeded_config: Value =
        serde_json::from_slice(&std::fs::read(seed.join("config.json")).unwrap()).unwrap();
    // The platform never gives a secured value back: it exports it blank.
    assert_eq!(seeded_config["envVariables"][0]["isSecured"], true);
    seeded_config["envVariables"][0]["value"] = "".into();
    assert_eq!(exported_config, seeded_config);
}

#[tokio::test]
async fn export_options_are_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    let options =
        serde_json::json!({"tasks": ["botTask"], "nlpData": ["utterances"], "settings": []});
    let body = serde_json::json!({"exportType": "latest", "exportOptions": options});
    assert_eq!(
        client
            .post(admin, &format!("/bot/{bot}/export"), body)
            .await
            .status(),
        200
    );
    let status: Value = client
        .get(admin, &format!("/bot/{bot}/export/status"))
        .await
        .json()
        .await
        .unwrap();
    let size: usize = status["fileSize"]
        .as_str()
        .expect("fileSize is a string")
        .parse()
        .unwrap();
    assert!(size > 0);
    let zip = client
        .http
        .get(status["downloadURL"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        zip_json(&zip, "botDefinition.json")["exportOptions"],
        options
    );
    let missing = client
        .post(admin, &format!("/bot/{bot}/export"), serde_json::json!({}))
        .await;
    assert_eq!(missing.status(), 400);
}

/// The real exports (7 folders and the 4 `fullexport.zip`s) as seeds.
fn real_seeds(tmp: &std::path::Path) -> Option<Vec<(PathBuf, PathBuf)>> {
    fixtures::kore_exports()?;
    let mut seeds = Vec::new();
    for name in fixtures::EXPORTS {
        let folder = fixtures::export(name)?;
        seeds.push((folder.clone(), folder.clone()));
        let zip = folder.join("fullexport.zip");
        if zip.exists() {
            // Zip seeds are named after their stem: give each a unique one (outside the repo).
            let renamed = tmp.join(format!("{name}-zip.zip"));
            std::fs::copy(&zip, &renamed).unwrap();
            seeds.push((renamed, folder));
        }
    }
    Some(seeds)
}

#[tokio::test]
async fn real_exports_come_back_intact_apart_from_volatile_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(seeds) = real_seeds(tmp.path()) else {
        return;
    };
    assert_eq!(seeds.len(), 11);
    let paths: Vec<PathBuf> = seeds.iter().map(|(p, _)| p.clone()).collect();
    let sim = start_sim(&paths).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    for (seed, source) in &seeds {
        let name = kore_gitops::sim::seed::seed_name(seed);
        let bot = &sim.credentials.bot(&name).id;
        let zip = client.export(admin, bot, "latest").await;
        let original: Value = if seed.is_dir() {
            serde_json::from_slice(&std::fs::read(source.join("botDefinition.json")).unwrap())
                .unwrap()
        } else {
            zip_json(&std::fs::read(seed).unwrap(), "botDefinition.json")
        };
        let exported = zip_json(&zip, "botDefinition.json");
        assert!(
            strip(exported.clone()) == strip(original),
            "{name}: content changed by export"
        );
        let icon = std::fs::read(source.join("icon.png")).unwrap();
        assert!(
            unzip(&zip)
                .iter()
                .any(|(n, b)| n == "icon.png" && *b == icon),
            "{name}: icon"
        );
        if exported.get("encryptedHash").is_some() {
            let again = zip_json(
                &client.export(admin, bot, "latest").await,
                "botDefinition.json",
            );
            assert_ne!(again["encryptedHash"], exported["encryptedHash"], "{name}");
        }
    }
}

/// The first export of vaidyah-kg from a fresh simulator with `shuffle`.
async fn first_export(shuffle: ShuffleConfig) -> Option<Value> {
    let seed = fixtures::export("vaidyah-kg")?;
    let config = SimConfig {
        shuffle,
        ..SimConfig::instant()
    };
    let sim = start_sim_with(&[seed], config).await;
    let client = Client::new(&sim);
    let bot = sim.credentials.bot("vaidyah-kg").id.clone();
    let zip = client
        .export(sim.credentials.app("admin"), &bot, "latest")
        .await;
    Some(zip_json(&zip, "botDefinition.json"))
}

/// The `key` of each element of the array at `pointer`, in order.
fn order_at(definition: &Value, pointer: &str, key: &str) -> Vec<String> {
    at(definition, pointer)
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Identity-bearing arrays at three depths of vaidyah-kg, and the key that names their elements.
const SETS_AT_DEPTH: &[(&str, &str)] = &[
    ("/dialogs", "refId"),
    ("/knowledgeTasks/0/taxonomy", "nodeId"),
    ("/knowledgeTasks/0/faqs/faqs", "refId"),
];

#[tokio::test]
async fn exports_shuffle_sets_at_every_depth_from_the_configured_seed_or_not_at_all() {
    let shuffled = |seed| ShuffleConfig {
        enabled: true,
        seed,
    };
    let Some(a) = first_export(shuffled(1)).await else {
        return;
    };
    let again = first_export(shuffled(1)).await.unwrap();
    let other = first_export(shuffled(2)).await.unwrap();
    let kept = first_export(ShuffleConfig {
        enabled: false,
        seed: 1,
    })
    .await
    .unwrap();
    let seeded: Value = serde_json::from_slice(
        &std::fs::read(
            fixtures::export("vaidyah-kg")
                .unwrap()
                .join("botDefinition.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for (pointer, key) in SETS_AT_DEPTH {
        let order = |v: &Value| order_at(v, pointer, key);
        assert_ne!(order(&a), order(&seeded), "{pointer}: shuffled");
        assert_eq!(order(&a), order(&again), "{pointer}: same seed, same order");
        assert_ne!(order(&a), order(&other), "{pointer}: another seed");
        assert_eq!(order(&kept), order(&seeded), "{pointer}: shuffle off");
    }
    // Dialog nodes are a list: the platform keeps their order.
    let nodes = |v: &Value| {
        let dialog = v["dialogs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["refId"] == seeded["dialogs"][0]["refId"])
            .unwrap()
            .clone();
        order_at(&dialog, "/nodes", "nodeId")
    };
    assert_eq!(nodes(&a), nodes(&seeded));
}
