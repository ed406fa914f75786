//! String values of the tree: short ones stored inline, longer ones boxed.
//!
//! Most strings of a bot definition are short (languages, types, flags, node
//! names); keeping those in the value itself spares an allocation and a free
//! each, which was a large part of parsing and dropping big definitions.

use std::fmt;

/// Longest string stored inline: the value stays within four words.
const INLINE: usize = 22;

/// A JSON string value.
#[derive(Clone)]
pub(crate) enum Text {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Text {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Text::Inline { .. } => {
                std::str::from_utf8(self.as_bytes()).expect("inline text is copied from a str")
            }
            Text::Heap(text) => text,
        }
    }

    /// The UTF-8 bytes, without checking them again.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Text::Heap(text) => text.as_bytes(),
        }
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        if text.len() > INLINE {
            return Text::Heap(text.into());
        }
        let mut bytes = [0; INLINE];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Text::Inline {
            len: text.len() as u8,
            bytes,
        }
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        if text.len() > INLINE {
            return Text::Heap(text.into_boxed_str());
        }
        Text::from(text.as_str())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_inline_and_long_ones_boxed() {
        let short = Text::from("é short");
        let long = Text::from("a text longer than twenty-two bytes".to_owned());
        assert!(matches!(short, Text::Inline { .. }));
        assert!(matches!(long, Text::Heap(_)));
        assert_eq!(short.as_str(), "é short");
        assert_eq!(long.as_str(), "a text longer than twenty-two bytes");
        assert_eq!(Text::from(""), Text::from(String::new()));
        assert_eq!(
            Text::from("x".repeat(INLINE).as_str()).as_str().len(),
            INLINE
        );
    }
}
