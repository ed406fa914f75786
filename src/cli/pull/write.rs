//! Writing an export into a bot folder (its JSON files already laid out, see
//! `keep`): each file replaced atomically (temporary file + rename), stale
//! functions removed.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::PullError;
use crate::platform::ExportArchive;
use crate::platform::archive::{CONFIG_NAME, DEFINITION_NAMES, FUNCTION_SUFFIX, ICON_NAME};

/// Writes `archive` (its JSON files as they are to be written) into
/// `folder` (created when missing) and, when
/// `settings` is given, that `bot.toml`; the files named in `keep` are left
/// as they are. Returns the files written and the stale files removed.
pub fn write_bot(
    folder: &Path,
    archive: &ExportArchive,
    settings: Option<&[u8]>,
    keep: &[String],
) -> Result<(Vec<String>, Vec<String>), PullError> {
    fs::create_dir_all(folder).map_err(|e| io(folder, e))?;
    let mut files = vec![
        (archive.definition_name.clone(), archive.definition.clone()),
        (CONFIG_NAME.to_owned(), archive.config.clone()),
    ];
    if let Some(icon) = &archive.icon {
        files.push((ICON_NAME.to_owned(), icon.clone()));
    }
    for (name, code) in &archive.functions {
        files.push((plain_file_name(name)?.to_owned(), code.clone()));
    }
    if let Some(settings) = settings {
        files.push(("bot.toml".to_owned(), settings.to_vec()));
    }
    files.retain(|(name, _)| !keep.contains(name));
    for (name, bytes) in &files {
        write_atomically(&folder.join(name), bytes)?;
    }
    let removed = remove_stale(folder, archive)?;
    Ok((files.into_iter().map(|(name, _)| name).collect(), removed))
}

/// Refuses an entry name that is not a plain file name (the archive reader
/// already does; this keeps the writer safe on its own).
fn plain_file_name(name: &str) -> Result<&str, PullError> {
    let plain = Path::new(name).file_name().and_then(|n| n.to_str()) == Some(name)
        && !name.starts_with('.')
        && !name.contains('\\');
    match plain {
        true => Ok(name),
        false => Err(io(
            Path::new(name),
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the export names a function file that is not a plain file name",
            ),
        )),
    }
}

/// Removes the functions the export no longer has, and the other definition
/// name (a folder holds one definition).
fn remove_stale(folder: &Path, archive: &ExportArchive) -> Result<Vec<String>, PullError> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(folder).map_err(|e| io(folder, e))? {
        let entry = entry.map_err(|e| io(folder, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry
            .file_type()
            .map_err(|e| io(&entry.path(), e))?
            .is_file();
        let stale_function =
            name.ends_with(FUNCTION_SUFFIX) && !archive.functions.contains_key(&name);
        let other_definition =
            DEFINITION_NAMES.contains(&name.as_str()) && name != archive.definition_name;
        if is_file && (stale_function || other_definition) {
            fs::remove_file(entry.path()).map_err(|e| io(&entry.path(), e))?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

/// Replaces `path` with `bytes` so that a reader sees the old file or the new
/// one, never half of it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PullError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".{}.kore-gitops-pull", name.unwrap_or_default()));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(|e| io(path, e))
}

fn io(path: &Path, source: std::io::Error) -> PullError {
    PullError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_bots_are_already_in_the_standard_layout() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots");
        for file in ["travel-desk/config.json", "travel-desk/botDefinition.json"] {
            let example = fs::read(examples.join(file)).unwrap();
            assert!(crate::diff::reindent(&example) == example, "{file}");
        }
    }

    #[test]
    fn function_names_must_be_plain() {
        assert!(plain_file_name("travelDeskFunctions.js").is_ok());
        for bad in ["../x.js", "a/b.js", ".hidden.js", "a\\b.js", "/abs.js"] {
            assert!(plain_file_name(bad).is_err(), "{bad}");
        }
    }
}
