//! A compact JSON tree for normalised bots.
//!
//! serde_json's `Value` keeps each object in a `BTreeMap`, whose smallest node
//! is about 600 bytes even for a two-member object; bot definitions are mostly
//! small objects, so a 50 MB definition grew to more than four times its size.
//! Here an object is a vector of members sorted by key (exactly sized, found by
//! binary search) and a string is a boxed `str`: the tree stays well under the
//! size of the pretty-printed text. Keys are sorted at parse time, so
//! serialising the tree yields canonical JSON directly.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(Box<str>),
    Array(Vec<Value>),
    Object(Map),
}

/// A JSON object: members sorted by key, keys unique.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Map(Vec<(Box<str>, Value)>);

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

    pub(crate) fn len(&self) -> usize {
        self.0.len()
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
    fn from_members(mut members: Vec<(Box<str>, Value)>) -> Self {
        // A stable sort keeps duplicates in document order, so keeping the last keeps the later one.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        members.dedup_by(|later, earlier| {
            let duplicate = later.0 == earlier.0;
            if duplicate {
                std::mem::swap(later, earlier);
            }
            duplicate
        });
        members.shrink_to_fit();
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
            Value::String(text) => Some(text),
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

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        Ok(Value::String(text.into()))
    }

    fn visit_string<E>(self, text: String) -> Result<Value, E> {
        Ok(Value::String(text.into_boxed_str()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        items.shrink_to_fit();
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = access.next_entry::<KeyText, Value>()? {
            members.push((key.0, value));
        }
        Ok(Value::Object(Map::from_members(members)))
    }
}

/// A key, boxed straight from the parser's borrowed or owned text.
struct KeyText(Box<str>);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<KeyText, E> {
                Ok(KeyText(text.into()))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<KeyText, E> {
                Ok(KeyText(text.into_boxed_str()))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(text) => serializer.serialize_str(text),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                items
                    .iter()
                    .try_for_each(|item| seq.serialize_element(item))?;
                seq.end()
            }
            Value::Object(map) => map.serialize(serializer),
        }
    }
}

impl Serialize for Map {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_map(Some(self.0.len()))?;
        self.0
            .iter()
            .try_for_each(|(key, value)| out.serialize_entry(&**key, value))?;
        out.end()
    }
}

/// `json!` for this tree, in unit tests.
#[cfg(test)]
macro_rules! json {
    ($($json:tt)+) => {
        serde_json::from_value::<$crate::diff::tree::Value>(serde_json::json!($($json)+)).expect("a JSON value")
    };
}
#[cfg(test)]
pub(crate) use json;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorted_and_serialises_canonically() {
        let value: Value = serde_json::from_str(
            r#"{"b": [1, 2.5, null, true], "a": {"y": "é\n", "x": -3}, "b": "last"}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"a":{"x":-3,"y":"é\n"},"b":"last"}"#
        );
        let map = value.as_object().unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            value.get("a").and_then(|a| a.get("x")),
            Some(&Value::Number((-3).into()))
        );
    }

    #[test]
    fn members_can_be_removed_and_looked_up() {
        let mut value: Value = serde_json::from_str(r#"{"c": 1, "a": 2, "b": 3}"#).unwrap();
        let map = value.as_object_mut().unwrap();
        assert_eq!(map.remove("a"), Some(Value::Number(2.into())));
        assert!(!map.contains_key("a") && map.contains_key("b"));
        assert_eq!(map.get_mut("c"), Some(&mut Value::Number(1.into())));
    }

    #[test]
    fn a_value_is_at_most_four_words() {
        assert!(std::mem::size_of::<Value>() <= 32);
    }
}
