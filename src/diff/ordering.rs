//! Which arrays of a bot definition are sets (their order carries no meaning)
//! and which are lists, decided on principle rather than by the names we
//! happened to see reordered.
//!
//! **The rule.** An array whose elements are all objects carrying an identity
//! key ([`IDENTITY_KEYS`]) is a set, at any depth, unless [`ORDERED`] lists it.
//! Such elements are records of their own (a MongoDB document, a task, a node
//! of a tree linked by ids); the platform assembles these arrays from queries
//! and stores, and nothing guarantees the order it returns them in. Arrays
//! without an identity are lists: they are stored inside one document, the
//! platform keeps them as written, and their order often means something
//! (transitions are tried in order, messages shown in order).
//!
//! Two kinds of exception, both listed with their reason:
//! - [`SETS`]: sets whose elements carry no identity the normaliser can see —
//!   the bot's top-level collections (a hand-written definition may leave the
//!   ids out), and arrays whose identity the export regenerates (a volatile
//!   field, dropped before sorting).
//! - [`ORDERED`]: every other array of objects, identity-bearing or not, with
//!   why its order is kept. A test walks every array of every real export and
//!   fails on one that is neither a set by the rule nor listed, so a new
//!   platform field is decided on when it appears, not by accident.
//!
//! Arrays of scalars (synonyms, namespace ids, languages) are values compared
//! in order: a scalar has no identity, and the platform keeps them as written.
//!
//! Paths are written `dialogs[].nodes[]`: keys joined by `.`, `[]` for the
//! elements of an array, `*` for any one key (`localeData.*` is per language),
//! `**` for any run of keys and `[]`s (zero included).

use std::sync::OnceLock;

use super::tree::{Map, Value};

mod lists;

pub use lists::{ORDERED, SETS};

/// Keys that name an element itself, not something it refers to. `refId` is
/// a task's identity across bots and exports; `_id` a stored record's;
/// `nodeId` a node's within its tree (dialog, knowledge graph, small talk);
/// `groupId` a small-talk group's; `key` a variable's or a header's. Left out
/// on purpose: `name`/`lname` (labels people give, shared and reordered by
/// hand), `taskId`/`componentId`/`entityId` (references to other records:
/// many elements share one), `language` (an attribute of many elements).
pub const IDENTITY_KEYS: &[&str] = &["refId", "_id", "nodeId", "groupId", "key"];

/// What an array is, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Its order carries no meaning: sorted by the normaliser, shuffled by the simulator.
    Set(&'static str),
    /// Its order is kept.
    Ordered(&'static str),
}

/// Classifies the array at `path` (e.g. `dialogs[].nodes[]`, concrete keys);
/// `identity_bearing` says whether its elements all carry an identity key.
/// `None`: neither the rule nor a list decides it (it is kept in order).
pub fn classify(path: &str, identity_bearing: bool) -> Option<Order> {
    let tokens: Vec<&str> = tokenise(path).into_iter().rev().collect();
    decide(&tokens, identity_bearing)
}

/// Whether an object carries an identity key (a string).
pub(crate) fn carries_identity(object: &Map) -> bool {
    IDENTITY_KEYS
        .iter()
        .any(|key| matches!(object.get(key), Some(Value::String(_))))
}

/// Whether the array at `path` is a set; `path_rev` lists the path's tokens from the array back.
pub(crate) fn is_set(path_rev: &[&str], items: &[Value]) -> bool {
    let identity = || {
        items
            .iter()
            .all(|item| item.as_object().is_some_and(carries_identity))
    };
    match listed(path_rev) {
        Some(order) => matches!(order, Order::Set(_)),
        None => identity(),
    }
}

fn decide(path_rev: &[&str], identity_bearing: bool) -> Option<Order> {
    listed(path_rev).or_else(|| identity_bearing.then_some(Order::Set("carries an identity key")))
}

/// The listed classification of a path (ordered first: a list always wins).
fn listed(path_rev: &[&str]) -> Option<Order> {
    let (ordered, sets) = patterns();
    let key = path_rev.iter().find(|t| **t != "[]").copied();
    let find = |patterns: &'static [Pattern]| {
        patterns
            .iter()
            .find(|p| p.matches(key, path_rev))
            .map(|p| p.why)
    };
    find(ordered)
        .map(Order::Ordered)
        .or_else(|| find(sets).map(Order::Set))
}

