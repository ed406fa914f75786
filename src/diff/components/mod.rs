//! Per-component comparison of two normalised bots. Each top-level key of the
//! definition is owned by exactly one comparer, so every difference is reported
//! once, and each comparer falls back to a plain "changed" when it finds a
//! difference it cannot name more precisely.

pub(crate) mod dialogs;
pub(crate) mod knowledge;
pub(crate) mod language;
pub(crate) mod misc;

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::diff::tree::{Map, Value};

/// The elements of a top-level (or nested) array, or none.
pub(crate) fn array<'a>(object: &'a Map, key: &str) -> &'a [Value] {
    object
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The elements of an array member of any value, or none.
pub(crate) fn nested<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A string field of an object.
pub(crate) fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Elements by a key borrowed from them (allocated only for missing or shared keys).
pub(crate) type Keyed<'a> = BTreeMap<Cow<'a, str>, &'a Value>;

/// Elements by a key; elements sharing a key get `#2`, `#3`, … so none is lost.
pub(crate) fn keyed(items: &[Value], key: fn(&Value) -> Option<&str>) -> Keyed<'_> {
    keyed_by(items, |item| key(item).map(Cow::from))
}

/// [`keyed`], with a key that may be built (joined from several fields).
pub(crate) fn keyed_by<'a>(
    items: &'a [Value],
    key: impl Fn(&'a Value) -> Option<Cow<'a, str>>,
) -> Keyed<'a> {
    let mut map = Keyed::new();
    for (index, item) in items.iter().enumerate() {
        let base = key(item).unwrap_or_else(|| format!("#{index}").into());
        let name = unused_name(&map, base);
        map.insert(name, item);
    }
    map
}

/// `base`, or the first of `base#2`, `base#3`, … that is not taken yet.
fn unused_name<'a>(map: &Keyed<'a>, base: Cow<'a, str>) -> Cow<'a, str> {
    if !map.contains_key(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}#{n}"))
        .find(|name| !map.contains_key(name.as_str()))
        .map(Cow::from)
        .expect("an unbounded range has a free suffix")
}

/// What two keyed collections have in common and not.
pub(crate) struct Paired<'a> {
    pub added: Vec<&'a Value>,
    pub removed: Vec<&'a Value>,
    /// `(left, right)` pairs whose values differ.
    pub changed: Vec<(&'a Value, &'a Value)>,
}

impl Paired<'_> {
    /// Whether the two collections hold the same elements.
    pub(crate) fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Pairs elements by key and keeps only the differences.
pub(crate) fn pair<'a>(left: &Keyed<'a>, right: &Keyed<'a>) -> Paired<'a> {
    let removed = left
        .iter()
        .filter(|(k, _)| !right.contains_key(*k))
        .map(|(_, v)| *v)
        .collect();
    let added = right
        .iter()
        .filter(|(k, _)| !left.contains_key(*k))
        .map(|(_, v)| *v)
        .collect();
    let changed = left
        .iter()
        .filter_map(|(k, l)| right.get(k).filter(|r| **r != *l).map(|r| (*l, *r)))
        .collect();
    Paired {
        added,
        removed,
        changed,
    }
}

/// The keys whose values differ between two objects, except `skip`.
pub(crate) fn differing_keys(left: &Value, right: &Value, skip: &[&str]) -> Vec<String> {
    let empty = Map::new();
    let l = left.as_object().unwrap_or(&empty);
    let r = right.as_object().unwrap_or(&empty);
    let mut keys: Vec<String> = l
        .keys()
        .chain(r.keys().filter(|k| !l.contains_key(k)))
        .filter(|k| !skip.contains(k) && l.get(k) != r.get(k))
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys
}

/// A display name from `localeData` (preferring English), else from `fields` in order.
pub(crate) fn display_name(value: &Value, locale_field: &str, fields: &[&str]) -> String {
    let locales = value.get("localeData").and_then(Value::as_object);
    let from_locale = locales.and_then(|l| {
        let english = l.get("en").and_then(|en| text(en, locale_field));
        english.or_else(|| l.values().find_map(|v| text(v, locale_field)))
    });
    from_locale
        .or_else(|| fields.iter().find_map(|f| text(value, f)))
        .map(str::to_owned)
        .unwrap_or_else(|| "(unnamed)".to_owned())
}
