//! From raw bot files to a [`NormalisedBot`]: the canonical form both sides of a
//! comparison are reduced to, and its digest.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use super::DiffError;
use super::canonical::{Hash, HashWriter, sha256};
use super::identity::neutralise;
use super::order::{ElementHashes, unmatched};
use super::parse::parse;
use super::pointer;
use super::sets::sort_collections;
use super::tree::{Map, Value};
use super::volatile::{drop_volatile, sort_config};
use crate::desired::{BotFiles, IgnoreRules, JsonPointer};
use crate::ids::Digest;

/// Labels the digest's input format; bump it when normalisation or the
/// canonical form changes.
/// v3: sets are sorted at every depth, decided by `ordering`'s rule, and the
/// bot's own identity is replaced by placeholders (`identity`).
const DIGEST_FORMAT: &str = "kore-gitops normalised bot v3\n";

/// A bot reduced to what matters: volatile fields dropped, order-insensitive
/// collections sorted, texts decoded, ignore rules applied.
///
/// `Debug` prints only the digest: the config holds variable values.
pub struct NormalisedBot {
    pub(crate) definition: Map,
    pub(crate) config: Map,
    pub(crate) icon: Option<[u8; 32]>,
    /// Function file name → sha256 of its content.
    pub(crate) functions: BTreeMap<String, [u8; 32]>,
    /// Content hashes of the sorted top-level collections' elements.
    element_hashes: ElementHashes,
    digest: OnceLock<Digest>,
}

impl NormalisedBot {
    /// The sha256 of the canonical form (computed once, streamed).
    ///
    /// Function file names do not take part: the platform may store the
    /// functions under another name, and only their content changes behaviour.
    pub fn digest(&self) -> Digest {
        *self.digest.get_or_init(|| {
            let mut writer = HashWriter::new();
            writer.section("format", DIGEST_FORMAT.as_bytes());
            writer.bytes(b"definition");
            writer.object(&self.definition, |writer, key, value| {
                self.write_member(writer, key, value)
            });
            writer.bytes(b"config");
            writer.object(&self.config, |writer, _, value| writer.value(value));
            writer.section("icon", self.icon.as_ref().map_or(&[][..], |h| &h[..]));
            let mut functions: Vec<[u8; 32]> = self.functions.values().copied().collect();
            functions.sort();
            writer.section("functions", functions.as_flattened());
            Digest::from_bytes(writer.finish_reset())
        })
    }

    /// Whether a sorted top-level collection holds the same elements on both
    /// sides (by their content hashes); a collection neither side has is the same.
    pub(crate) fn same_collection(&self, other: &NormalisedBot, name: &str) -> bool {
        self.element_hashes.get(name) == other.element_hashes.get(name)
    }

    /// The elements of a sorted top-level collection without an identical
    /// counterpart on the other side: `(only in self, only in other)`.
    pub(crate) fn unmatched_elements<'a>(
        &'a self,
        other: &'a NormalisedBot,
        name: &str,
    ) -> (Vec<&'a Value>, Vec<&'a Value>) {
        let (mine, theirs) = (self.collection(name), other.collection(name));
        (unmatched(mine, theirs.1), unmatched(theirs, mine.1))
    }

    /// A sorted top-level collection's elements and their hashes (none when it is absent).
    fn collection(&self, name: &str) -> (&[Value], &[Hash]) {
        let items = self.definition.get(name).and_then(Value::as_array);
        match (items, self.element_hashes.get(name)) {
            (Some(items), Some(hashes)) if items.len() == hashes.len() => (items, hashes),
            _ => (&[], &[]),
        }
    }

    /// A top-level member of the definition: a sorted collection as the
    /// hashes of its elements (already computed to sort it), anything else as JSON.
    fn write_member(&self, writer: &mut HashWriter, key: &str, value: &Value) {
        let hashes = self.element_hashes.get(key);
        match (hashes, value) {
            (Some(hashes), Value::Array(items)) if hashes.len() == items.len() => {
                writer.hashes(hashes)
            }
            _ => writer.value(value),
        }
    }
}

impl fmt::Debug for NormalisedBot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NormalisedBot")
            .field("digest", &self.digest())
            .finish_non_exhaustive()
    }
}

/// Normalises one side of a comparison. Pure and synchronous; call it from
/// `spawn_blocking` in async code (it parses and hashes megabytes).
pub fn normalise(files: &BotFiles, ignore: &IgnoreRules) -> Result<NormalisedBot, DiffError> {
    let (definition, element_hashes) = normalise_definition(files, &ignore.definition)?;
    let mut config = parse_object("config.json", &files.config)?;
    normal_config(&mut config, ignore);
    Ok(NormalisedBot {
        definition,
        config,
        icon: files.icon.as_deref().map(sha256),
        functions: files
            .functions
            .iter()
            .map(|(name, body)| (name.clone(), sha256(body)))
            .collect(),
        element_hashes,
        digest: OnceLock::new(),
    })
}

/// Parses the definition, replaces its identities, and reduces it to its normal form.
fn normalise_definition(
    files: &BotFiles,
    ignore: &[JsonPointer],
) -> Result<(Map, ElementHashes), DiffError> {
    let mut definition = parse_object(files.definition_name.file_name(), &files.definition)?;
    neutralise(&mut definition);
    let hashes = normal_definition(&mut definition, ignore);
    Ok((definition, hashes))
}

