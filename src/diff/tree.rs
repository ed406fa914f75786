//! A compact JSON tree for normalised bots.
//!
//! serde_json's `Value` keeps each object in a `BTreeMap`, whose smallest node
//! is about 600 bytes even for a two-member object; bot definitions are mostly
//! small objects, so a 50 MB definition grew to more than four times its size.
//! Here an object is a vector of members sorted by key (exactly sized, found by
//! binary search), a key is shared (`Arc<str>`, one allocation per distinct
//! key of a document: bot definitions repeat a few hundred keys millions of
//! times), and a string is a boxed `str`. The tree stays well under the size of
//! the pretty-printed text, and freeing it is cheap. Trees are built by
//! `parse`, which also sorts the keys, so the canonical writer walks them in
//! order.

use std::sync::Arc;

use serde_json::Number;

pub(crate) use super::text::Text;

/// An object key, shared by every object of a document that uses it.
pub(crate) type Key = Arc<str>;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(Text),
    Array(Vec<Value>),
    Object(Map),
}

/// A JSON object: members sorted by key, keys unique.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Map(Vec<(Key, Value)>);

impl Map {
    pub(crate) fn new() -> Self {
        Map(Vec::new())
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).ok().map(|i| &mut self.0[i].1)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<Value> {
        self.position(key).ok().map(|i| self.0.remove(i).1)
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> {
        self.0.iter_mut().map(|(k, v)| (&**k, v))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    pub(crate) fn into_values(self) -> impl Iterator<Item = Value> {
        self.0.into_iter().map(|(_, v)| v)
    }

    /// Builds a map from members in any order; of duplicate keys the last wins (as in serde_json).
    pub(crate) fn from_members(mut members: Vec<(Key, Value)>) -> Self {
        // A stable sort keeps duplicates in document order, so keeping the last keeps the later one.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        members.dedup_by(|later, earlier| {
            let duplicate = later.0 == earlier.0;
            if duplicate {
                std::mem::swap(later, earlier);
            }
            duplicate
        });
        if members.len() < members.capacity() {
            members.shrink_to_fit();
        }
        Map(members)
    }
}

impl Value {
    /// An object's member.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|map| map.get(key))
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text.as_str()),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    pub(crate) fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }
}

/// `json!` for this tree, in unit tests (parsed, so canonical like any tree).
#[cfg(test)]
macro_rules! json {
    ($($json:tt)+) => {
        $crate::diff::parse::parse(&serde_json::to_vec(&serde_json::json!($($json)+)).expect("JSON"))
            .expect("a JSON value")
    };
}
#[cfg(test)]
pub(crate) use json;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_can_be_removed_and_looked_up() {
        let mut value = json!({"c": 1, "a": 2, "b": 3});
        let map = value.as_object_mut().unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(map.remove("a"), Some(Value::Number(2.into())));
        assert!(!map.contains_key("a") && map.contains_key("b"));
        assert_eq!(map.get_mut("c"), Some(&mut Value::Number(1.into())));
    }

    #[test]
    fn duplicate_keys_keep_the_last_member() {
        let members = vec![
            (Key::from("b"), Value::Null),
            (Key::from("a"), Value::Bool(true)),
            (Key::from("b"), Value::Bool(false)),
        ];
        let map = Map::from_members(members);
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(map.get("b"), Some(&Value::Bool(false)));
    }

    #[test]
    fn a_value_is_at_most_four_words() {
        assert!(std::mem::size_of::<Value>() <= 32);
    }
}
