//! On every real export: a re-export (volatile fields regenerated, collections
//! reshuffled) is equivalent; one real edit is different and named exactly.

use kore_gitops::desired::BotFiles;
use kore_gitops::diff::{Action, Component};
use serde_json::Value;

use super::edits;
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
    let checked = check_edit(edits::change_one_utterance);
    assert!(
        checked >= 5 || fixtures::kore_exports().is_none(),
        "only {checked} exports have utterances"
    );
}

#[test]
fn one_renamed_dialog_is_named_with_both_names() {
    let checked = check_edit(edits::rename_one_dialog);
    assert!(checked == fixtures::EXPORTS.len() || fixtures::kore_exports().is_none());
}

#[test]
fn one_edited_faq_answer_is_named_by_its_question() {
    let checked = check_edit(edits::edit_one_faq_answer);
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
        let Some(edit) = edits::change_one_service_url(&mut edited) else {
            continue;
        };
        edit.check(&diff(&files, &with_definition(&files, &edited)), name);
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
        let mut config = config(&files);
        edits::ensure_variable(&mut config);
        let before = with_config(&files, &config);
        let expected = edits::change_one_variable_value(&mut config, "s3cr3t-after-value");
        let diff = diff(&before, &with_config(&files, &config));
        assert_eq!(Some(diff.summary()), expected, "{name}");
        edits::assert_not_printed(&diff, "s3cr3t", name);
    }
}

#[test]
fn a_changed_functions_file_is_named() {
    for (name, files) in exports() {
        let before = edits::with_functions(&files, "function greet() { return 'hello'; }\n");
        let after = edits::with_functions(&files, "function greet() { return 'hi'; }\n");
        let diff = diff(&before, &after);
        assert_eq!(diff.summary(), edits::functions_changed(), "{name}");
        assert_eq!(diff.changes[0].component, Component::Functions);
        assert_eq!(diff.changes[0].action, Action::Changed);
        let mut renamed = before.clone();
        let body = renamed.functions.remove(edits::FUNCTIONS_FILE).unwrap();
        renamed.functions.insert("other.js".into(), body);
        assert!(
            super::support::diff(&before, &renamed).is_empty(),
            "{name}: a renamed functions file is the same function"
        );
    }
}
