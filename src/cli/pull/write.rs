//! Writing an export into a bot folder: pretty-printed JSON, each file
//! replaced atomically (temporary file + rename), stale functions removed.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::PullError;
use crate::platform::ExportArchive;
use crate::platform::archive::{CONFIG_NAME, DEFINITION_NAMES, FUNCTION_SUFFIX, ICON_NAME};

/// The indent of the JSON files, as in `examples/bots/`.
const INDENT: &[u8] = b"    ";

/// Writes `archive` into `folder` (created when missing) and, when
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
        (
            archive.definition_name.clone(),
            pretty(&archive.definition_name, &archive.definition)?,
        ),
        (
            CONFIG_NAME.to_owned(),
            pretty(CONFIG_NAME, &archive.config)?,
        ),
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

/// Checks that `json` is JSON and re-indents it.
fn pretty(file: &str, json: &[u8]) -> Result<Vec<u8>, PullError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(json).map_err(|e| PullError::NotJson {
        file: file.to_owned(),
        reason: format!(
            "line {} column {}: {:?}",
            e.line(),
            e.column(),
            e.classify()
        ),
    })?;
    Ok(reindent(json))
}

/// Re-indents valid JSON without re-serialising it: strings, numbers and the
/// order of keys stay byte for byte as they were. Empty containers stay on
/// one line (`[]`, `{}`); there is no final newline, as in `examples/bots/`.
fn reindent(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + json.len() / 4);
    let mut depth = 0usize;
    let mut bytes = json.iter().copied().peekable();
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        (0..depth).for_each(|_| out.extend_from_slice(INDENT));
    };
    while let Some(byte) = bytes.next() {
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => copy_string(&mut out, &mut bytes),
            b'{' | b'[' => {
                out.push(byte);
                while bytes.next_if(u8::is_ascii_whitespace).is_some() {}
                if bytes.next_if(|&b| b == b'}' || b == b']').is_some() {
                    out.push(if byte == b'{' { b'}' } else { b']' });
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(byte);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            other => out.push(other),
        }
    }
    out
}

/// Copies a string's body and closing quote (the opening one is already read).
fn copy_string(out: &mut Vec<u8>, bytes: &mut impl Iterator<Item = u8>) {
    out.push(b'"');
    let mut escaped = false;
    for byte in bytes.by_ref() {
        out.push(byte);
        match (escaped, byte) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindents_keeping_order_numbers_and_escapes() {
        let compact = br#"{"z":1.50,"a":[],"s":"a \"q\" , : { [","o":{},"l":[1,{"k":null}]}"#;
        let expected = "{\n    \"z\": 1.50,\n    \"a\": [],\n    \"s\": \"a \\\"q\\\" , : { [\",\n    \
                        \"o\": {},\n    \"l\": [\n        1,\n        {\n            \"k\": null\n        }\n    ]\n}";
        assert_eq!(String::from_utf8(reindent(compact)).unwrap(), expected);
        let again = reindent(expected.as_bytes());
        assert_eq!(String::from_utf8(again).unwrap(), expected, "idempotent");
    }

    #[test]
    fn the_example_bots_are_already_in_this_format() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots");
        for file in ["travel-desk/config.json", "travel-desk/botDefinition.json"] {
            let example = fs::read(examples.join(file)).unwrap();
            assert!(reindent(&example) == example, "{file}");
        }
    }

    #[test]
    fn invalid_json_is_refused_without_its_content() {
        let err = pretty("config.json", br#"{"value": "s3cret""#).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("config.json"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }

    #[test]
    fn function_names_must_be_plain() {
        assert!(plain_file_name("travelDeskFunctions.js").is_ok());
        for bad in ["../x.js", "a/b.js", ".hidden.js", "a\\b.js", "/abs.js"] {
            assert!(plain_file_name(bad).is_err(), "{bad}");
        }
    }
}
