//! Small talk, bot events, settings, environment variables, functions and icon.

use std::collections::BTreeMap;

use crate::diff::tree::{Map, Value};

use super::{array, differing_keys, keyed, nested, pair, text};
use crate::diff::report::{Action, Change, Component};

/// Top-level definition keys that have their own comparer; the rest are settings.
const OWNED_KEYS: &[&str] = &[
    "dialogs",
    "dialogComponents",
    "sentences",
    "patterns",
    "knowledgeTasks",
    "smallTalk",
    "botEvents",
];

/// Named members of an object.
type Members<'a> = BTreeMap<String, &'a Value>;

/// Compares `smallTalk`: groups per language.
pub(crate) fn compare_small_talk(left: &Map, right: &Map, out: &mut Vec<Change>) {
    let by_language: fn(&Value) -> Option<&str> = |v| text(v, "language");
    let (l, r) = (
        keyed(array(left, "smallTalk"), by_language),
        keyed(array(right, "smallTalk"), by_language),
    );
    let languages: std::collections::BTreeSet<&str> =
        l.keys().chain(r.keys()).map(AsRef::as_ref).collect();
    for language in languages {
        let (before, after) = (l.get(language).copied(), r.get(language).copied());
        if before == after {
            continue;
        }
        let by_name: fn(&Value) -> Option<&str> = |v| text(v, "groupName");
        let (groups_before, groups_after) = (
            before.map_or(&[][..], |v| nested(v, "groups")),
            after.map_or(&[][..], |v| nested(v, "groups")),
        );
        let paired = pair(
            &keyed(groups_before, by_name),
            &keyed(groups_after, by_name),
        );
        let found = out.len();
        let change = |v: &Value, action| {
            let name = format!("group {}", text(v, "groupName").unwrap_or("(unnamed)"));
            Change::new(Component::SmallTalk, action, name).in_language(Some(language.to_owned()))
        };
        out.extend(paired.added.iter().map(|v| change(v, Action::Added)));
        out.extend(paired.removed.iter().map(|v| change(v, Action::Removed)));
        out.extend(
            paired
                .changed
                .iter()
                .map(|(b, a)| change(a, Action::Changed).with_aspects(differing_keys(b, a, &[]))),
        );
        if out.len() == found {
            out.push(
                Change::new(Component::SmallTalk, Action::Changed, "settings")
                    .in_language(Some(language.to_owned())),
            );
        }
    }
}

/// Compares `botEvents`, per event.
pub(crate) fn compare_bot_events(left: &Map, right: &Map, out: &mut Vec<Change>) {
    let (l, r) = (bot_events(left), bot_events(right));
    compare_members(Component::BotEvents, &l, &r, out);
}

/// Compares every top-level key without a comparer of its own, and `config.json` apart from its variables.
pub(crate) fn compare_settings(
    (left, right): (&Map, &Map),
    (left_config, right_config): (&Map, &Map),
    out: &mut Vec<Change>,
) {
    compare_members(Component::Settings, &unowned(left), &unowned(right), out);
    compare_members(
        Component::Settings,
        &config_settings(left_config),
        &config_settings(right_config),
        out,
    );
}

fn bot_events(definition: &Map) -> Members<'_> {
    let events = definition.get("botEvents").and_then(Value::as_object);
    events.map_or_else(Members::new, |e| {
        e.iter().map(|(k, v)| (k.to_owned(), v)).collect()
    })
}

fn unowned(definition: &Map) -> Members<'_> {
    definition
        .iter()
        .filter(|(k, _)| !OWNED_KEYS.contains(k))
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

fn config_settings(config: &Map) -> Members<'_> {
    config
        .iter()
        .filter(|(k, _)| *k != "envVariables")
        .map(|(k, v)| (format!("config.json {k}"), v))
        .collect()
}

/// Compares `config.json` variables by key. Values are reported as "value", never shown.
pub(crate) fn compare_variables(left: &Map, right: &Map, out: &mut Vec<Change>) {
    let by_key: fn(&Value) -> Option<&str> = |v| text(v, "key");
    let (l, r) = (
        keyed(array(left, "envVariables"), by_key),
        keyed(array(right, "envVariables"), by_key),
    );
    let paired = pair(&l, &r);
    let key = |v: &Value| text(v, "key").unwrap_or("(no key)").to_owned();
    out.extend(
        paired
            .added
            .iter()
            .map(|v| Change::new(Component::Variables, Action::Added, key(v))),
    );
    out.extend(
        paired
            .removed
            .iter()
            .map(|v| Change::new(Component::Variables, Action::Removed, key(v))),
    );
    for (before, after) in paired.changed {
        out.push(
            Change::new(Component::Variables, Action::Changed, key(after))
                .with_aspects(differing_keys(before, after, &[])),
        );
    }
}

/// Compares functions by content first (a function under another file name is
/// the same function), then the rest by file name.
pub(crate) fn compare_functions(
    left: &BTreeMap<String, [u8; 32]>,
    right: &BTreeMap<String, [u8; 32]>,
    out: &mut Vec<Change>,
) {
    let mut unmatched_right: Vec<(&String, &[u8; 32])> = right.iter().collect();
    let mut unmatched_left = Vec::new();
    for (name, hash) in left {
        match unmatched_right.iter().position(|(_, h)| *h == hash) {
            Some(index) => drop(unmatched_right.remove(index)),
            None => unmatched_left.push(name),
        }
    }
    for name in &unmatched_left {
        let action = if right.contains_key(*name) {
            Action::Changed
        } else {
            Action::Removed
        };
        out.push(Change::new(Component::Functions, action, name.as_str()));
    }
    for (name, _) in unmatched_right
        .into_iter()
        .filter(|(name, _)| !left.contains_key(*name))
    {
        out.push(Change::new(
            Component::Functions,
            Action::Added,
            name.as_str(),
        ));
    }
}

/// Compares the icons by content hash.
pub(crate) fn compare_icon(
    left: Option<&[u8; 32]>,
    right: Option<&[u8; 32]>,
    out: &mut Vec<Change>,
) {
    let action = match (left, right) {
        (None, Some(_)) => Action::Added,
        (Some(_), None) => Action::Removed,
        (Some(l), Some(r)) if l != r => Action::Changed,
        _ => return,
    };
    out.push(Change::new(Component::Icon, action, "icon.png"));
}

/// Compares two maps member by member: added, removed, changed (with the differing fields).
fn compare_members(
    component: Component,
    left: &Members<'_>,
    right: &Members<'_>,
    out: &mut Vec<Change>,
) {
    for (key, before) in left {
        match right.get(key) {
            None => out.push(Change::new(component, Action::Removed, key.as_str())),
            Some(after) if after != before => {
                out.push(
                    Change::new(component, Action::Changed, key.as_str())
                        .with_aspects(differing_keys(before, after, &[])),
                );
            }
            Some(_) => {}
        }
    }
    let added = right.keys().filter(|k| !left.contains_key(*k));
    out.extend(added.map(|k| Change::new(component, Action::Added, k.as_str())));
}
