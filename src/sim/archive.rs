//! Export archives (a zip of root files, entry times = export time) and the
//! canonical digest of a bot copy that `/_sim/bots/{id}` reports.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;
use zip::write::SimpleFileOptions;

use super::components::ExportView;
use super::crypto::{random_hex, sha256_hex};
use super::numbers;
use super::seed::BotFiles;
use super::volatile::{self, ExportStamp, Mode};

/// Builds the export zip of a bot copy, cut down to what the request asked
/// for, regenerating the volatile fields.
pub fn export_zip(
    files: &BotFiles,
    stamp: &ExportStamp,
    view: &ExportView,
) -> Result<Vec<u8>, String> {
    let (mut definition, mut config) = (files.definition.clone(), files.config.clone());
    view.apply(&mut definition, &mut config);
    volatile::apply(&mut definition, &Mode::Regenerate(stamp));
    // A modern platform (one that reports `environmentVersionInfo`) hashes
    // every export, whether or not the imported file carried a hash.
    if let Some(root) = definition.as_object_mut()
        && !root.contains_key("encryptedHash")
    {
        root.insert("encryptedHash".into(), random_hex(32).into());
    }
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        (files.definition_name.clone(), to_json(&definition)?),
        ("config.json".to_owned(), to_json(&config)?),
    ];
    if let Some(icon) = &files.icon {
        entries.push(("icon.png".to_owned(), icon.clone()));
    }
    if let Some((name, bytes)) = &files.functions {
        entries.push((name.clone(), bytes.clone()));
    }
    write_zip(&entries, stamp)
}

/// Pretty-printed with four spaces, as the platform writes its exports.
fn to_json(value: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(|e| format!("cannot serialise: {e}"))?;
    Ok(numbers::restore(out))
}

fn write_zip(entries: &[(String, Vec<u8>)], stamp: &ExportStamp) -> Result<Vec<u8>, String> {
    use chrono::{Datelike, Timelike};
    let t = stamp.time;
    let time = zip::DateTime::from_date_and_time(
        t.year() as u16,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .unwrap_or_default();
    let options = SimpleFileOptions::default().last_modified_time(time);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options)
            .map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
    }
    let cursor = zip.finish().map_err(|e| e.to_string())?;
    Ok(cursor.into_inner())
}

/// sha256 of a canonical form of a copy: volatile fields stripped, the
/// reshuffled lists sorted, object keys sorted (serde_json's map is ordered).
pub fn digest(files: &BotFiles) -> String {
    let mut definition = files.definition.clone();
    volatile::apply(&mut definition, &Mode::Strip);
    let canonical = serde_json::json!({
        "definition": definition,
        "config": files.config,
        "icon": files.icon.as_deref().map(sha256_hex),
        "functions": files.functions.as_ref().map(|(name, bytes)| (name, sha256_hex(bytes))),
    });
    sha256_hex(canonical.to_string().as_bytes())
}
