//! JSON text to the compact tree, canonical by construction: keys sorted,
//! percent-encoded texts decoded (the platform encodes message texts, people
//! write them plain) and integral floats (`2.0`) turned into integers (`2`), so
//! equal meaning is equal trees and no second pass over the tree is needed.
//!
//! The parser keeps its state in a seed passed down the recursion: an interner
//! for keys, and two stacks that collect the members of the objects and the
//! items of the arrays being parsed, so that each container is allocated once,
//! at its exact size, when it is complete.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use percent_encoding::percent_decode_str;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::tree::{Key, Map, Text, Value};

/// Largest integer an `f64` holds exactly; integral floats below it are written as integers.
const MAX_EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

/// Parses one JSON document (trailing characters other than whitespace are an error).
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut state = ParseState::default();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = ValueSeed(&mut state).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Slots of the recent-keys cache.
const RECENT_KEYS: usize = 1024;

/// What the parser shares across the recursion.
struct ParseState {
    /// Every distinct key so far.
    keys: HashSet<Key>,
    /// A direct-mapped cache in front of `keys`: a hit costs a short
    /// comparison instead of hashing the key (the same few hundred keys
    /// repeat millions of times); a miss or a collision falls through.
    recent: Vec<Option<Key>>,
    members: Vec<(Key, Value)>,
    items: Vec<Value>,
}

impl Default for ParseState {
    fn default() -> Self {
        ParseState {
            keys: HashSet::new(),
            recent: vec![None; RECENT_KEYS],
            members: Vec::new(),
            items: Vec::new(),
        }
    }
}

impl ParseState {
    fn key(&mut self, text: &str) -> Key {
        let slot = recent_slot(text.as_bytes());
        if let Some(key) = &self.recent[slot]
            && **key == *text
        {
            return Key::clone(key);
        }
        let key = match self.keys.get(text) {
            Some(key) => Key::clone(key),
            None => {
                let key = Key::from(text);
                self.keys.insert(Key::clone(&key));
                key
            }
        };
        self.recent[slot] = Some(Key::clone(&key));
        key
    }
}

/// A cheap slot for a key: its length and a few of its bytes.
fn recent_slot(bytes: &[u8]) -> usize {
    let at = |i: usize| bytes.get(i).map_or(0, |b| usize::from(*b));
    let len = bytes.len();
    let mixed = len
        .wrapping_mul(0x9E37)
        .wrapping_add(at(0).wrapping_mul(31))
        .wrapping_add(at(len / 2).wrapping_mul(131))
        .wrapping_add(at(len.wrapping_sub(1)).wrapping_mul(7));
    mixed % RECENT_KEYS
}

struct ValueSeed<'s>(&'s mut ParseState);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
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
        Ok(canonical_float(n))
    }

    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        Ok(Value::String(decode_percent(text)))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let start = self.0.items.len();
        while let Some(item) = seq.next_element_seed(ValueSeed(&mut *self.0))? {
            self.0.items.push(item);
        }
        Ok(Value::Array(self.0.items.drain(start..).collect()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let start = self.0.members.len();
        while let Some(key) = access.next_key_seed(KeySeed(&mut *self.0))? {
            let value = access.next_value_seed(ValueSeed(&mut *self.0))?;
            self.0.members.push((key, value));
        }
        let members = self.0.members.drain(start..).collect();
        Ok(Value::Object(Map::from_members(members)))
    }
}

struct KeySeed<'s>(&'s mut ParseState);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, text: &str) -> Result<Key, E> {
        Ok(self.0.key(text))
    }
}

/// Decodes a percent-encoded text; texts that are not valid percent-encoded
/// UTF-8 keep their literal meaning. Texts without `%` are copied as they are.
fn decode_percent(text: &str) -> Text {
    if !text.as_bytes().contains(&b'%') {
        return text.into();
    }
    match percent_decode_str(text).decode_utf8() {
        Ok(Cow::Owned(decoded)) => decoded.into(),
        _ => text.into(),
    }
}

fn canonical_float(float: f64) -> Value {
    if float.fract() == 0.0 && float.abs() < MAX_EXACT_FLOAT_INT {
        return Value::Number(Number::from(float as i64));
    }
    Number::from_f64(float).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tree::json;

    #[test]
    fn keys_are_sorted_duplicates_keep_the_last_and_keys_are_shared() {
        let value = parse(br#"{"b": [1, 2.5, null, true], "a": {"b": "x"}, "b": "last"}"#)
            .expect("valid JSON");
        let map = value.as_object().unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(value.get("b"), Some(&Value::String("last".into())));
        let outer = map.keys().nth(1).unwrap();
        let inner = value
            .get("a")
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap();
        assert!(
            std::ptr::eq(outer, inner),
            "one allocation per distinct key"
        );
    }

    #[test]
    fn keys_that_share_a_cache_slot_stay_apart() {
        assert_eq!(recent_slot(b"axyb"), recent_slot(b"azyb"));
        let value = parse(br#"[{"axyb": 1, "azyb": 2}, {"azyb": 3}, {"axyb": 4}]"#).unwrap();
        let keys = |i: usize| {
            let item = &value.as_array().unwrap()[i];
            item.as_object().unwrap().keys().collect::<Vec<_>>()
        };
        assert_eq!(
            (keys(0), keys(1), keys(2)),
            (vec!["axyb", "azyb"], vec!["azyb"], vec!["axyb"])
        );
    }

    #[test]
    fn leaves_decode_and_integral_floats_become_integers() {
        let value = parse(
            br#"{"t": "I%20am%20sorry%2C", "n": 2.0, "f": 2.5, "odd": "100%", "bad": "%FF", "k%20": 1}"#,
        )
        .unwrap();
        assert_eq!(
            value,
            json!({"t": "I am sorry,", "n": 2, "f": 2.5, "odd": "100%", "bad": "%FF", "k%20": 1})
        );
    }

    #[test]
    fn errors_carry_the_position_and_trailing_text_is_refused() {
        let text = b"{\n  \"a\": [1,, 2]\n}";
        let error = parse(text).unwrap_err();
        let reference = serde_json::from_slice::<serde_json::Value>(text).unwrap_err();
        assert_eq!((error.line(), error.column()), (2, 11));
        assert_eq!(error.to_string(), reference.to_string());
        assert!(parse(b"{} {}").is_err());
        assert!(parse(b"[1, 2] ").is_ok());
    }
}
