//! Comparing two normalised bots component by component.

use super::components::{dialogs, knowledge, language, misc};
use super::normalise::NormalisedBot;
use super::report::{Action, BotDiff, Change, Component};

/// Describes how `right` differs from `left` (left = before, right = after:
/// for the daemon, left is the live bot and right the commit).
///
/// The result is empty exactly when the two digests are equal.
pub fn compare(left: &NormalisedBot, right: &NormalisedBot) -> BotDiff {
    let (l, r) = (&left.definition, &right.definition);
    // Collections whose element hashes agree need no walk: on large bots most do.
    let changed = |names: &[&str]| names.iter().any(|name| !left.same_collection(right, name));
    let mut changes = Vec::new();
    let mut node_changes = dialogs::NodeChanges::new();
    if changed(&["dialogComponents"]) {
        node_changes = dialogs::compare_components(l, r, &mut changes);
    }
    if changed(&["dialogs"]) || !node_changes.is_empty() {
        dialogs::compare_dialogs(l, r, node_changes, &mut changes);
    }
    if changed(&["sentences"]) {
        // Utterances are compared as multisets: identical ones on both sides cancel out.
        let (before, after) = left.unmatched_elements(right, "sentences");
        language::compare_utterances((l, &before), (r, &after), &mut changes);
    }
    if changed(&["patterns"]) {
        language::compare_patterns(l, r, &mut changes);
    }
    if changed(&["knowledgeTasks"]) {
        knowledge::compare(l, r, &mut changes);
    }
    if changed(&["smallTalk"]) {
        misc::compare_small_talk(l, r, &mut changes);
    }
    misc::compare_bot_events(l, r, &mut changes);
    misc::compare_settings((l, r), (&left.config, &right.config), &mut changes);
    misc::compare_variables(&left.config, &right.config, &mut changes);
    misc::compare_functions(&left.functions, &right.functions, &mut changes);
    misc::compare_icon(left.icon.as_ref(), right.icon.as_ref(), &mut changes);
    if changes.is_empty() && (l != r || left.config != right.config) {
        // Every key has a comparer, so this is a safety net, not a path we expect.
        changes.push(Change::new(
            Component::Settings,
            Action::Changed,
            "definition",
        ));
    }
    BotDiff::from_changes(changes)
}
