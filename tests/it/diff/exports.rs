//! On every real export: a re-export (volatile fields regenerated, collections
//! reshuffled) is equivalent; one real edit is different and named exactly.

use kore_gitops::desired::BotFiles;
use kore_gitops::diff::{Action, Component};
use serde_json::{Value, json};

use super::perturb::{Rng, perturb};
use super::support::{config, definition, diff, load, with_config, with_definition};
use crate::support::fixtures;

/// Every fixture export with its files, or none (after a notice) when absent.
fn exports() -> Vec<(&'static str, BotFiles)> {
    let Some(dir) = fixtures::kore_exports() else {
        return Vec::new();
    };
    fixtures::EXPORTS
        .iter()
        .map(|name| (*name, load(&dir.join(name))))
        .collect()
}

#[test]
fn a_re_export_of_every_real_bot_is_equivalent() {
    for (name, files) in exports() {
        for seed in 1..=3 {
            let mut shuffled = definition(&files);
            perturb(&mut shuffled, &mut Rng::new(seed));
            let re_export = with_definition(&files, &shuffled);
            assert_ne!(
                re_export.definition, files.definition,
                "{name}: the perturbation changed nothing"
            );
            let diff = diff(&files, &re_export);
            assert!(diff.is_empty(), "{name} (seed {seed}): {}", diff.summary());
        }
    }
}

/// Applies `edit` to a re-export of each fixture that has what it edits, and checks the summary.
fn check_edit(edit: impl Fn(&mut Value) -> Option<String>) -> usize {
    let mut checked = 0;
    for (name, files) in exports() {
        let mut edited = definition(&files);
        perturb(&mut edited, &mut Rng::new(7));
        let Some(expected) = edit(&mut edited) else {
            continue;
        };
        let diff = diff(&files, &with_definition(&files, &edited));
        assert_eq!(diff.summary(), expected, "{name}: {}", diff.detailed());
        checked += 1;
    }
    checked
}

#[test]
fn one_changed_utterance_is_named_with_its_intent_and_language() {
    let checked = check_edit(|d| {
        let sentence = d["sentences"].as_array_mut()?.first_mut()?;
        let text = format!("{} please", sentence["sentence"].as_str()?);
        sentence["sentence"] = json!(text);
        let (intent, language) = (
            sentence["taskName"].as_str()?,
            sentence["language"].as_str()?,
        );
        Some(format!("utterances: +1 −1 in \"{intent}\" ({language})"))
    });
    assert!(
        checked >= 3 || fixtures::kore_exports().is_none(),
        "only {checked} exports have utterances"
    );
}

#[test]
fn one_renamed_dialog_is_named_with_both_names() {
    let checked = check_edit(|d| {
        let dialog = d["dialogs"].as_array_mut()?.first_mut()?;
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
    });
    assert!(checked == fixtures::EXPORTS.len() || fixtures::kore_exports().is_none());
}

#[test]
fn one_edited_faq_answer_is_named_by_its_question() {
    let checked = check_edit(|d| {
        let faq = d["knowledgeTasks"].as_array_mut()?.first_mut()?["faqs"]["faqs"]
            .as_array_mut()?
            .first_mut()?;
        faq["answer"][0]["text"] = json!("A new answer.");
        Some(format!(
            "knowledge graph: 1 changed (FAQ \"{}\": answer)",
            faq["question"].as_str()?
        ))
    });
    assert!(
        checked >= 2 || fixtures::kore_exports().is_none(),
        "only {checked} exports have FAQs"
    );
}

#[test]
fn one_changed_service_url_is_named_by_its_node() {
    let mut checked = 0;
    for (name, files) in exports() {
        let mut edited = definition(&files);
        perturb(&mut edited, &mut Rng::new(11));
        let components = edited["dialogComponents"].as_array_mut().unwrap();
        let Some(service) = components.iter_mut().find(|c| c["type"] == "service") else {
            continue;
        };
        service["endPoint"]["host"] = json!("api.example.net");
        let (service_name, service_id) = (
            service["name"].as_str().unwrap().to_owned(),
            service["_id"].clone(),
        );
        let users = edited["dialogs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|dialog| {
                dialog["nodes"]
                    .as_array()
                    .is_some_and(|nodes| nodes.iter().any(|n| n["componentId"] == service_id))
            });
        let diff = diff(&files, &with_definition(&files, &edited));
        let node = format!("node {service_name} (service) changed");
        assert_eq!(
            diff.changes.len(),
            users.count().max(1),
            "{name}: {}",
            diff.detailed()
        );
        for change in &diff.changes {
            match change.component {
                Component::Dialogs => {
                    assert_eq!(change.aspects, std::slice::from_ref(&node), "{name}")
                }
                Component::DialogComponents => assert_eq!(change.aspects, ["endPoint"], "{name}"),
                other => panic!("{name}: unexpected {other:?} in {}", diff.detailed()),
            }
        }
        assert!(
            diff.summary().contains(&service_name),
            "{name}: {}",
            diff.summary()
        );
        checked += 1;
    }
    assert!(
        checked >= 3 || fixtures::kore_exports().is_none(),
        "only {checked} exports have services"
    );
}

#[test]
fn one_changed_variable_value_is_named_but_never_shown() {
    for (name, files) in exports() {
        let with_value = |value: &str| {
            let mut config = config(&files);
            let variable = json!({"key": "apiToken", "value": value, "variableType": "env", "isSecured": false});
            config
                .as_object_mut()
                .unwrap()
                .entry("envVariables")
                .or_insert(json!([]));
            config["envVariables"]
                .as_array_mut()
                .unwrap()
                .push(variable);
            with_config(&files, &config)
        };
        let (before, after) = (
            with_value("s3cr3t-before-value"),
            with_value("s3cr3t-after-value"),
        );
        let diff = diff(&before, &after);
        assert_eq!(
            diff.summary(),
            "variables: 1 changed (apiToken: value)",
            "{name}"
        );
        let everything = format!(
            "{}{}{}{diff:?}",
            diff.summary(),
            diff.detailed(),
            serde_json::to_string(&diff).unwrap()
        );
        assert!(
            !everything.contains("s3cr3t"),
            "{name}: a value was printed: {everything}"
        );
    }
}

#[test]
fn a_changed_functions_file_is_named() {
    for (name, files) in exports() {
        let with_functions = |body: &str| {
            let mut files = files.clone();
            files
                .functions
                .insert("botFunctions.js".into(), body.as_bytes().to_vec());
            files
        };
        let before = with_functions("function greet() { return 'hello'; }\n");
        let after = with_functions("function greet() { return 'hi'; }\n");
        let diff = diff(&before, &after);
        assert_eq!(
            diff.summary(),
            "functions: 1 changed (botFunctions.js)",
            "{name}"
        );
        assert_eq!(diff.changes[0].component, Component::Functions);
        assert_eq!(diff.changes[0].action, Action::Changed);
        let mut renamed = before.clone();
        let body = renamed.functions.remove("botFunctions.js").unwrap();
        renamed.functions.insert("other.js".into(), body);
        assert!(
            super::support::diff(&before, &renamed).is_empty(),
            "{name}: a renamed functions file is the same function"
        );
    }
}
