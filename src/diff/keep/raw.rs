//! The raw text of a JSON document, one level at a time: where each member
//! and element of a value starts and ends, so that a part can be copied byte
//! for byte. The text has been checked as JSON before (`parse`); the scanner
//! only finds boundaries and never fails (on broken text it stops early).

use std::ops::Range;

/// What a value is, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Object,
    Array,
    Scalar,
}

/// A checked JSON text.
#[derive(Clone, Copy)]
pub(super) struct Raw<'a> {
    pub(super) bytes: &'a [u8],
}

/// An object member: the key (decoded), its token (quotes included) and its value.
pub(super) struct Member<'a> {
    pub(super) key: String,
    pub(super) token: &'a [u8],
    pub(super) value: Range<usize>,
}

impl<'a> Raw<'a> {
    /// The span of the whole document's value (surrounding whitespace left out).
    pub(super) fn root(&self) -> Range<usize> {
        let start = self.skip_space(0);
        start..self.value_end(start)
    }

    pub(super) fn text(&self, span: &Range<usize>) -> &'a [u8] {
        &self.bytes[span.clone()]
    }

    pub(super) fn kind(&self, span: &Range<usize>) -> Kind {
        match self.bytes.get(span.start) {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            _ => Kind::Scalar,
        }
    }

    /// The members of the object at `span`, in the text's order.
    pub(super) fn members(&self, span: &Range<usize>) -> Vec<Member<'a>> {
        let mut members = Vec::new();
        let mut at = self.skip_space(span.start + 1);
        while at < span.end && self.bytes[at] == b'"' {
            let key_end = self.string_end(at);
            let token = &self.bytes[at..key_end];
            let colon = self.skip_space(key_end);
            let start = self.skip_space(colon + 1);
            let end = self.value_end(start);
            members.push(Member {
                key: decode_key(token),
                token,
                value: start..end,
            });
            at = self.next_item(end);
        }
        members
    }

    /// The elements of the array at `span`, in order.
    pub(super) fn elements(&self, span: &Range<usize>) -> Vec<Range<usize>> {
        let mut elements = Vec::new();
        let mut at = self.skip_space(span.start + 1);
        while at < span.end && self.bytes[at] != b']' {
            let end = self.value_end(at);
            if end == at {
                break;
            }
            elements.push(at..end);
            at = self.next_item(end);
        }
        elements
    }

    /// After a member or element: past the comma and whitespace.
    fn next_item(&self, end: usize) -> usize {
        let at = self.skip_space(end);
        match self.bytes.get(at) {
            Some(b',') => self.skip_space(at + 1),
            _ => at,
        }
    }

    fn skip_space(&self, mut at: usize) -> usize {
        while at < self.bytes.len() && self.bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    }

    /// Where the value starting at `start` ends (exclusive).
    fn value_end(&self, start: usize) -> usize {
        match self.bytes.get(start) {
            Some(b'"') => self.string_end(start),
            Some(b'{' | b'[') => self.container_end(start),
            Some(_) => {
                let mut at = start;
                while at < self.bytes.len()
                    && !matches!(self.bytes[at], b',' | b']' | b'}')
                    && !self.bytes[at].is_ascii_whitespace()
                {
                    at += 1;
                }
                at
            }
            None => start,
        }
    }

    /// Past the closing quote of the string opening at `start`.
    fn string_end(&self, start: usize) -> usize {
        let mut at = start + 1;
        while at < self.bytes.len() {
            match self.bytes[at] {
                b'\\' => at += 2,
                b'"' => return at + 1,
                _ => at += 1,
            }
        }
        self.bytes.len()
    }

    /// Past the bracket closing the container opening at `start`.
    fn container_end(&self, start: usize) -> usize {
        let mut depth = 0usize;
        let mut at = start;
        while at < self.bytes.len() {
            match self.bytes[at] {
                b'"' => {
                    at = self.string_end(at);
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return at + 1;
                    }
                }
                _ => {}
            }
            at += 1;
        }
        self.bytes.len()
    }
}

/// A key token's text (escapes decoded).
fn decode_key(token: &[u8]) -> String {
    if !token.contains(&b'\\') {
        return String::from_utf8_lossy(&token[1..token.len() - 1]).into_owned();
    }
    serde_json::from_slice(token).unwrap_or_else(|_| String::from_utf8_lossy(token).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_elements_are_found_with_their_exact_text() {
        let text = br#" { "a" : [1, {"x": "]}"}, "s\"q"] ,"b\u0041":{} , "c": -1.5e3 } "#;
        let raw = Raw { bytes: text };
        let root = raw.root();
        assert_eq!(raw.kind(&root), Kind::Object);
        let members = raw.members(&root);
        let keys: Vec<&str> = members.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["a", "bA", "c"]);
        assert_eq!(members[1].token, br#""b\u0041""#);
        assert_eq!(raw.text(&members[2].value), b"-1.5e3");
        let elements = raw.elements(&members[0].value);
        let texts: Vec<&[u8]> = elements.iter().map(|e| raw.text(e)).collect();
        assert_eq!(texts, [&b"1"[..], br#"{"x": "]}"}"#, br#""s\"q""#]);
        assert_eq!(raw.members(&members[1].value).len(), 0);
        let empty = Raw { bytes: b"[ ]" };
        assert!(empty.elements(&empty.root()).is_empty());
    }
}
