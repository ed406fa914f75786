//! Knowledge graphs (by `refId` and language: a multilingual bot has one graph
//! per language under one `refId`): FAQs (by `refId` when it is unique, else
//! by question, named by their question) and taxonomy terms (by node id,
//! named by label).

use std::borrow::Cow;
use std::collections::HashSet;

use crate::diff::tree::{Map, Value};

use super::{Keyed, array, differing_keys, keyed, keyed_by, nested, pair, text};
use crate::diff::report::{Action, Change, Component};
use crate::diff::volatile::identity;

/// Graphs by identity and language.
fn graphs(definition: &Map) -> Keyed<'_> {
    keyed_by(array(definition, "knowledgeTasks"), |graph| {
        let id = identity(graph)?;
        Some(match text(graph, "language") {
            Some(language) => Cow::Owned(format!("{id} ({language})")),
            None => Cow::Borrowed(id),
        })
    })
}

/// Compares `knowledgeTasks`.
pub(crate) fn compare(left: &Map, right: &Map, out: &mut Vec<Change>) {
    let (l, r) = (graphs(left), graphs(right));
    let paired = pair(&l, &r);
    let graph = |v: &Value| format!("graph {}", text(v, "name").unwrap_or("(unnamed)"));
    out.extend(
        paired
            .added
            .iter()
            .map(|v| Change::new(Component::KnowledgeGraph, Action::Added, graph(v))),
    );
    out.extend(
        paired
            .removed
            .iter()
            .map(|v| Change::new(Component::KnowledgeGraph, Action::Removed, graph(v))),
    );
    for (before, after) in paired.changed {
        let found = out.len();
        compare_faqs(before, after, out);
        compare_taxonomy(before, after, out);
        let mut aspects = differing_keys(before, after, &["faqs", "taxonomy"]);
        let (faqs_before, faqs_after) = (before.get("faqs"), after.get("faqs"));
        if let (Some(b), Some(a)) = (faqs_before, faqs_after) {
            aspects.extend(
                differing_keys(b, a, &["faqs"])
                    .into_iter()
                    .map(|k| format!("faqs.{k}")),
            );
        } else if faqs_before != faqs_after {
            aspects.push("faqs".to_owned());
        }
        if !aspects.is_empty() || out.len() == found {
            out.push(
                Change::new(Component::KnowledgeGraph, Action::Changed, graph(after))
                    .with_aspects(aspects),
            );
        }
    }
}

fn faqs(graph: &Value) -> &[Value] {
    graph
        .get("faqs")
        .and_then(|f| f.get("faqs"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Whether every FAQ has a `refId` no other FAQ of its graph shares.
fn unique_ref_ids(faqs: &[Value]) -> bool {
    let mut seen = HashSet::new();
    faqs.iter()
        .all(|faq| text(faq, "refId").is_some_and(|id| seen.insert(id)))
}

/// FAQs of both sides by `refId` when it is unique on both (so an edited
/// question reads as a change), else by question: exports made by the platform
/// often give many FAQs one `refId`, and pairing those by position would turn
/// one edit into dozens.
fn keyed_faqs<'a>(before: &'a [Value], after: &'a [Value]) -> (Keyed<'a>, Keyed<'a>) {
    let key: fn(&Value) -> Option<&str> = if unique_ref_ids(before) && unique_ref_ids(after) {
        |faq| text(faq, "refId")
    } else {
        |faq| text(faq, "question")
    };
    (keyed(before, key), keyed(after, key))
}

fn compare_faqs(before: &Value, after: &Value, out: &mut Vec<Change>) {
    let (l, r) = keyed_faqs(faqs(before), faqs(after));
    let paired = pair(&l, &r);
    let question =
        |v: &Value| format!("FAQ \"{}\"", text(v, "question").unwrap_or("(no question)"));
    out.extend(
        paired
            .added
            .iter()
            .map(|v| Change::new(Component::KnowledgeGraph, Action::Added, question(v))),
    );
    out.extend(
        paired
            .removed
            .iter()
            .map(|v| Change::new(Component::KnowledgeGraph, Action::Removed, question(v))),
    );
    for (b, a) in paired.changed {
        let change = Change::new(Component::KnowledgeGraph, Action::Changed, question(a));
        out.push(change.with_aspects(differing_keys(b, a, &[])));
    }
}

fn compare_taxonomy(before: &Value, after: &Value, out: &mut Vec<Change>) {
    let by_node: fn(&Value) -> Option<&str> = |v| text(v, "nodeId");
    let (l, r) = (
        keyed(nested(before, "taxonomy"), by_node),
        keyed(nested(after, "taxonomy"), by_node),
    );
    let paired = pair(&l, &r);
    let term = |v: &Value| format!("term {}", text(v, "label").unwrap_or("(no label)"));
    out.extend(
        paired
            .added
            .iter()
            .map(|v| Change::new(Component::KnowledgeGraph, Action::Added, term(v))),
    );
    out.extend(
        paired
            .removed
            .iter()
            .map(|v| Change::new(Component::KnowledgeGraph, Action::Removed, term(v))),
    );
    for (b, a) in paired.changed {
        out.push(
            Change::new(Component::KnowledgeGraph, Action::Changed, term(a))
                .with_aspects(differing_keys(b, a, &[])),
        );
    }
}
