//! How a JSON file is laid out (its indent, the space after a colon), read
//! from the previous file, and writing JSON text in that layout without
//! re-serialising it: strings, numbers and key order stay byte for byte.

/// The layout of a JSON file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layout {
    /// One level of indent; `None`: the file is on one line.
    indent: Option<Vec<u8>>,
    /// Between a key and its value (`": "`, `":"`).
    colon: Vec<u8>,
}

impl Layout {
    /// What `pull` writes: 4 spaces, as in `examples/bots/`.
    pub(super) fn standard() -> Self {
        Layout {
            indent: Some(b"    ".to_vec()),
            colon: b": ".to_vec(),
        }
    }

    /// The layout of `text`, a JSON document (the standard one where it does not say).
    pub(super) fn of(text: &[u8]) -> Self {
        let mut layout = Layout::standard();
        let Some(first) = text.iter().position(|b| *b == b'{' || *b == b'[') else {
            return layout;
        };
        let after = &text[first + 1..];
        let gap = after.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if matches!(after.get(gap), Some(b'}' | b']') | None) {
            return layout; // empty: nothing to learn from
        }
        let space = &after[..gap];
        layout.indent = space
            .iter()
            .rposition(|b| *b == b'\n')
            .map(|line| space[line + 1..].to_vec());
        if after.get(gap) == Some(&b'"') {
            let rest = &after[gap..];
            let key_end = string_len(rest);
            let colon = rest[key_end..]
                .iter()
                .position(|b| !b.is_ascii_whitespace() && *b != b':');
            if let Some(len) = colon {
                layout.colon = rest[key_end..key_end + len].to_vec();
            }
        }
        layout
    }

    /// A line break and the indent of `depth` (nothing on one line).
    pub(super) fn newline(&self, out: &mut Vec<u8>, depth: usize) {
        if let Some(indent) = &self.indent {
            out.push(b'\n');
            (0..depth).for_each(|_| out.extend_from_slice(indent));
        }
    }

    /// The separator between a key and its value.
    pub(super) fn colon(&self) -> &[u8] {
        &self.colon
    }

    /// Writes valid JSON `json` as a value at `depth` of this layout. Empty
    /// containers stay on one line (`[]`, `{}`).
    pub(super) fn value(&self, out: &mut Vec<u8>, json: &[u8], depth: usize) {
        let mut depth = depth;
        let mut bytes = json.iter().copied().peekable();
        while let Some(byte) = bytes.next() {
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' => {}
                b'"' => copy_string(out, &mut bytes),
                b'{' | b'[' => {
                    out.push(byte);
                    while bytes.next_if(u8::is_ascii_whitespace).is_some() {}
                    if bytes.next_if(|&b| b == b'}' || b == b']').is_some() {
                        out.push(if byte == b'{' { b'}' } else { b']' });
                    } else {
                        depth += 1;
                        self.newline(out, depth);
                    }
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    self.newline(out, depth);
                    out.push(byte);
                }
                b',' => {
                    out.push(byte);
                    self.newline(out, depth);
                }
                b':' => out.extend_from_slice(&self.colon),
                other => out.push(other),
            }
        }
    }
}

/// The length of the string token at the start of `text` (quotes included).
fn string_len(text: &[u8]) -> usize {
    let mut at = 1;
    while at < text.len() {
        match text[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    text.len()
}

/// Copies a string's body and closing quote (the opening one is already read).
fn copy_string(out: &mut Vec<u8>, bytes: &mut impl Iterator<Item = u8>) {
    out.push(b'"');
    let mut escaped = false;
    for byte in bytes.by_ref() {
        out.push(byte);
        match (escaped, byte) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(layout: &Layout, json: &str, depth: usize) -> String {
        let mut out = Vec::new();
        layout.value(&mut out, json.as_bytes(), depth);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_layout_is_read_from_the_previous_file() {
        let two = Layout::of(b"{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");
        assert_eq!(
            written(&two, r#"{"x":[1,{}]}"#, 1),
            "{\n    \"x\": [\n      1,\n      {}\n    ]\n  }"
        );
        let tabs = Layout::of(b"{\n\t\"a\" : 1\n}");
        assert_eq!(written(&tabs, r#"{"x":1}"#, 0), "{\n\t\"x\" : 1\n}");
        let compact = Layout::of(br#"{"a":1,"b":[2]}"#);
        assert_eq!(
            written(&compact, "{ \"x\" : [ 1 , 2 ] }", 3),
            r#"{"x":[1,2]}"#
        );
        assert_eq!(Layout::of(b"{}"), Layout::standard());
    }
}
