//! Keeping the previous file's bytes: a pull into an existing folder writes
//! the new export so that everything the diff sees as equal (regenerated ids,
//! dates and hashes, the order of sets, the bot's own identity, key order,
//! layout) keeps the bytes the folder already had, and the git diff of a pull
//! shows only what a designer changed.
//!
//! Equality is the diff's own (`fragment`): no second normalisation. The
//! result is checked as a whole before it is used: when the merged file does
//! not normalise to what the export does, the export is written whole (in
//! the previous layout) and the caller says so.

use crate::desired::{DefinitionName, IgnoreRules};

use super::DiffError;
use super::canonical::Hash;
use super::normalise::parse_object;

mod fragment;
mod layout;
mod merge;
mod raw;

use fragment::{Fragments, Step};
use layout::Layout;
use merge::{Merger, Side};
use raw::Raw;

/// Which file of a bot folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFile {
    /// The bot definition.
    Definition(DefinitionName),
    /// `config.json`.
    Config,
}

impl JsonFile {
    fn name(self) -> &'static str {
        match self {
            JsonFile::Definition(name) => name.file_name(),
            JsonFile::Config => "config.json",
        }
    }
}

/// What [`keep_previous`] wrote.
#[derive(Debug)]
pub struct Kept {
    /// The file's new bytes.
    pub bytes: Vec<u8>,
    /// True when the previous file's bytes could not be kept part by part
    /// (it was not JSON, or the merge did not check out): the export whole.
    pub whole: bool,
}

/// `exported` (a JSON file of an export) laid out as `previous` is, keeping
/// `previous`'s bytes for every part that is equal under the diff's
/// normalisation with `ignore`. `previous: None` (no file yet) writes the
/// export in the standard layout. Fails only when `exported` is not a JSON object.
pub fn keep_previous(
    file: JsonFile,
    previous: Option<&[u8]>,
    exported: &[u8],
    ignore: &IgnoreRules,
) -> Result<Kept, DiffError> {
    let new_document = parse_object(file.name(), exported)?;
    let whole = |layout: &Layout, previous: bool| {
        let mut bytes = Vec::with_capacity(exported.len() + exported.len() / 4);
        layout.value(&mut bytes, exported, 0);
        Kept {
            bytes,
            whole: previous,
        }
    };
    let Some(previous) = previous else {
        return Ok(whole(&Layout::standard(), false));
    };
    let layout = Layout::of(previous);
    let Ok(old_document) = parse_object(file.name(), previous) else {
        return Ok(whole(&layout, true));
    };
    let new = Side {
        raw: Raw { bytes: exported },
        fragments: Fragments::new(file, &new_document, ignore),
    };
    drop(new_document);
    let old = Side {
        raw: Raw { bytes: previous },
        fragments: Fragments::new(file, &old_document, ignore),
    };
    drop(old_document);
    let whole_file: [Step; 0] = [];
    let exported_hash = new.fragments.hash(&whole_file, exported);
    if exported_hash.is_some() && old.fragments.hash(&whole_file, previous) == exported_hash {
        return Ok(Kept {
            bytes: previous.to_vec(),
            whole: false,
        });
    }
    let (old_root, new_root) = (old.raw.root(), new.raw.root());
    let mut merger = Merger {
        old,
        new,
        layout: layout.clone(),
        out: Vec::with_capacity(previous.len() + exported.len() / 8),
    };
    merger.out.extend_from_slice(&previous[..old_root.start]);
    merger.different(&mut Vec::new(), old_root.clone(), new_root, 0);
    merger.out.extend_from_slice(&previous[old_root.end..]);
    if !means(file, &merger.out, exported_hash, ignore) {
        return Ok(whole(&layout, true));
    }
    Ok(Kept {
        bytes: merger.out,
        whole: false,
    })
}

/// Whether `merged` normalises, as a whole file, to `expected` (the export's hash).
fn means(file: JsonFile, merged: &[u8], expected: Option<Hash>, ignore: &IgnoreRules) -> bool {
    let Ok(document) = parse_object(file.name(), merged) else {
        return false;
    };
    let merged_parts = Fragments::new(file, &document, ignore);
    drop(document);
    let whole_file: [Step; 0] = [];
    expected.is_some() && merged_parts.hash(&whole_file, merged) == expected
}

/// `json` (valid JSON) in the standard layout: 4 spaces, `": "`, empty
/// containers on one line, no final newline, strings and numbers byte for byte.
pub fn reindent(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + json.len() / 4);
    Layout::standard().value(&mut out, json, 0);
    out
}

#[cfg(test)]
mod tests;
