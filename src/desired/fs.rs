//! Reading bot folders from a plain folder (a working copy, an unpacked export),
//! with the same rules as the git reader: links are never followed.

use std::fs::{self, Metadata};
use std::path::Path;

use super::assemble::{
    EntryKind, RawEntry, assemble, cap_for, desired_bot, is_ignorable, refuse_shared_targets,
};
use super::files::BotFiles;
use super::gate::TESTS_FOLDER;
use super::git::not_a_folder;
use super::problem::Problem;
use super::settings::BotSettings;
use super::{BotEntry, BotError, RepoError};

const BOTS_FOLDER: &str = "bots";

/// Reads a repository root (with `bots/`) or a single bot folder (with `bot.toml`).
pub fn read_folder(path: &Path) -> Result<Vec<BotEntry>, RepoError> {
    if is_regular_file(&path.join("bot.toml")) {
        let folder = file_name(path);
        let raw = read_entries(path)?;
        return Ok(vec![desired_bot(&folder, &path.display().to_string(), raw)]);
    }
    let bots = path.join(BOTS_FOLDER);
    match fs::symlink_metadata(&bots) {
        Ok(meta) if meta.is_dir() => read_bots(&bots),
        _ => Err(RepoError::NotABotRepository {
            path: path.display().to_string(),
        }),
    }
}

/// Reads one folder of platform files; `bot.toml` is optional here, so an
/// unpacked export folder works as well as a bot folder of the repository.
pub fn read_bot_folder(path: &Path) -> Result<(Option<BotSettings>, BotFiles), BotError> {
    let label = path.display().to_string();
    let error = |problems| BotError {
        folder: file_name(path),
        problems,
    };
    let raw =
        read_entries(path).map_err(|e| error(vec![Problem::in_file(&label, e.to_string())]))?;
    assemble(&label, raw, false)
        .map(|(settings, files, _)| (settings, files))
        .map_err(error)
}

fn read_bots(bots: &Path) -> Result<Vec<BotEntry>, RepoError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(bots).map_err(|e| io_error(bots, e))? {
        let entry = entry.map_err(|e| io_error(bots, e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    let mut entries = Vec::new();
    for folder in names {
        let path = bots.join(&folder);
        let label = path.display().to_string();
        let meta = fs::symlink_metadata(&path).map_err(|e| io_error(&path, e))?;
        match kind_of(&meta) {
            EntryKind::Folder => entries.push(desired_bot(&folder, &label, read_entries(&path)?)),
            EntryKind::File(_) if is_ignorable(&folder) => {}
            kind => entries.push(Err(not_a_folder(&folder, &label, &kind))),
        }
    }
    refuse_shared_targets(&mut entries, |folder| {
        bots.join(folder).display().to_string()
    });
    Ok(entries)
}

/// The entries of one bot folder; files are read only when within their cap.
fn read_entries(folder: &Path) -> Result<Vec<RawEntry>, RepoError> {
    let mut raw = Vec::new();
    for entry in fs::read_dir(folder).map_err(|e| io_error(folder, e))? {
        let entry = entry.map_err(|e| io_error(folder, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = fs::symlink_metadata(&path).map_err(|e| io_error(&path, e))?;
        match kind_of(&meta) {
            // The suites: one level, read like the bot folder's own files.
            EntryKind::Folder if name == TESTS_FOLDER => {
                for inner in read_entries_of(&path)? {
                    let name = format!("{TESTS_FOLDER}/{}", inner.name);
                    raw.push(RawEntry { name, ..inner });
                }
            }
            _ => raw.push(entry_of(&path, name, &meta)?),
        }
    }
    raw.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(raw)
}

/// The entries of `tests/` (folders in it are refused as nested folders).
fn read_entries_of(folder: &Path) -> Result<Vec<RawEntry>, RepoError> {
    let mut raw = Vec::new();
    for entry in fs::read_dir(folder).map_err(|e| io_error(folder, e))? {
        let entry = entry.map_err(|e| io_error(folder, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = fs::symlink_metadata(&path).map_err(|e| io_error(&path, e))?;
        let suite = format!("{TESTS_FOLDER}/{name}");
        let read = entry_of(&path, suite, &meta)?;
        raw.push(RawEntry {
            name,
            kind: read.kind,
        });
    }
    Ok(raw)
}

/// One entry, its bytes read when it is a file within its cap.
fn entry_of(path: &Path, name: String, meta: &Metadata) -> Result<RawEntry, RepoError> {
    let kind = match kind_of(meta) {
        EntryKind::File(_) if meta.len() > cap_for(&name) => EntryKind::Oversized(meta.len()),
        EntryKind::File(_) => EntryKind::File(fs::read(path).map_err(|e| io_error(path, e))?),
        other => other,
    };
    Ok(RawEntry { name, kind })
}

/// The kind of an entry, without following links (file bytes are filled in later).
fn kind_of(meta: &Metadata) -> EntryKind {
    let kind = meta.file_type();
    if kind.is_symlink() {
        EntryKind::Symlink
    } else if kind.is_dir() {
        EntryKind::Folder
    } else if kind.is_file() {
        EntryKind::File(Vec::new())
    } else {
        EntryKind::Special
    }
}

fn is_regular_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

fn file_name(path: &Path) -> String {
    let named = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    named(path)
        .or_else(|| path.canonicalize().ok().and_then(|p| named(&p)))
        .unwrap_or_else(|| path.display().to_string())
}

fn io_error(path: &Path, source: std::io::Error) -> RepoError {
    RepoError::Io {
        path: path.display().to_string(),
        source,
    }
}
