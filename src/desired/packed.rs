//! Bot files as a snapshot keeps them between passes: deflated. A daemon
//! holds the commit's snapshot (every target's files) for as long as the
//! branch stays there, yet a pass needs one target's files for the moment
//! it runs; bot JSON deflates about tenfold, so a thousand idle bots cost a
//! few MiB instead of tens (issue 14: idle memory).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

use super::files::{BotFiles, DefinitionName};

/// One file's bytes, deflated. Equal contents pack to equal bytes (one
/// encoder, one level), so comparing packs compares contents. `Debug`
/// shows the size only.
#[derive(Clone, PartialEq, Eq)]
pub struct PackedBytes(Box<[u8]>);

impl fmt::Debug for PackedBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PackedBytes({} bytes)", self.0.len())
    }
}

impl PackedBytes {
    /// Deflates `bytes`.
    pub fn pack(bytes: &[u8]) -> PackedBytes {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
        encoder
            .write_all(bytes)
            .expect("deflating into memory cannot fail");
        let packed = encoder.finish().expect("deflating into memory cannot fail");
        PackedBytes(packed.into_boxed_slice())
    }

    /// The bytes as they were packed.
    pub fn unpack(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        DeflateDecoder::new(&self.0[..])
            .read_to_end(&mut bytes)
            .expect("our own deflate stream, held in memory, inflates");
        bytes
    }

    /// How many bytes the pack holds.
    pub fn packed_len(&self) -> usize {
        self.0.len()
    }
}

/// [`BotFiles`], deflated (the icon is a PNG, already compressed: kept as
/// it is). `Debug` shows sizes only, as for [`BotFiles`]: `config` holds
/// variable values.
#[derive(Clone, PartialEq, Eq)]
pub struct PackedFiles {
    definition_name: DefinitionName,
    definition: PackedBytes,
    config: PackedBytes,
    icon: Option<Box<[u8]>>,
    functions: BTreeMap<String, PackedBytes>,
}

impl PackedFiles {
    /// Packs `files`.
    pub fn pack(files: &BotFiles) -> PackedFiles {
        PackedFiles {
            definition_name: files.definition_name,
            definition: PackedBytes::pack(&files.definition),
            config: PackedBytes::pack(&files.config),
            icon: files.icon.as_deref().map(Box::from),
            functions: (files.functions.iter())
                .map(|(name, body)| (name.clone(), PackedBytes::pack(body)))
                .collect(),
        }
    }

    /// The files as they were packed.
    pub fn unpack(&self) -> BotFiles {
        BotFiles {
            definition_name: self.definition_name,
            definition: self.definition.unpack(),
            config: self.config.unpack(),
            icon: self.icon.as_deref().map(<[u8]>::to_vec),
            functions: (self.functions.iter())
                .map(|(name, body)| (name.clone(), body.unpack()))
                .collect(),
        }
    }
}

impl fmt::Debug for PackedFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let functions: BTreeMap<&str, usize> = (self.functions.iter())
            .map(|(name, body)| (name.as_str(), body.packed_len()))
            .collect();
        f.debug_struct("PackedFiles")
            .field("definition_name", &self.definition_name.file_name())
            .field("definition_packed_bytes", &self.definition.packed_len())
            .field("config_packed_bytes", &self.config.packed_len())
            .field("icon_bytes", &self.icon.as_ref().map(|icon| icon.len()))
            .field("function_packed_bytes", &functions)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> BotFiles {
        let definition = serde_json::to_vec_pretty(&serde_json::json!({
            "dialogs": (0..200).map(|i| serde_json::json!({"name": format!("dialog {i}"), "nodes": []})).collect::<Vec<_>>(),
        }))
        .unwrap();
        BotFiles {
            definition_name: DefinitionName::AppDefinition,
            definition,
            config: br#"{"envVariables":[{"key":"k","value":"hunter2"}]}"#.to_vec(),
            icon: Some(vec![0x89, b'P', b'N', b'G', 0, 1, 2]),
            functions: BTreeMap::from([("lib.js".to_owned(), b"function f() {}".to_vec())]),
        }
    }

    #[test]
    fn files_unpack_to_exactly_what_was_packed_and_take_less_room() {
        let files = files();
        let packed = PackedFiles::pack(&files);
        assert_eq!(packed.unpack(), files);
        assert!(
            packed.definition.packed_len() * 5 < files.definition.len(),
            "{} packed of {}",
            packed.definition.packed_len(),
            files.definition.len()
        );
        assert_eq!(
            PackedFiles::pack(&BotFiles::default()).unpack(),
            BotFiles::default()
        );
    }

    #[test]
    fn equal_files_pack_equal_and_different_files_do_not() {
        let (one, mut other) = (files(), files());
        assert_eq!(PackedFiles::pack(&one), PackedFiles::pack(&other));
        other.config = br#"{"envVariables":[]}"#.to_vec();
        assert_ne!(PackedFiles::pack(&one), PackedFiles::pack(&other));
    }

    #[test]
    fn debug_shows_sizes_not_contents() {
        let debug = format!("{:?}", PackedFiles::pack(&files()));
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("config_packed_bytes"), "{debug}");
    }
}
