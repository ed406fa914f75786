//! Canonical JSON, written straight into sha256.
//!
//! Canonical JSON is the compact JSON of a parsed tree: members in key order
//! (the tree keeps them sorted), strings escaped as serde_json escapes them,
//! numbers as serde_json writes them. The writer is hand-written and feeds the
//! hash in 64 KiB chunks: the document is never materialised whole, and no
//! serializer sits between the tree and the hash.

use std::io::Write as _;

use sha2::{Digest as _, Sha256};

use super::tree::{Map, Value};

/// A sha256 hash.
pub(crate) type Hash = [u8; 32];

/// Bytes buffered before they are fed to sha256.
const CHUNK: usize = 64 * 1024;

/// Hashes canonical JSON and raw sections as they are written.
pub(crate) struct HashWriter {
    buffer: Vec<u8>,
    sha: Sha256,
}

impl HashWriter {
    pub(crate) fn new() -> Self {
        HashWriter {
            buffer: Vec::new(),
            sha: Sha256::new(),
        }
    }

    /// Feeds raw bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        self.spill();
    }

    /// Feeds a labelled, length-prefixed section, so that sections cannot run into each other.
    pub(crate) fn section(&mut self, label: &str, bytes: &[u8]) {
        self.bytes(label.as_bytes());
        self.bytes(&(bytes.len() as u64).to_be_bytes());
        self.bytes(bytes);
    }

    /// Feeds a list of hashes in place of a JSON value: `#`, the count, the
    /// hashes. `#` cannot start JSON and the count fixes the length, so the
    /// stream stays unambiguous.
    pub(crate) fn hashes(&mut self, hashes: &[Hash]) {
        self.buffer.push(b'#');
        self.buffer
            .extend_from_slice(&(hashes.len() as u64).to_be_bytes());
        hashes
            .iter()
            .for_each(|hash| self.buffer.extend_from_slice(hash));
        self.spill();
    }

    /// Feeds a value's canonical JSON.
    pub(crate) fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.buffer.extend_from_slice(b"null"),
            Value::Bool(true) => self.buffer.extend_from_slice(b"true"),
            Value::Bool(false) => self.buffer.extend_from_slice(b"false"),
            Value::Number(number) => {
                write!(self.buffer, "{number}").expect("writing into memory cannot fail")
            }
            Value::String(text) => write_string(&mut self.buffer, text.as_bytes()),
            Value::Array(items) => {
                self.buffer.push(b'[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        self.buffer.push(b',');
                    }
                    self.value(item);
                }
                self.buffer.push(b']');
            }
            Value::Object(map) => self.object(map, |writer, _, value| writer.value(value)),
        }
        self.spill();
    }

    /// Feeds an object's canonical JSON, each member's value written by
    /// `member` (so a caller can feed some members in another form).
    pub(crate) fn object(&mut self, map: &Map, mut member: impl FnMut(&mut Self, &str, &Value)) {
        self.buffer.push(b'{');
        for (index, (key, value)) in map.iter().enumerate() {
            if index > 0 {
                self.buffer.push(b',');
            }
            write_string(&mut self.buffer, key.as_bytes());
            self.buffer.push(b':');
            member(self, key, value);
        }
        self.buffer.push(b'}');
        self.spill();
    }

    /// The hash of everything written so far; the writer starts afresh
    /// (keeping its buffer, so hashing many small values allocates once).
    pub(crate) fn finish_reset(&mut self) -> Hash {
        self.sha.update(&self.buffer);
        self.buffer.clear();
        self.sha.finalize_reset().into()
    }

    /// The hash of one value's canonical JSON.
    pub(crate) fn hash_of(&mut self, value: &Value) -> Hash {
        self.value(value);
        self.finish_reset()
    }

    fn spill(&mut self) {
        if self.buffer.len() >= CHUNK {
            self.sha.update(&self.buffer);
            self.buffer.clear();
        }
    }
}

/// A JSON string (UTF-8 bytes), escaped exactly as serde_json escapes it.
fn write_string(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    // Most texts need no escape; this test has no early exit, so it vectorises.
    let needs_escape = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    if !bytes.iter().fold(false, |any, &b| any | needs_escape(b)) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut plain_from = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain_from..at]);
        out.extend_from_slice(short);
        plain_from = at + 1;
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

/// The sha256 of some bytes (icon, functions).
pub(crate) fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use crate::diff::parse::parse;

    use super::*;

    /// What the writer feeds the hash for one value.
    fn canonical(text: &str) -> Vec<u8> {
        let mut writer = HashWriter::new();
        writer.value(&parse(text.as_bytes()).expect("valid JSON"));
        writer.buffer
    }

    #[test]
    fn the_writer_agrees_with_serde_json_on_sorted_input() {
        // Keys already in order, so serde_json's output does not depend on its map type.
        let text = r#"{"a": [1, -2, 2.5, 1e300, null, true, false, {}, []],
            "b": "quote \" backslash \\ controls \n\r\t\u0008\u000c\u0001\u001f\u007f é 😀 /",
            "c": {"d": "", "e": [[]]}}"#;
        let expected =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(text).unwrap());
        assert_eq!(
            String::from_utf8(canonical(text)).unwrap(),
            expected.unwrap()
        );
    }

    #[test]
    fn members_are_written_in_key_order() {
        assert_eq!(
            canonical(r#"{"b":1,"a":{"d":2,"c":3}}"#),
            br#"{"a":{"c":3,"d":2},"b":1}"#
        );
    }

    #[test]
    fn hashes_do_not_depend_on_chunking_or_earlier_values() {
        let big = parse(format!("[\"{}\"]", "x".repeat(3 * CHUNK)).as_bytes()).unwrap();
        let mut writer = HashWriter::new();
        writer.hash_of(&parse(b"{\"earlier\": 1}").unwrap());
        let mut text = b"[\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 * CHUNK));
        text.extend_from_slice(b"\"]");
        assert_eq!(writer.hash_of(&big), sha256(&text));
    }
}
