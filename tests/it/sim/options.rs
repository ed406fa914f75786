//! Partial exports shaped like the platform's, and what each import option
//! makes of the target bot (platform-api.md, "Import options and their meaning").

use std::collections::BTreeMap;
use std::path::Path;

use kore_gitops::sim::RunningSim;
use serde_json::{Value, json};

use crate::support::fixtures;
use crate::support::sim::{Client, start_sim, zip_json};

/// `absent`, `empty` or `full` for every top-level key.
fn shape(definition: &Value) -> BTreeMap<String, &'static str> {
    let root = definition.as_object().expect("an object");
    root.iter()
        .map(|(key, value)| {
            let empty = match value {
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            };
            (key.clone(), if empty { "empty" } else { "full" })
        })
        .collect()
}

/// The fields the elements of a top-level array carry (exports reorder arrays).
fn element_keys(definition: &Value, array: &str) -> Vec<String> {
    let items = definition[array].as_array().cloned().unwrap_or_default();
    let keys: std::collections::BTreeSet<String> = items
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().cloned())
        .collect();
    keys.into_iter().collect()
}

async fn export_with(client: &Client, sim: &RunningSim, bot: &str, body: Value) -> Vec<u8> {
    let admin = sim.credentials.app("admin");
    let started = client
        .post(admin, &format!("/bot/{bot}/export"), body)
        .await;
    assert_eq!(started.status(), 200, "export start");
    let status: Value = client
        .get(admin, &format!("/bot/{bot}/export/status"))
        .await
        .json()
        .await
        .unwrap();
    let url = status["downloadURL"].as_str().expect("downloadURL");
    client
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn partial_exports_have_the_keys_and_shapes_of_the_real_ones() {
    let Some(dir) = fixtures::kore_exports() else {
        return;
    };
    let sim = start_sim(&[dir.join("demobot-Export_All")]).await;
    let client = Client::new(&sim);
    let bot = sim.credentials.bot("demobot-Export_All").id.clone();
    for partial in [
        "demobot-Export_BotTasks",
        "demobot-Export_NLPData",
        "demobot-Export_WithoutSettings",
    ] {
        let real: Value = read_json(&dir.join(partial).join("botDefinition.json"));
        let options = real["exportOptions"].clone();
        let zip = export_with(
            &client,
            &sim,
            &bot,
            json!({"exportType": "latest", "exportOptions": options}),
        )
        .await;
        let ours = zip_json(&zip, "botDefinition.json");
        assert_eq!(shape(&ours), shape(&real), "{partial}");
        for array in ["dialogs", "dialogComponents"] {
            assert_eq!(
                element_keys(&ours, array),
                element_keys(&real, array),
                "{partial} {array}"
            );
        }
        assert_eq!(
            ours["exportOptions"], options,
            "{partial}: the request is echoed"
        );
        let config = zip_json(&zip, "config.json");
        let real_config: Value = read_json(&dir.join(partial).join("config.json"));
        assert_eq!(
            config["envVariables"], real_config["envVariables"],
            "{partial}"
        );
    }
    // Without options: everything, as the full export holds it.
    let full = zip_json(
        &export_with(&client, &sim, &bot, json!({"exportType": "latest"})).await,
        "botDefinition.json",
    );
    let all: Value = read_json(&dir.join("demobot-Export_All/botDefinition.json"));
    assert_eq!(shape(&full), shape(&all));
    // subTasks: only the named dialogs.
    let one = all["dialogs"][0]["_id"].clone();
    let body = json!({"exportType": "latest", "subTasks": {"dialogs": [one]}});
    let sub = zip_json(
        &export_with(&client, &sim, &bot, body).await,
        "botDefinition.json",
    );
    assert_eq!(sub["dialogs"].as_array().unwrap().len(), 1);
    assert_eq!(sub["dialogs"][0]["_id"], one);
    let body = json!({"exportType": "latest", "allTasks": true, "subTasks": {"dialogs": [one]}});
    let every = zip_json(
        &export_with(&client, &sim, &bot, body).await,
        "botDefinition.json",
    );
    assert_eq!(
        every["dialogs"].as_array().unwrap().len(),
        all["dialogs"].as_array().unwrap().len()
    );
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sentence(task: &str, text: &str) -> Value {
    json!({"taskId": task, "sentence": text, "language": "en"})
}

fn pattern(values: &[&str]) -> Value {
    let list: Vec<Value> = values.iter().map(|v| json!({"value": v})).collect();
    json!({"refId": "pa", "localeData": {"en": {"patterns": list}}})
}

fn variable(key: &str, value: &str) -> Value {
    json!({"key": key, "value": value, "variableType": "env"})
}

/// The target bot: dialogs a and b, utterances for both, one pattern, two
/// variables, a webhook channel.
fn write_target(dir: &Path) -> std::path::PathBuf {
    let folder = dir.join("target");
    std::fs::create_dir_all(&folder).unwrap();
    let definition = json!({"_id": "st-target", "refId": "bot-ref", "defaultLanguage": "en",
        "dialogs": [{"_id": "dg-a", "refId": "a", "lname": "a"}, {"_id": "dg-b", "refId": "b", "lname": "b"}],
        "sentences": [sentence("dg-a", "a1"), sentence("dg-a", "a2"), sentence("dg-b", "b1")],
        "patterns": [pattern(&["p1"])],
        "channels": [{"type": "webhook", "name": "hook"}]});
    std::fs::write(folder.join("botDefinition.json"), definition.to_string()).unwrap();
    let config = json!({"name": "target", "envVariables": [variable("apiKey", "target-secret"), variable("url", "target-url")]});
    std::fs::write(folder.join("config.json"), config.to_string()).unwrap();
    folder
}

/// The file: dialog a renamed, a new dialog c, b missing; one utterance of a;
/// another pattern; three variables; no channels.
fn file() -> (Value, Value) {
    let definition = json!({"_id": "st-target", "refId": "bot-ref", "defaultLanguage": "en",
        "dialogs": [{"_id": "dg-a", "refId": "a", "lname": "a renamed"}, {"_id": "dg-c", "refId": "c", "lname": "c"}],
        "sentences": [sentence("dg-a", "a3")],
        "patterns": [pattern(&["p2"])]});
    let config = json!({"name": "target", "envVariables": [variable("apiKey", ""), variable("url", "file-url"), variable("new", "n")]});
    (definition, config)
}

/// Resets the simulator, imports the file with `options`, and exports the bot.
async fn import_with(client: &Client, sim: &RunningSim, options: Option<Value>) -> (Value, Value) {
    client.control("/reset", json!({})).await;
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("target").id.clone();
    let (definition, config) = file();
    let definition = client
        .upload(admin, definition.to_string().into_bytes(), "json")
        .await;
    let config = client
        .upload(admin, config.to_string().into_bytes(), "json")
        .await;
    let mut body = json!({"botDefinition": definition, "configInfo": config});
    if let Some(options) = options {
        body["importOptions"] = options;
    }
    let started: Value = client
        .post(admin, &format!("/bot/{bot}/import"), body)
        .await
        .json()
        .await
        .unwrap();
    let id = started["_id"].as_str().expect("an import id");
    let status: Value = client
        .get(admin, &format!("/bot/import/status/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "success", "{status}");
    let zip = export_with(client, sim, &bot, json!({"exportType": "latest"})).await;
    (
        zip_json(&zip, "botDefinition.json"),
        zip_json(&zip, "config.json"),
    )
}

fn names(definition: &Value) -> Vec<String> {
    let mut names: Vec<String> = definition["dialogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["lname"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn utterances(definition: &Value) -> Vec<String> {
    let mut all: Vec<String> = definition["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sentence"].as_str().unwrap().to_owned())
        .collect();
    all.sort();
    all
}

fn values(config: &Value) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = config["envVariables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["key"].as_str().unwrap().to_owned(),
                v["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    all.sort();
    all
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn import_options_append_replace_and_keep_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_target(dir.path())]).await;
    let client = Client::new(&sim);
    let flags = |key: &str, append: bool| json!({key: {"append": append, "replace": !append}});

    // Incremental tasks + utterances, appended: a replaced, c added, b kept; the union of utterances.
    let options = json!({"tasks": ["botTask"], "nlpData": ["utterances"], "options": flags("utterances", true)});
    let (d, c) = import_with(&client, &sim, Some(options)).await;
    assert_eq!(names(&d), ["a renamed", "b", "c"]);
    assert_eq!(utterances(&d), ["a1", "a2", "a3", "b1"]);
    assert_eq!(
        values(&c),
        pairs(&[("apiKey", "target-secret"), ("url", "target-url")]),
        "settings not imported"
    );

    // Replaced: the file's utterances for a, b's kept.
    let options = json!({"tasks": ["botTask"], "nlpData": ["utterances"], "options": flags("utterances", false)});
    let (d, _) = import_with(&client, &sim, Some(options)).await;
    assert_eq!(utterances(&d), ["a3", "b1"]);

    // Patterns, appended and replaced; nothing else imported.
    let (d, _) = import_with(
        &client,
        &sim,
        Some(json!({"nlpData": ["patterns"], "options": flags("patterns", true)})),
    )
    .await;
    assert_eq!(
        d["patterns"],
        json!([{"refId": "pa", "localeData": {"en": {"patterns": [{"value": "p1"}, {"value": "p2"}]}}}])
    );
    assert_eq!(names(&d), ["a", "b"]);
    let (d, _) = import_with(
        &client,
        &sim,
        Some(json!({"nlpData": ["patterns"], "options": flags("patterns", false)})),
    )
    .await;
    assert_eq!(d["patterns"], json!([pattern(&["p2"])]));

    // Variables by key, the ignored one keeping the target's value.
    let options =
        json!({"settings": ["botVariables"], "options": {"botVariables": {"ignore": ["apiKey"]}}});
    let (d, c) = import_with(&client, &sim, Some(options)).await;
    assert_eq!(
        values(&c),
        pairs(&[
            ("apiKey", "target-secret"),
            ("new", "n"),
            ("url", "file-url")
        ])
    );
    assert_eq!(utterances(&d), ["a1", "a2", "b1"]);

    // Full import: the bot becomes the file, except its webhook channel.
    let (d, c) = import_with(&client, &sim, None).await;
    assert_eq!(names(&d), ["a renamed", "c"]);
    assert_eq!(utterances(&d), ["a3"]);
    assert_eq!(d["channels"], json!([{"type": "webhook", "name": "hook"}]));
    assert_eq!(
        values(&c),
        pairs(&[("apiKey", ""), ("new", "n"), ("url", "file-url")])
    );

    // A full import that asks to append keeps a's utterances (b is gone).
    let (d, _) = import_with(
        &client,
        &sim,
        Some(json!({"options": flags("utterances", true)})),
    )
    .await;
    assert_eq!(names(&d), ["a renamed", "c"]);
    assert_eq!(utterances(&d), ["a1", "a2", "a3"]);

    // Full import that keeps one variable of the target.
    let options = json!({"options": {"botVariables": {"ignore": ["apiKey"]}}});
    let (d, c) = import_with(&client, &sim, Some(options)).await;
    assert_eq!(names(&d), ["a renamed", "c"]);
    assert_eq!(
        values(&c),
        pairs(&[
            ("apiKey", "target-secret"),
            ("new", "n"),
            ("url", "file-url")
        ])
    );
}
