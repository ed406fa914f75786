//! Dialogs and their nodes: added, removed, renamed, nodes changed. Intent and
//! entity nodes are reported as intents and entities; other nodes (messages,
//! scripts, services, …) under the dialogs that use them.

use std::collections::{BTreeMap, BTreeSet};

use crate::diff::tree::{Map, Value};

use super::{Keyed, array, differing_keys, display_name, keyed, pair, text};
use crate::diff::report::{Action, Change, Component};
use crate::diff::volatile::identity;

/// Node descriptions per dialog identity (`refId`).
pub(crate) type NodeChanges = BTreeMap<String, Vec<String>>;

fn by_identity(items: &[Value]) -> Keyed<'_> {
    keyed(items, identity)
}

/// Compares `dialogComponents`: intents and entities are reported here, other
/// nodes are returned for the dialogs that use them.
pub(crate) fn compare_components(left: &Map, right: &Map, out: &mut Vec<Change>) -> NodeChanges {
    let l = by_identity(array(left, "dialogComponents"));
    let r = by_identity(array(right, "dialogComponents"));
    let paired = pair(&l, &r);
    if paired.is_empty() {
        return NodeChanges::new();
    }
    let users = [
        dialogs_using_components(left),
        dialogs_using_components(right),
    ];
    let mut node_changes = NodeChanges::new();
    let mut report = |component: &Value, action: Action, aspects: Vec<String>| {
        let kind = text(component, "type").unwrap_or("node");
        let name = component_name(component);
        let component_id = text(component, "_id").unwrap_or_default();
        let dialogs: BTreeSet<&str> = users
            .iter()
            .filter_map(|u| u.get(component_id))
            .flatten()
            .copied()
            .collect();
        match kind {
            "intent" => {
                out.push(Change::new(Component::Intents, action, name).with_aspects(aspects))
            }
            "entity" => {
                out.push(Change::new(Component::Entities, action, name).with_aspects(aspects))
            }
            _ if dialogs.is_empty() => {
                let change = Change::new(
                    Component::DialogComponents,
                    action,
                    format!("{name} ({kind})"),
                );
                out.push(change.with_aspects(aspects));
            }
            _ => {
                let what = format!("node {name} ({kind}) {}", action_word(action));
                dialogs.into_iter().for_each(|d| {
                    node_changes
                        .entry(d.to_owned())
                        .or_default()
                        .push(what.clone())
                });
            }
        }
    };
    paired
        .added
        .into_iter()
        .for_each(|c| report(c, Action::Added, Vec::new()));
    paired
        .removed
        .into_iter()
        .for_each(|c| report(c, Action::Removed, Vec::new()));
    for (l, r) in paired.changed {
        report(r, Action::Changed, differing_keys(l, r, &[]));
    }
    node_changes
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Added => "added",
        Action::Removed => "removed",
        Action::Renamed | Action::Changed => "changed",
    }
}

/// Component `_id` → identities of the dialogs whose nodes use it.
fn dialogs_using_components(definition: &Map) -> BTreeMap<&str, Vec<&str>> {
    let mut users: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for dialog in array(definition, "dialogs") {
        let Some(dialog_id) = identity(dialog) else {
            continue;
        };
        let nodes = dialog
            .get("nodes")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for component in nodes.iter().filter_map(|n| text(n, "componentId")) {
            users.entry(component).or_default().push(dialog_id);
        }
    }
    users
}

/// A component's name: its English intent name, its name, or its label.
pub(crate) fn component_name(component: &Value) -> String {
    let intent = component
        .get("localeData")
        .and_then(|l| l.get("en"))
        .and_then(|en| text(en, "intent"));
    intent
        .or_else(|| text(component, "name"))
        .map_or_else(|| display_name(component, "label", &["_id"]), str::to_owned)
}

fn dialog_name(dialog: &Value) -> String {
    display_name(dialog, "name", &["lname", "refId"])
}

/// Compares `dialogs`, with the node changes `compare_components` found.
pub(crate) fn compare_dialogs(
    left: &Map,
    right: &Map,
    mut node_changes: NodeChanges,
    out: &mut Vec<Change>,
) {
    let l = by_identity(array(left, "dialogs"));
    let r = by_identity(array(right, "dialogs"));
    for (key, right_dialog) in &r {
        let nodes = node_changes.remove(key.as_ref()).unwrap_or_default();
        match l.get(key) {
            None => out.push(Change::new(
                Component::Dialogs,
                Action::Added,
                dialog_name(right_dialog),
            )),
            Some(left_dialog) => {
                out.extend(dialog_change(left_dialog, right_dialog, nodes));
            }
        }
    }
    for (key, left_dialog) in &l {
        if !r.contains_key(key) {
            node_changes.remove(key.as_ref());
            out.push(Change::new(
                Component::Dialogs,
                Action::Removed,
                dialog_name(left_dialog),
            ));
        }
    }
}

fn dialog_change(left: &Value, right: &Value, nodes: Vec<String>) -> Option<Change> {
    let (from, to) = (dialog_name(left), dialog_name(right));
    let renamed = from != to;
    let skip: &[&str] = if renamed {
        &["lname", "localeData"]
    } else {
        &["localeData"]
    };
    let mut aspects = differing_keys(left, right, skip);
    if without_names(left) != without_names(right) {
        aspects.push("localeData".to_owned());
    }
    aspects.extend(nodes);
    if !renamed && aspects.is_empty() {
        return None;
    }
    let action = if renamed {
        Action::Renamed
    } else {
        Action::Changed
    };
    let mut change = Change::new(Component::Dialogs, action, from).with_aspects(aspects);
    change.renamed_to = renamed.then_some(to);
    Some(change)
}

/// A dialog's `localeData` without the names (a rename is reported as such).
fn without_names(dialog: &Value) -> Option<Value> {
    let mut locales = dialog.get("localeData")?.clone();
    for locale in locales
        .as_object_mut()?
        .values_mut()
        .filter_map(Value::as_object_mut)
    {
        locale.remove("name");
    }
    Some(locales)
}
