//! User ignore rules from `bot.toml`: JSON pointers (RFC 6901) of parts of a bot
//! that comparisons leave out, e.g. a setting another team edits in the UI.
//!
//! A rule addresses `botDefinition.json` by default; the prefix `config:` makes
//! it address `config.json` instead (`config:/envVariables/*/hint`). A segment
//! `*` matches every member of an object or every element of an array. Rules
//! apply to the normalised form, so array indices count in the normalised
//! (identity-sorted) order; prefer object keys or `*` over indices.

use std::fmt;

/// Prefix that makes a rule address `config.json`.
pub const CONFIG_PREFIX: &str = "config:";

/// One parsed JSON pointer; each segment already unescaped (`~1` → `/`, `~0` → `~`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPointer {
    segments: Vec<Segment>,
}

/// One step of a pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A member name or array index.
    Key(String),
    /// `*`: every member or element.
    Any,
}

impl JsonPointer {
    /// Parses `/a/b~1c/*`; refuses the empty pointer (it would ignore the whole file).
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text.strip_prefix('/').ok_or_else(|| {
            format!("ignore rule {text:?} must be a JSON pointer starting with \"/\"")
        })?;
        let segments = rest
            .split('/')
            .map(|raw| match raw {
                "*" => Segment::Any,
                _ => Segment::Key(raw.replace("~1", "/").replace("~0", "~")),
            })
            .collect();
        Ok(JsonPointer { segments })
    }

    /// The steps of the pointer.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Any => f.write_str("/*")?,
                Segment::Key(key) => write!(f, "/{}", key.replace('~', "~0").replace('/', "~1"))?,
            }
        }
        Ok(())
    }
}

/// The ignore rules of one bot, split by the file they address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRules {
    /// Pointers into the bot definition.
    pub definition: Vec<JsonPointer>,
    /// Pointers into `config.json`.
    pub config: Vec<JsonPointer>,
    /// Variables whose values are left out (kept by the target bot on import,
    /// `botVariables.ignore`): the target's own value is no difference.
    pub variable_values: Vec<String>,
}

impl IgnoreRules {
    /// The rules of both sides of a comparison together, so that a path ignored
    /// on one side is ignored on the other as well.
    pub fn union(&self, other: &IgnoreRules) -> IgnoreRules {
        let mut merged = self.clone();
        for pointer in &other.definition {
            if !merged.definition.contains(pointer) {
                merged.definition.push(pointer.clone());
            }
        }
        for pointer in &other.config {
            if !merged.config.contains(pointer) {
                merged.config.push(pointer.clone());
            }
        }
        for key in &other.variable_values {
            if !merged.variable_values.contains(key) {
                merged.variable_values.push(key.clone());
            }
        }
        merged
    }
}

/// Parses one `ignore` entry into `rules`.
pub(crate) fn parse_rule(text: &str, rules: &mut IgnoreRules) -> Result<(), String> {
    match text.strip_prefix(CONFIG_PREFIX) {
        Some(pointer) => rules.config.push(JsonPointer::parse(pointer)?),
        None => rules.definition.push(JsonPointer::parse(text)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_unescape_and_print_back() {
        let pointer = JsonPointer::parse("/a~1b/*/c~0d").unwrap();
        assert_eq!(
            pointer.segments(),
            [
                Segment::Key("a/b".into()),
                Segment::Any,
                Segment::Key("c~d".into())
            ]
        );
        assert_eq!(pointer.to_string(), "/a~1b/*/c~0d");
        assert!(JsonPointer::parse("widgets").is_err());
    }

    #[test]
    fn config_prefix_selects_the_config_file() {
        let mut rules = IgnoreRules::default();
        parse_rule("config:/envVariables", &mut rules).unwrap();
        parse_rule("/widgets", &mut rules).unwrap();
        assert_eq!(rules.config.len(), 1);
        assert_eq!(rules.definition.len(), 1);
        let both = rules.union(&rules.clone());
        assert_eq!(both, rules);
    }
}