/// A definition (or a part of one, placed at its path) whose identities are
/// already replaced, reduced to its normal form: volatile fields dropped,
/// sets sorted, ignore rules applied. Returns the top-level sets' hashes.
pub(crate) fn normal_definition(definition: &mut Map, ignore: &[JsonPointer]) -> ElementHashes {
    drop_volatile(definition);
    let mut hashes = sort_collections(definition);
    if !ignore.is_empty() {
        // Pointers address the sorted form; what they remove changes the
        // elements' content, so the collections are sorted and hashed again.
        *definition = apply_ignore(std::mem::take(definition), ignore);
        hashes = sort_collections(definition);
    }
    hashes
}

/// `config.json` (or a part of it, placed at its path) reduced to its normal
/// form: unreadable values left out, variables sorted, ignore rules applied.
pub(crate) fn normal_config(config: &mut Map, ignore: &IgnoreRules) {
    drop_unreadable_values(config, &ignore.variable_values);
    sort_config(config);
    if !ignore.config.is_empty() {
        *config = apply_ignore(std::mem::take(config), &ignore.config);
        sort_config(config);
    }
}

/// Leaves out the values no export gives back: a secured variable's (the
/// platform exports it blank) and a variable the target bot keeps
/// (`botVariables.ignore`), so neither is a difference forever.
fn drop_unreadable_values(config: &mut Map, kept: &[String]) {
    let Some(Value::Array(variables)) = config.get_mut("envVariables") else {
        return;
    };
    for variable in variables.iter_mut() {
        let Value::Object(variable) = variable else {
            continue;
        };
        let secured = matches!(variable.get("isSecured"), Some(Value::Bool(true)));
        let key = variable.get("key").and_then(Value::as_str);
        let kept = key.is_some_and(|k| kept.iter().any(|kept| kept == k));
        if secured || kept {
            variable.remove("value");
        }
    }
}

pub(crate) fn parse_object(file: &'static str, bytes: &[u8]) -> Result<Map, DiffError> {
    match parse(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(DiffError::NotAnObject { file }),
        Err(e) => Err(DiffError::InvalidJson {
            file,
            line: e.line(),
            column: e.column(),
            reason: crate::desired::json_error_reason(&e),
        }),
    }
}

fn apply_ignore(map: Map, pointers: &[JsonPointer]) -> Map {
    let mut value = Value::Object(map);
    pointer::remove_all(&mut value, pointers);
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare;

    fn files(definition: serde_json::Value) -> BotFiles {
        BotFiles {
            definition: serde_json::to_vec(&definition).unwrap(),
            config: br#"{"name": "bot", "envVariables": []}"#.to_vec(),
            ..BotFiles::default()
        }
    }

    fn rules(pointers: &[&str]) -> IgnoreRules {
        IgnoreRules {
            definition: pointers
                .iter()
                .map(|p| JsonPointer::parse(p).unwrap())
                .collect(),
            config: Vec::new(),
            variable_values: Vec::new(),
        }
    }

    #[test]
    fn ignored_fields_do_not_decide_the_order_of_a_collection() {
        // Without `x` the utterances are the same set; with it, they hash (and
        // so sort) differently, so the order must be decided again after the rules.
        let sentences = |xs: [u64; 6]| {
            let items: Vec<serde_json::Value> = (0..6)
                .map(|i| serde_json::json!({"sentence": format!("s{i}"), "x": xs[i]}))
                .collect();
            files(serde_json::json!({ "sentences": items }))
        };
        let (left, right) = (sentences([1, 2, 3, 4, 5, 6]), sentences([9, 8, 7, 6, 5, 4]));
        let ignore = rules(&["/sentences/*/x"]);
        let (l, r) = (
            normalise(&left, &ignore).unwrap(),
            normalise(&right, &ignore).unwrap(),
        );
        assert_eq!(l.digest(), r.digest());
        assert!(compare(&l, &r).is_empty());
        let none = IgnoreRules::default();
        assert_ne!(
            normalise(&left, &none).unwrap().digest(),
            normalise(&right, &none).unwrap().digest()
        );
    }

    #[test]
    fn a_change_inside_a_collection_is_found_next_to_unchanged_ones() {
        let dialog = |name: &str| serde_json::json!({"refId": "r1", "name": name, "localeData": {"en": {"name": name}}});
        let sentence = serde_json::json!({"sentence": "hi", "taskName": "Greet", "language": "en"});
        let left = files(serde_json::json!({"dialogs": [dialog("Old")], "sentences": [sentence]}));
        let right = files(serde_json::json!({"dialogs": [dialog("New")], "sentences": [sentence]}));
        let none = IgnoreRules::default();
        let (l, r) = (
            normalise(&left, &none).unwrap(),
            normalise(&right, &none).unwrap(),
        );
        assert!(l.same_collection(&r, "sentences") && !l.same_collection(&r, "dialogs"));
        assert_eq!(
            compare(&l, &r).summary(),
            "dialogs: 1 renamed (Old → New: name)"
        );
    }
}
