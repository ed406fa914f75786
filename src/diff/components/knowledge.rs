//! Knowledge graphs: FAQs (by identity, named by their question) and taxonomy
//! terms (by node id, named by label).

use crate::diff::tree::{Map, Value};

use super::{array, differing_keys, keyed, nested, pair, text};
use crate::diff::report::{Action, Change, Component};
use crate::diff::volatile::identity;

/// Compares `knowledgeTasks`.
pub(crate) fn compare(left: &Map, right: &Map, out: &mut Vec<Change>) {
    let (l, r) = (
        keyed(array(left, "knowledgeTasks"), identity),
        keyed(array(right, "knowledgeTasks"), identity),
    );
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

fn compare_faqs(before: &Value, after: &Value, out: &mut Vec<Change>) {
    let (l, r) = (keyed(faqs(before), identity), keyed(faqs(after), identity));
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
