//! Language understanding: ML utterances per intent and language, and patterns.

use std::collections::BTreeMap;

use crate::diff::tree::{Map, Value};

use super::{array, differing_keys, keyed, pair, text};
use crate::diff::report::{Action, Change, Component};

/// `(intent, language)` → that intent's utterances in that language.
type Groups<'a> = BTreeMap<(&'a str, &'a str), Vec<&'a Value>>;

/// Compares `sentences` (all of them, or only those without an identical
/// counterpart on the other side): utterances added and removed per intent and language.
pub(crate) fn compare_utterances(left: &[&Value], right: &[&Value], out: &mut Vec<Change>) {
    let (l, r) = (group(left), group(right));
    let keys: std::collections::BTreeSet<&(&str, &str)> = l.keys().chain(r.keys()).collect();
    for key in keys {
        let (before, after) = (
            l.get(key).map_or(&[][..], Vec::as_slice),
            r.get(key).map_or(&[][..], Vec::as_slice),
        );
        if before == after {
            continue;
        }
        let (before_texts, after_texts) = (texts(before), texts(after));
        let mut change = Change::new(Component::Utterances, Action::Changed, key.0);
        change.language = Some(key.1.to_owned());
        change.added = minus(&after_texts, &before_texts);
        change.removed = minus(&before_texts, &after_texts);
        if change.added.is_empty() && change.removed.is_empty() {
            change.aspects = vec!["annotations".to_owned()];
        }
        out.push(change);
    }
}

fn group<'a>(sentences: &[&'a Value]) -> Groups<'a> {
    let mut groups = Groups::new();
    for &sentence in sentences {
        let intent = text(sentence, "taskName")
            .or_else(|| text(sentence, "taskId"))
            .unwrap_or("(no intent)");
        let language = text(sentence, "language").unwrap_or("");
        groups.entry((intent, language)).or_default().push(sentence);
    }
    groups
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
