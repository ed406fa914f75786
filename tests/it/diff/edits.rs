//! Real edits of a bot, one at a time, each with what the diff must say about
//! it. Shared by the offline tests (`exports.rs`) and the round trip through
//! the simulator (`roundtrip.rs`). An edit returns `None` when the bot has
//! nothing of its kind (no utterances, no FAQs, …).

use kore_gitops::desired::BotFiles;
use kore_gitops::diff::{BotDiff, Component};
use serde_json::{Value, json};

/// The name the simulator (and most bots) give the functions file.
pub const FUNCTIONS_FILE: &str = "botFunctions.js";

/// Appends " please" to the first utterance: one removed and one added in its
/// intent, named by `taskName` or (2019 exports) by the intent node `taskId` names.
pub fn change_one_utterance(definition: &mut Value) -> Option<String> {
    let intent = intent_of_first_utterance(definition)?;
    let sentence = definition["sentences"].as_array_mut()?.first_mut()?;
    let text = format!("{} please", sentence["sentence"].as_str()?);
    sentence["sentence"] = json!(text);
    let language = sentence["language"].as_str()?;
    Some(format!("utterances: +1 −1 in \"{intent}\" ({language})"))
}

fn intent_of_first_utterance(definition: &Value) -> Option<String> {
    let sentence = definition["sentences"].as_array()?.first()?;
    if let Some(name) = sentence["taskName"].as_str() {
        return Some(name.to_owned());
    }
    let components = definition["dialogComponents"].as_array()?;
    let intent = components.iter().find(|c| c["_id"] == sentence["taskId"])?;
    intent["localeData"]["en"]["intent"]
        .as_str()
        .or(intent["name"].as_str())
        .map(str::to_owned)
}

/// Renames the first dialog in every language.
pub fn rename_one_dialog(definition: &mut Value) -> Option<String> {
    let dialog = definition["dialogs"].as_array_mut()?.first_mut()?;
    let mut old = None;
    for locale in dialog["localeData"].as_object_mut()?.values_mut() {
        let name = locale["name"].as_str()?.to_owned();
        locale["name"] = json!(format!("{name} Renamed"));
        old.get_or_insert(name);
    }
    let english = dialog["localeData"]
        .get("en")
        .and_then(|en| en["name"].as_str())
        .map(str::to_owned);
    let old = english
        .map(|n| n.trim_end_matches(" Renamed").to_owned())
        .or(old)?;
    Some(format!("dialogs: 1 renamed ({old} → {old} Renamed)"))
}

/// Rewrites the answer of the first FAQ of the first knowledge graph.
pub fn edit_one_faq_answer(definition: &mut Value) -> Option<String> {
    let faq = definition["knowledgeTasks"].as_array_mut()?.first_mut()?["faqs"]["faqs"]
        .as_array_mut()?
        .first_mut()?;
    faq["answer"][0]["text"] = json!("A new answer.");
    Some(format!(
        "knowledge graph: 1 changed (FAQ \"{}\": answer)",
        faq["question"].as_str()?
    ))
}

/// A service node pointed at another host, and how many dialogs use it.
pub struct ServiceEdit {
    name: String,
    users: usize,
}

/// Points the first service node at another host.
pub fn change_one_service_url(definition: &mut Value) -> Option<ServiceEdit> {
    let components = definition["dialogComponents"].as_array_mut()?;
    let service = components.iter_mut().find(|c| c["type"] == "service")?;
    service["endPoint"]["host"] = json!("api.example.net");
    let (name, id) = (service["name"].as_str()?.to_owned(), service["_id"].clone());
    let uses_it = |dialog: &&Value| {
        dialog["nodes"]
            .as_array()
            .is_some_and(|nodes| nodes.iter().any(|n| n["componentId"] == id))
    };
    let users = definition["dialogs"]
        .as_array()?
        .iter()
        .filter(uses_it)
        .count();
    Some(ServiceEdit { name, users })
}

impl ServiceEdit {
    /// The node change is reported under each dialog that uses the node (or as
    /// a dialog component when none does), and nothing else is.
    pub fn check(&self, diff: &BotDiff, bot: &str) {
        assert_eq!(
            diff.changes.len(),
            self.users.max(1),
            "{bot}: {}",
            diff.detailed()
        );
        let node = format!("node {} (service) changed", self.name);
        for change in &diff.changes {
            match change.component {
                Component::Dialogs => {
                    assert_eq!(change.aspects, std::slice::from_ref(&node), "{bot}")
                }
                Component::DialogComponents => assert_eq!(change.aspects, ["endPoint"], "{bot}"),
                other => panic!("{bot}: unexpected {other:?} in {}", diff.detailed()),
            }
        }
        assert!(
            diff.summary().contains(&self.name),
            "{bot}: {}",
            diff.summary()
        );
    }
}

/// Gives `config.json` a variable when it has none, so there is one to change.
pub fn ensure_variable(config: &mut Value) {
    let variables = config
        .as_object_mut()
        .expect("config.json is an object")
        .entry("envVariables")
        .or_insert(json!([]));
    let list = variables.as_array_mut().expect("envVariables is a list");
    if list.is_empty() {
        list.push(json!({"key": "apiToken", "value": "s3cr3t-before-value",
            "variableType": "env", "isSecured": false}));
    }
}

/// Sets the first variable's value to `value`.
pub fn change_one_variable_value(config: &mut Value, value: &str) -> Option<String> {
    let variable = config["envVariables"].as_array_mut()?.first_mut()?;
    variable["value"] = json!(value);
    Some(format!(
        "variables: 1 changed ({}: value)",
        variable["key"].as_str()?
    ))
}

/// Asserts that `secret` appears nowhere in what a diff prints or serialises.
pub fn assert_not_printed(diff: &BotDiff, secret: &str, bot: &str) {
    let everything = format!(
        "{}{}{}{diff:?}",
        diff.summary(),
        diff.detailed(),
        serde_json::to_string(diff).unwrap()
    );
    assert!(
        !everything.contains(secret),
        "{bot}: a value was printed: {everything}"
    );
}

/// The same files with [`FUNCTIONS_FILE`] holding `body`.
pub fn with_functions(files: &BotFiles, body: &str) -> BotFiles {
    let mut files = files.clone();
    files
        .functions
        .insert(FUNCTIONS_FILE.into(), body.as_bytes().to_vec());
    files
}

/// What the diff says when the functions file changed.
pub fn functions_changed() -> String {
    format!("functions: 1 changed ({FUNCTIONS_FILE})")
}
