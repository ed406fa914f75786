//! Canonical leaves, a total order on JSON values, and the streaming hash of
//! canonical JSON.
//!
//! Canonical JSON here is serde_json's compact output of a `Value` whose maps
//! are sorted (serde_json's default `Map` is a `BTreeMap`; the crate does not
//! enable `preserve_order`, which a unit test guards).

use std::cmp::Ordering;
use std::io::{self, BufWriter, Write};

use percent_encoding::percent_decode_str;
use serde_json::Number;

use super::tree::Value;
use sha2::{Digest as _, Sha256};

/// Largest integer an `f64` holds exactly; integral floats below it are written as integers.
const MAX_EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

/// Rewrites leaves so equal meaning means equal bytes: percent-encoded texts
/// are decoded (the platform encodes message texts, people write them plain),
/// and integral floats (`2.0`) become integers (`2`).
pub(crate) fn canonicalise_leaves(value: &mut Value) {
    match value {
        Value::String(text) => decode_percent(text),
        Value::Number(number) => canonical_number(number),
        Value::Array(items) => items.iter_mut().for_each(canonicalise_leaves),
        Value::Object(map) => map.values_mut().for_each(canonicalise_leaves),
        Value::Null | Value::Bool(_) => {}
    }
}

fn decode_percent(text: &mut Box<str>) {
    if !text.as_bytes().contains(&b'%') {
        return;
    }
    // Texts that are not valid percent-encoded UTF-8 keep their literal meaning.
    if let Ok(std::borrow::Cow::Owned(decoded)) = percent_decode_str(text).decode_utf8() {
        *text = decoded.into_boxed_str();
    }
}

fn canonical_number(number: &mut Number) {
    if let Some(float) = number.as_f64().filter(|_| number.is_f64())
        && float.fract() == 0.0
        && float.abs() < MAX_EXACT_FLOAT_INT
    {
        *number = Number::from(float as i64);
    }
}

/// A total order on values that agrees with canonical equality, used to sort
/// order-insensitive collections deterministically.
pub(crate) fn cmp_value(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => cmp_number(x, y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .map(|(p, q)| cmp_value(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .zip(y.iter())
            .map(|((kp, vp), (kq, vq))| kp.cmp(kq).then_with(|| cmp_value(vp, vq)))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

fn cmp_number(x: &Number, y: &Number) -> Ordering {
    let as_int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (as_int(x), as_int(y)) {
        (Some(p), Some(q)) => p.cmp(&q),
        _ => {
            let float = |n: &Number| n.as_f64().unwrap_or(f64::NAN);
            float(x)
                .total_cmp(&float(y))
                .then_with(|| x.to_string().cmp(&y.to_string()))
        }
    }
}

/// sha256 over everything written to it.
pub(crate) struct Hasher(Sha256);

impl Hasher {
    pub(crate) fn new() -> Self {
        Hasher(Sha256::new())
    }

    /// Feeds a labelled section, so that sections cannot run into each other.
    pub(crate) fn section(&mut self, label: &str, bytes: &[u8]) {
        self.0.update(label.as_bytes());
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    /// Feeds a value's canonical JSON, streamed through a buffer (never materialised whole).
    pub(crate) fn json(&mut self, label: &str, value: &impl serde::Serialize) {
        self.0.update(label.as_bytes());
        let mut writer = BufWriter::with_capacity(64 * 1024, &mut *self);
        serde_json::to_writer(&mut writer, value).expect("writing JSON into a hash cannot fail");
        writer.flush().expect("writing into a hash cannot fail");
    }

    pub(crate) fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

impl Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The sha256 of some bytes (icon, functions).
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use crate::diff::tree::json;

    use super::*;

    #[test]
    fn maps_serialise_with_sorted_keys() {
        let value: Value = serde_json::from_str(r#"{"b":1,"a":2}"#).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), r#"{"a":2,"b":1}"#);
    }

    #[test]
    fn leaves_decode_and_integral_floats_become_integers() {
        let mut value =
            json!({"t": "I%20am%20sorry%2C", "n": 2.0, "f": 2.5, "odd": "100%", "bad": "%FF"});
        canonicalise_leaves(&mut value);
        assert_eq!(
            value,
            json!({"t": "I am sorry,", "n": 2, "f": 2.5, "odd": "100%", "bad": "%FF"})
        );
    }

    #[test]
    fn order_is_total_and_agrees_with_equality() {
        let values = [
            json!(null),
            json!(false),
            json!(1),
            json!(1.5),
            json!("a"),
            json!([1]),
            json!({"a": 1}),
        ];
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                assert_eq!(cmp_value(a, b), i.cmp(&j), "{a:?} vs {b:?}");
            }
        }
    }
}
