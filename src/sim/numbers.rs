//! Numbers come back with the bytes that went in. serde_json's `Value` keeps
//! a number as an `f64`/`i64`/`u64`, so `1.50` would come back as `1.5`,
//! `1e3` as `1000.0`, and a 30-digit integer rounded. The platform stores
//! what it was given, so the simulator must too, without a crate-wide
//! serde_json feature (`arbitrary_precision` would change how every other
//! module, the diff's own parser included, sees numbers).
//!
//! So: before parsing, each number token that would not survive the round
//! trip is wrapped in a string with a marker ([`protect`]); after
//! serialising, the marked strings become the original tokens again
//! ([`restore`]). Numbers that round-trip (almost all) are left alone, so the
//! simulator's logic still sees them as numbers.

/// Prefix of a protected number's string; NUL never occurs unescaped in JSON
/// text, and serde_json writes it back as `\u0000`.
const MARK: &str = "\u{0}kore-gitops-sim-number:";
const MARK_ESCAPED: &str = "\"\\u0000kore-gitops-sim-number:";

/// JSON text with every number that would not round-trip through serde_json
/// turned into a marked string. Text that is not JSON comes back unchanged
/// (the parser then reports it).
pub fn protect(text: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut copied) = (0, 0);
    while i < text.len() {
        match text[i] {
            b'"' => i = skip_string(text, i),
            b'-' | b'0'..=b'9' => {
                let end = number_end(text, i);
                let token = &text[i..end];
                if !round_trips(token) {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(text.len() + 64));
                    out.extend_from_slice(&text[copied..i]);
                    out.push(b'"');
                    out.extend_from_slice(MARK.replace('\0', "\\u0000").as_bytes());
                    out.extend_from_slice(token);
                    out.push(b'"');
                    copied = end;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    match out {
        None => std::borrow::Cow::Borrowed(text),
        Some(mut out) => {
            out.extend_from_slice(&text[copied..]);
            std::borrow::Cow::Owned(out)
        }
    }
}

/// Serialised JSON with each marked string put back as its number token.
pub fn restore(json: Vec<u8>) -> Vec<u8> {
    let marker = MARK_ESCAPED.as_bytes();
    if !contains(&json, marker) {
        return json;
    }
    let mut out = Vec::with_capacity(json.len());
    let mut i = 0;
    while i < json.len() {
        if json[i..].starts_with(marker) {
            let start = i + marker.len();
            let len = json[start..].iter().position(|b| *b == b'"').unwrap_or(0);
            out.extend_from_slice(&json[start..start + len]);
            i = start + len + 1;
        } else {
            out.push(json[i]);
            i += 1;
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The index just past the string starting at `start` (a `"`).
fn skip_string(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn number_end(text: &[u8], start: usize) -> usize {
    let tail = &text[start..];
    let len = tail
        .iter()
        .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
        .unwrap_or(tail.len());
    start + len
}

/// Whether serde_json writes the token back byte for byte.
fn round_trips(token: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(token)
        .ok()
        .and_then(|v| serde_json::to_vec(&v).ok())
        .is_some_and(|back| back == token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_bytes_through_a_parse_and_a_write() {
        let text = br#"{"a":1.50,"b":1e3,"c":123456789012345678901234567890,"d":7,"e":"1.50 \" 2e5","f":[-0.0,2.5]}"#;
        let value: serde_json::Value = serde_json::from_slice(&protect(text)).unwrap();
        assert_eq!(value["d"], 7, "numbers that round-trip stay numbers");
        assert_eq!(value["f"][1], 2.5);
        let back = restore(serde_json::to_vec(&value).unwrap());
        assert_eq!(
            std::str::from_utf8(&back).unwrap(),
            std::str::from_utf8(text).unwrap()
        );
    }

    #[test]
    fn text_without_such_numbers_is_not_copied() {
        assert!(matches!(
            protect(br#"{"a":[1,2.5,"x"]}"#),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
