//! A pull into an existing folder changes only what changed on the live
//! bot: the definition and `config.json` are written over the previous files
//! keeping their bytes for every part the diff sees as equal (the platform
//! regenerates ids, dates, hashes and order on every export), so the git
//! diff of a pull is what a designer did. See `diff::keep_previous`.

use std::path::Path;

use super::PullError;
use crate::desired::{DefinitionName, IgnoreRules};
use crate::diff::{DiffError, JsonFile, keep_previous};
use crate::platform::ExportArchive;
use crate::platform::archive::CONFIG_NAME;

/// The definition and `config.json` to write, laid out over the folder's
/// previous files; the names of those that keep every byte; and what to say
/// (a file written whole).
pub struct LaidOut {
    pub definition: Vec<u8>,
    pub config: Vec<u8>,
    pub unchanged: Vec<String>,
    pub notices: Vec<String>,
}

/// Lays `archive`'s JSON files out over those of `folder`, with the folder's
/// ignore rules.
pub fn lay_out(
    folder: &Path,
    archive: &ExportArchive,
    ignore: &IgnoreRules,
) -> Result<LaidOut, PullError> {
    let definition_name =
        DefinitionName::from_file_name(&archive.definition_name).unwrap_or_default();
    let mut laid_out = LaidOut {
        definition: Vec::new(),
        config: Vec::new(),
        unchanged: Vec::new(),
        notices: Vec::new(),
    };
    let files = [
        (
            JsonFile::Definition(definition_name),
            archive.definition_name.as_str(),
            &archive.definition,
        ),
        (JsonFile::Config, CONFIG_NAME, &archive.config),
    ];
    for (file, name, exported) in files {
        let previous = std::fs::read(folder.join(name)).ok();
        let kept = keep_previous(file, previous.as_deref(), exported, ignore)
            .map_err(|e| not_json(name, e))?;
        if previous.as_deref() == Some(kept.bytes.as_slice()) {
            laid_out.unchanged.push(name.to_owned());
        }
        if kept.whole {
            laid_out.notices.push(format!(
                "{name}: written whole; the previous file's layout could not be kept part by part"
            ));
        }
        match file {
            JsonFile::Definition(_) => laid_out.definition = kept.bytes,
            JsonFile::Config => laid_out.config = kept.bytes,
        }
    }
    Ok(laid_out)
}

fn not_json(file: &str, error: DiffError) -> PullError {
    let reason = match error {
        DiffError::InvalidJson {
            line,
            column,
            reason,
            ..
        } => format!("line {line} column {column}: {reason}"),
        DiffError::NotAnObject { .. } => "the top level is not an object".to_owned(),
    };
    PullError::NotJson {
        file: file.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_json_is_refused_without_its_content() {
        let archive = ExportArchive {
            definition_name: "botDefinition.json".to_owned(),
            definition: b"{}".to_vec(),
            config: br#"{"value": "s3cret""#.to_vec(),
            icon: None,
            functions: Default::default(),
            ignored: Vec::new(),
        };
        let folder = tempfile::tempdir().unwrap();
        let err = lay_out(folder.path(), &archive, &IgnoreRules::default())
            .err()
            .unwrap();
        let message = err.to_string();
        assert!(message.contains("config.json"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }
}
