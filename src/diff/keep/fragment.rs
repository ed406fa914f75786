//! Whether two parts of two documents are equal under the diff's own
//! normalisation. A part is placed at its path inside an otherwise empty
//! document (`{"sentences": [part]}`) and that document goes through the
//! same steps as a whole file does (`normal_definition`, `normal_config`),
//! with the identities of the whole file it came from: so the volatile
//! fields, sets and ignore rules that apply at that path apply to the part,
//! and no second set of rules exists.

use super::JsonFile;
use crate::desired::IgnoreRules;
use crate::diff::canonical::{Hash, HashWriter};
use crate::diff::identity::Identities;
use crate::diff::normalise::{normal_config, normal_definition};
use crate::diff::parse::parse;
use crate::diff::tree::{Key, Map, Value};

/// One step of a path from the document's top: a member, or an element of an array.
#[derive(Debug, Clone)]
pub(super) enum Step {
    Key(String),
    Element,
}

impl Step {
    /// The step as `ordering` spells it.
    pub(super) fn token(&self) -> &str {
        match self {
            Step::Key(key) => key,
            Step::Element => "[]",
        }
    }
}

/// Normal-form hashes of the parts of one document.
pub(super) struct Fragments<'a> {
    file: JsonFile,
    identities: Identities,
    ignore: &'a IgnoreRules,
}

impl<'a> Fragments<'a> {
    /// For the parts of `document` (the whole file, parsed).
    pub(super) fn new(file: JsonFile, document: &Map, ignore: &'a IgnoreRules) -> Self {
        let identities = match file {
            JsonFile::Definition(_) => Identities::of(document),
            JsonFile::Config => Identities::none(),
        };
        Fragments {
            file,
            identities,
            ignore,
        }
    }

    /// The hash of the normal form of `text` placed at `path` (`[]`: the
    /// whole document). `None` when the text is not JSON or the whole is not an object.
    pub(super) fn hash(&self, path: &[Step], text: &[u8]) -> Option<Hash> {
        let mut value = parse(text).ok()?;
        self.identities.rewrite(&mut value);
        for step in path.iter().rev() {
            value = match step {
                Step::Key(key) => {
                    Value::Object(Map::from_members(vec![(Key::from(key.as_str()), value)]))
                }
                Step::Element => Value::Array(vec![value]),
            };
        }
        let Value::Object(mut document) = value else {
            return None;
        };
        match self.file {
            JsonFile::Definition(_) => {
                drop(normal_definition(&mut document, &self.ignore.definition))
            }
            JsonFile::Config => normal_config(&mut document, self.ignore),
        }
        Some(HashWriter::new().hash_of(&Value::Object(document)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::DefinitionName;

    fn hash(document: &str, path: &[Step], part: &str) -> Hash {
        let Ok(Value::Object(map)) = parse(document.as_bytes()) else {
            unreachable!("an object")
        };
        let none = IgnoreRules::default();
        let file = JsonFile::Definition(DefinitionName::BotDefinition);
        Fragments::new(file, &map, &none)
            .hash(path, part.as_bytes())
            .unwrap()
    }

    #[test]
    fn a_part_is_compared_as_the_whole_file_compares_it() {
        let sentences = [Step::Key("sentences".into()), Step::Element];
        // A sentence's _id is regenerated on export: no difference.
        assert_eq!(
            hash("{}", &sentences, r#"{"_id": "a1", "sentence": "hi"}"#),
            hash("{}", &sentences, r#"{"_id": "b2", "sentence": "hi"}"#)
        );
        assert_ne!(
            hash("{}", &sentences, r#"{"_id": "a1", "sentence": "hi"}"#),
            hash("{}", &sentences, r#"{"_id": "a1", "sentence": "hello"}"#)
        );
        // Elsewhere an _id is the element's identity.
        let dialogs = [Step::Key("faqs".into()), Step::Element];
        assert_ne!(
            hash("{}", &dialogs, r#"{"_id": "a1"}"#),
            hash("{}", &dialogs, r#"{"_id": "b2"}"#)
        );
        // The bot's own id, read from the whole document, is a placeholder.
        let hook = [Step::Key("hook".into())];
        assert_eq!(
            hash(r#"{"_id": "st-x"}"#, &hook, r#""https://h/st-x""#),
            hash(r#"{"_id": "st-y"}"#, &hook, r#""https://h/st-y""#)
        );
    }
}