/// A path pattern, its tokens reversed (matching starts from the array).
struct Pattern {
    tokens_rev: Vec<&'static str>,
    /// The key of the array itself, when fixed: a cheap first test.
    last_key: Option<&'static str>,
    why: &'static str,
}

impl Pattern {
    fn new((path, why): &(&'static str, &'static str)) -> Self {
        let tokens_rev: Vec<&'static str> = tokenise(path).into_iter().rev().collect();
        let last_key = tokens_rev
            .iter()
            .find(|t| **t != "[]")
            .copied()
            .filter(|t| !t.contains('*'));
        Pattern {
            tokens_rev,
            last_key,
            why,
        }
    }

    /// `key` is the path's last key (that of the array itself).
    fn matches(&self, key: Option<&str>, path_rev: &[&str]) -> bool {
        if self.last_key.is_some() && self.last_key != key {
            return false;
        }
        glob(&self.tokens_rev, path_rev)
    }
}

fn patterns() -> (&'static [Pattern], &'static [Pattern]) {
    static COMPILED: OnceLock<(Vec<Pattern>, Vec<Pattern>)> = OnceLock::new();
    let (ordered, sets) = COMPILED.get_or_init(|| {
        (
            ORDERED.iter().map(Pattern::new).collect(),
            SETS.iter().map(Pattern::new).collect(),
        )
    });
    (ordered, sets)
}

/// `a[].b[][]` → `a`, `[]`, `b`, `[]`, `[]`.
fn tokenise(path: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    for mut piece in path.split('.') {
        let mut brackets = 0;
        while let Some(rest) = piece.strip_suffix("[]") {
            piece = rest;
            brackets += 1;
        }
        if !piece.is_empty() {
            tokens.push(piece);
        }
        tokens.extend(std::iter::repeat_n("[]", brackets));
    }
    tokens
}

/// Matches reversed pattern tokens against reversed path tokens: `**` any
/// run of tokens, a token with `*` any key ending as it ends, else equality.
fn glob(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| glob(rest, &path[skip..])),
        Some((token, rest)) => path
            .split_first()
            .is_some_and(|(first, tail)| token_matches(token, first) && glob(rest, tail)),
    }
}

fn token_matches(pattern: &str, token: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some(suffix) => token != "[]" && token.ends_with(suffix),
        None => pattern == token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(path: &str, identity: bool) -> Option<Order> {
        classify(path, identity)
    }

    #[test]
    fn the_rule_makes_identity_bearing_arrays_sets_at_any_depth() {
        assert!(matches!(
            order("dialogComponents[].payload.headers[]", true),
            Some(Order::Set(_))
        ));
        assert!(matches!(order("widgetThemes[]", true), Some(Order::Set(_))));
        assert_eq!(order("somethingNew[].list[]", false), None);
    }

    #[test]
    fn lists_win_over_the_rule() {
        assert!(matches!(
            order("dialogs[].nodes[]", true),
            Some(Order::Ordered(_))
        ));
        assert!(matches!(
            order("forms[].components[].components[]", true),
            Some(Order::Ordered(_))
        ));
        assert!(matches!(
            order("dialogs[].nodes[].transitions[]", false),
            Some(Order::Ordered(_))
        ));
        assert!(matches!(
            order("smallTalk[].groups[].nodes[].botUtterances[]", false),
            Some(Order::Set(_))
        ));
    }

    #[test]
    fn wildcards_match_one_key_or_any_run() {
        assert!(matches!(
            order("ivrSettings.timeoutPrompts[][]", false),
            Some(Order::Ordered(_))
        ));
        assert!(matches!(
            order("localeData.es.confidenceConfigs[]", false),
            Some(Order::Ordered(_))
        ));
        assert_eq!(order("localeData.confidenceConfigs[]", false), None);
    }
}
