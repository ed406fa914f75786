//! Language understanding: ML utterances per intent and language, and patterns.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::diff::tree::{Map, Value};

use super::dialogs::component_name;
use super::{array, differing_keys, keyed, pair, text};
use crate::diff::report::{Action, Change, Component};

/// `(intent, language)` → that intent's utterances in that language.
type Groups<'a> = BTreeMap<(Cow<'a, str>, &'a str), Vec<&'a Value>>;

/// Compares utterances (all of a side's `sentences`, or only those without an
/// identical counterpart on the other side), each side with its definition:
/// utterances added and removed per intent and language.
pub(crate) fn compare_utterances(
    (left, left_sentences): (&Map, &[&Value]),
    (right, right_sentences): (&Map, &[&Value]),
    out: &mut Vec<Change>,
) {
    let (l, r) = (group(left, left_sentences), group(right, right_sentences));
    let keys: BTreeSet<&(Cow<'_, str>, &str)> = l.keys().chain(r.keys()).collect();
    for key in keys {
        let (before, after) = (
            l.get(key).map_or(&[][..], Vec::as_slice),
            r.get(key).map_or(&[][..], Vec::as_slice),
        );
        if before == after {
            continue;
        }
        let (before_texts, after_texts) = (texts(before), texts(after));
        let mut change = Change::new(Component::Utterances, Action::Changed, key.0.as_ref());
        change.language = Some(key.1.to_owned());
        change.added = minus(&after_texts, &before_texts);
        change.removed = minus(&before_texts, &after_texts);
        if change.added.is_empty() && change.removed.is_empty() {
            change.aspects = vec!["annotations".to_owned()];
        }
        out.push(change);
    }
}

fn group<'a>(definition: &'a Map, sentences: &[&'a Value]) -> Groups<'a> {
    let mut intents = IntentNames::new(definition);
    let mut groups = Groups::new();
    for &sentence in sentences {
        let language = text(sentence, "language").unwrap_or("");
        let key = (intents.of(sentence), language);
        groups.entry(key).or_default().push(sentence);
    }
    groups
}

/// The intent an utterance belongs to: its `taskName`, else the name of the
/// intent node its `taskId` refers to (exports of 2019 have no `taskName`),
/// else the id itself.
struct IntentNames<'a> {
    components: &'a [Value],
    /// Dialog components by `_id`, built on the first utterance without a `taskName`.
    by_id: Option<BTreeMap<&'a str, &'a Value>>,
}

impl<'a> IntentNames<'a> {
    fn new(definition: &'a Map) -> Self {
        IntentNames {
            components: array(definition, "dialogComponents"),
            by_id: None,
        }
    }

    fn of(&mut self, sentence: &'a Value) -> Cow<'a, str> {
        if let Some(name) = text(sentence, "taskName") {
            return Cow::Borrowed(name);
        }
        let Some(id) = text(sentence, "taskId") else {
            return Cow::Borrowed("(no intent)");
        };
        let components = self.components;
        let by_id = self.by_id.get_or_insert_with(|| {
            let with_id = |c: &'a Value| Some((text(c, "_id")?, c));
            components.iter().filter_map(with_id).collect()
        });
        by_id.get(id).map_or(Cow::Borrowed(id), |component| {
            Cow::Owned(component_name(component))
        })
    }
}

fn texts(sentences: &[&Value]) -> Vec<String> {
    let mut texts: Vec<String> = sentences
        .iter()
        .map(|s| text(s, "sentence").unwrap_or_default().to_owned())
        .collect();
    texts.sort();
    texts
}

/// Multiset difference of two sorted lists.
fn minus(from: &[String], take: &[String]) -> Vec<String> {
    let mut rest = Vec::new();
    let mut other = take.iter().peekable();
    for item in from {
        while other.next_if(|o| *o < item).is_some() {}
        if other.next_if(|o| *o == item).is_none() {
            rest.push(item.clone());
        }
    }
    rest
}

/// Compares `patterns`, per intent.
pub(crate) fn compare_patterns(left: &Map, right: &Map, out: &mut Vec<Change>) {
    let name: fn(&Value) -> Option<&str> = |v| text(v, "refId");
    let (l, r) = (
        keyed(array(left, "patterns"), name),
        keyed(array(right, "patterns"), name),
    );
    let paired = pair(&l, &r);
    let label = |v: &Value| {
        text(v, "taskName")
            .or_else(|| text(v, "refId"))
            .unwrap_or("(unnamed)")
            .to_owned()
    };
    out.extend(
        paired
            .added
            .iter()
            .map(|v| Change::new(Component::Patterns, Action::Added, label(v))),
    );
    out.extend(
        paired
            .removed
            .iter()
            .map(|v| Change::new(Component::Patterns, Action::Removed, label(v))),
    );
    for (before, after) in paired.changed {
        let change = Change::new(Component::Patterns, Action::Changed, label(after));
        out.push(change.with_aspects(differing_keys(before, after, &[])));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tree::json;

    fn sentences(definition: &Value) -> Vec<&Value> {
        definition
            .get("sentences")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .collect()
    }

    #[test]
    fn utterances_without_a_task_name_are_named_by_their_intent_node() {
        let definition = |sentence: &str| {
            json!({"dialogComponents": [{"_id": "dc-1", "type": "intent", "name": "Weather",
                    "localeData": {"en": {"intent": "Get Weather"}}}],
                "sentences": [{"taskId": "dc-1", "sentence": sentence, "language": "en"},
                    {"taskId": "dc-9", "sentence": "orphan", "language": "en"}]})
        };
        let (before, after) = (definition("weather?"), definition("weather please?"));
        let (l, r) = (before.as_object().unwrap(), after.as_object().unwrap());
        let mut out = Vec::new();
        compare_utterances((l, &sentences(&before)), (r, &sentences(&after)), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].name.as_str(), out[0].language.as_deref()),
            ("Get Weather", Some("en"))
        );
        let mut orphan = Vec::new();
        compare_utterances((l, &[]), (r, &sentences(&after)[1..]), &mut orphan);
        assert_eq!(
            orphan[0].name, "dc-9",
            "an unknown intent is named by its id"
        );
    }

    #[test]
    fn multiset_difference() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            minus(&s(&["a", "a", "b", "c"]), &s(&["a", "c", "d"])),
            s(&["a", "b"])
        );
        assert!(minus(&s(&["a"]), &s(&["a"])).is_empty());
    }
}
