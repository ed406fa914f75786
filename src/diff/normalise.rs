//! From raw bot files to a [`NormalisedBot`]: the canonical form both sides of a
//! comparison are reduced to, and its digest.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use super::tree::{Map, Value};

use super::DiffError;
use super::canonical::{Hasher, canonicalise_leaves, sha256};
use super::pointer;
use super::volatile::{drop_volatile, sort_collections, sort_config};
use crate::desired::{BotFiles, IgnoreRules};
use crate::ids::Digest;

/// Labels the digest's input format; bump it when normalisation changes meaning.
const DIGEST_FORMAT: &str = "kore-gitops normalised bot v1\n";

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
    digest: OnceLock<Digest>,
}

impl NormalisedBot {
    /// The sha256 of the canonical form (computed once, streamed).
    ///
    /// Function file names do not take part: the platform may store the
    /// functions under another name, and only their content changes behaviour.
    pub fn digest(&self) -> Digest {
        *self.digest.get_or_init(|| {
            let mut hasher = Hasher::new();
            hasher.section("format", DIGEST_FORMAT.as_bytes());
            hasher.json("definition", &self.definition);
            hasher.json("config", &self.config);
            hasher.section("icon", self.icon.as_ref().map_or(&[][..], |h| &h[..]));
            let mut functions: Vec<&[u8; 32]> = self.functions.values().collect();
            functions.sort();
            hasher.section(
                "functions",
                &functions
                    .into_iter()
                    .flatten()
                    .copied()
                    .collect::<Vec<u8>>(),
            );
            Digest::from_bytes(hasher.finish())
        })
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
    let mut definition = parse_object(files.definition_name.file_name(), &files.definition)?;
    canonicalise_object(&mut definition);
    drop_volatile(&mut definition);
    sort_collections(&mut definition);
    let definition = apply_ignore(definition, &ignore.definition);

    let mut config = parse_object("config.json", &files.config)?;
    canonicalise_object(&mut config);
    sort_config(&mut config);
    let config = apply_ignore(config, &ignore.config);

    Ok(NormalisedBot {
        definition,
        config,
        icon: files.icon.as_deref().map(sha256),
        functions: files
            .functions
            .iter()
            .map(|(name, body)| (name.clone(), sha256(body)))
            .collect(),
        digest: OnceLock::new(),
    })
}

fn parse_object(file: &'static str, bytes: &[u8]) -> Result<Map, DiffError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(DiffError::NotAnObject { file }),
        Err(e) => Err(DiffError::InvalidJson {
            file,
            line: e.line(),
            column: e.column(),
        }),
    }
}

fn canonicalise_object(map: &mut Map) {
    map.values_mut().for_each(canonicalise_leaves);
}

fn apply_ignore(map: Map, pointers: &[crate::desired::JsonPointer]) -> Map {
    if pointers.is_empty() {
        return map;
    }
    let mut value = Value::Object(map);
    pointer::remove_all(&mut value, pointers);
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
