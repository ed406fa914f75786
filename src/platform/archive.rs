//! Reading an export zip as untrusted input.
//!
//! The zip comes from the network and is treated as hostile: an entry may try to
//! climb out of a folder (`../`), name an absolute path, be a symbolic link or a
//! folder, be encrypted, or inflate to gigabytes (a zip bomb), and its headers may
//! lie about its size. Nothing here writes to disk: the archive is read from bytes
//! into memory, every entry is vetted before its data is touched, and every read is
//! bounded with `take()` so a lying header cannot inflate past the caps.

mod entry_name;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

pub use entry_name::display_name;

/// Default cap on the number of entries (a real export has three or four).
pub const MAX_ENTRIES: usize = 64;
/// Default cap on one entry's uncompressed size (the largest real definition seen is 3.6 MB).
pub const MAX_ENTRY_BYTES: u64 = crate::limits::MAX_EXPORT_ENTRY_BYTES;
/// Default cap on the uncompressed size of all the entries read.
pub const MAX_TOTAL_BYTES: u64 = crate::limits::MAX_EXPORT_BYTES;

/// The names the bot definition goes by (newer platforms say `appDefinition.json`).
pub const DEFINITION_NAMES: [&str; 2] = ["botDefinition.json", "appDefinition.json"];
/// The bot settings and variables (secret-bearing: variable values can be credentials).
pub const CONFIG_NAME: &str = "config.json";
/// The optional bot icon.
pub const ICON_NAME: &str = "icon.png";
/// The suffix of bot function files.
pub const FUNCTION_SUFFIX: &str = ".js";

/// Caps that defeat zip bombs and oversized archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most entries an archive may have.
    pub max_entries: usize,
    /// The most bytes one entry may inflate to.
    pub max_entry_bytes: u64,
    /// The most bytes all the recognised entries together may inflate to.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: MAX_ENTRIES,
            max_entry_bytes: MAX_ENTRY_BYTES,
            max_total_bytes: MAX_TOTAL_BYTES,
        }
    }
}

/// The recognised contents of an export zip.
///
/// `Debug` shows names and sizes only: the definition and the config can hold
/// credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportArchive {
    /// `botDefinition.json` or `appDefinition.json`, whichever the archive had.
    pub definition_name: String,
    /// The bot definition, as exported.
    pub definition: Vec<u8>,
    /// `config.json`, as exported.
    pub config: Vec<u8>,
    /// `icon.png`, when present.
    pub icon: Option<Vec<u8>>,
    /// Bot function files (`*.js`) by entry name.
    pub functions: BTreeMap<String, Vec<u8>>,
    /// Names of entries that were safe but not recognised (reported, not read).
    pub ignored: Vec<String>,
}

impl fmt::Debug for ExportArchive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let function_sizes: BTreeMap<&str, usize> = self
            .functions
            .iter()
            .map(|(name, data)| (name.as_str(), data.len()))
            .collect();
        f.debug_struct("ExportArchive")
            .field("definition_name", &self.definition_name)
            .field("definition_bytes", &self.definition.len())
            .field("config_bytes", &self.config.len())
            .field("icon_bytes", &self.icon.as_ref().map(Vec::len))
            .field("function_bytes", &function_sizes)
            .field("ignored", &self.ignored)
            .finish()
    }
}

/// Why an export zip was refused. Entry names are shown escaped and shortened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Truncated or damaged in transit: exporting again is the cure.
    #[error("the export zip is truncated or corrupt ({reason}); export it again")]
    Corrupt { reason: String },
    #[error("the export zip has {count} entries, more than the limit of {limit}")]
    TooManyEntries { count: usize, limit: usize },
    #[error("entry {name:?} of the export zip inflates past the limit of {limit} bytes")]
    EntryTooLarge { name: String, limit: u64 },
    #[error("the export zip inflates past the limit of {limit} bytes in total")]
    TotalTooLarge { limit: u64 },
    #[error("entry {name:?} of the export zip has an absolute path")]
    AbsolutePath { name: String },
    #[error("entry {name:?} of the export zip climbs out of its folder with \"..\"")]
    ParentTraversal { name: String },
    #[error("entry {name:?} of the export zip is a folder or inside one; exports have none")]
    Folder { name: String },
    #[error("entry {name:?} of the export zip is a symbolic link")]
    Symlink { name: String },
    #[error("entry {name:?} of the export zip is not a regular file (unix mode {mode:o})")]
    SpecialFile { name: String, mode: u32 },
    #[error("entry {name:?} of the export zip is encrypted")]
    Encrypted { name: String },
    #[error("entry {name:?} of the export zip has an unusable name")]
    InvalidName { name: String },
    #[error("entry {name:?} of the export zip cannot be read: {reason}")]
    Unsupported { name: String, reason: String },
    /// Two entries for one role (say `botDefinition.json` and `appDefinition.json`).
    #[error("the export zip holds {name:?} as well as another entry for the same purpose")]
    Duplicate { name: String },
    /// The central directory lists one name twice: which copy is meant is ambiguous.
    #[error("the export zip lists the same entry name more than once")]
    RepeatedNames,
    #[error("the export zip has neither botDefinition.json nor appDefinition.json")]
    MissingDefinition,
    #[error("the export zip has no config.json")]
    MissingConfig,
}

impl ArchiveError {
    /// Whether exporting again may help (a truncated or corrupt download).
    pub fn is_retryable(&self) -> bool {
        matches!(self, ArchiveError::Corrupt { .. })
    }
}

/// Reads an export zip from memory, refusing anything unsafe; writes nothing to disk.
///
/// Blocking (inflates up to [`Limits::max_total_bytes`]): call it through
/// `spawn_blocking` from async code.
pub fn read_export_zip(bytes: &[u8], limits: &Limits) -> Result<ExportArchive, ArchiveError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    if zip.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            count: zip.len(),
            limit: limits.max_entries,
        });
    }
    if zip.has_duplicate_names() {
        return Err(ArchiveError::RepeatedNames);
    }
    let mut contents = Contents::default();
    let mut budget = limits.max_total_bytes;
    for index in 0..zip.len() {
        let name = vet_entry(&zip, index, limits)?;
        let role = Role::of(&name);
        if role == Role::Ignored {
            contents.ignored.push(name);
            continue;
        }
        let data = read_entry(&mut zip, index, &name, limits, &mut budget)?;
        contents.insert(role, name, data)?;
    }
    contents.finish()
}

/// Checks an entry's name and metadata without touching its data.
fn vet_entry(
    zip: &ZipArchive<Cursor<&[u8]>>,
    index: usize,
    limits: &Limits,
) -> Result<String, ArchiveError> {
    let entry = zip.by_index_data(index).map_err(corrupt)?;
    let name = entry_name::vet(
        entry.name_raw(),
        entry.name().ok().as_deref(),
        entry.is_dir(),
    )?;
    entry_name::vet_mode(&name, entry.unix_mode())?;
    if entry.encrypted() {
        return Err(ArchiveError::Encrypted {
            name: display_name(&name),
        });
    }
    if entry.size() > limits.max_entry_bytes {
        let limit = limits.max_entry_bytes;
        return Err(ArchiveError::EntryTooLarge {
            name: display_name(&name),
            limit,
        });
    }
    Ok(name)
}

/// Inflates one entry, never past the per-entry cap or the remaining total budget.
fn read_entry(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    index: usize,
    name: &str,
    limits: &Limits,
    budget: &mut u64,
) -> Result<Vec<u8>, ArchiveError> {
    let file = zip.by_index(index).map_err(|err| open_error(name, err))?;
    let cap = limits.max_entry_bytes.min(*budget);
    let declared = file.size().min(cap).min(INITIAL_BUFFER_CAP);
    let mut data = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|err| corrupt(err.into()))?;
    let read = data.len() as u64;
    if read > cap {
        return Err(if cap == limits.max_entry_bytes {
            ArchiveError::EntryTooLarge {
                name: display_name(name),
                limit: cap,
            }
        } else {
            ArchiveError::TotalTooLarge {
                limit: limits.max_total_bytes,
            }
        });
    }
    *budget -= read;
    Ok(data)
}

/// The most a declared (and possibly lying) size may pre-allocate.
const INITIAL_BUFFER_CAP: u64 = 8 * 1024 * 1024;

fn open_error(name: &str, err: ZipError) -> ArchiveError {
    match err {
        ZipError::UnsupportedArchive(reason) if reason == ZipError::PASSWORD_REQUIRED => {
            ArchiveError::Encrypted {
                name: display_name(name),
            }
        }
        ZipError::UnsupportedArchive(reason) => ArchiveError::Unsupported {
            name: display_name(name),
            reason: reason.to_owned(),
        },
        ZipError::CompressionMethodNotSupported(method) => ArchiveError::Unsupported {
            name: display_name(name),
            reason: format!("compression method {method} is not supported"),
        },
        other => corrupt(other),
    }
}

fn corrupt(err: ZipError) -> ArchiveError {
    ArchiveError::Corrupt {
        reason: err.to_string(),
    }
}

/// What a safe entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Definition,
    Config,
    Icon,
    Function,
    Ignored,
}

impl Role {
    fn of(name: &str) -> Role {
        if DEFINITION_NAMES.contains(&name) {
            Role::Definition
        } else if name == CONFIG_NAME {
            Role::Config
        } else if name == ICON_NAME {
            Role::Icon
        } else if name.len() > FUNCTION_SUFFIX.len() && name.ends_with(FUNCTION_SUFFIX) {
            Role::Function
        } else {
            Role::Ignored
        }
    }
}

/// The recognised entries gathered so far.
#[derive(Default)]
struct Contents {
    definition: Option<(String, Vec<u8>)>,
    config: Option<Vec<u8>>,
    icon: Option<Vec<u8>>,
    functions: BTreeMap<String, Vec<u8>>,
    ignored: Vec<String>,
}

impl Contents {
    fn insert(&mut self, role: Role, name: String, data: Vec<u8>) -> Result<(), ArchiveError> {
        let duplicate = match role {
            Role::Definition => self.definition.replace((name.clone(), data)).is_some(),
            Role::Config => self.config.replace(data).is_some(),
            Role::Icon => self.icon.replace(data).is_some(),
            Role::Function => self.functions.insert(name.clone(), data).is_some(),
            Role::Ignored => false,
        };
        if duplicate {
            return Err(ArchiveError::Duplicate {
                name: display_name(&name),
            });
        }
        Ok(())
    }

    fn finish(self) -> Result<ExportArchive, ArchiveError> {
        let (definition_name, definition) =
            self.definition.ok_or(ArchiveError::MissingDefinition)?;
        let config = self.config.ok_or(ArchiveError::MissingConfig)?;
        Ok(ExportArchive {
            definition_name,
            definition,
            config,
            icon: self.icon,
            functions: self.functions,
            ignored: self.ignored,
        })
    }
}

#[cfg(test)]
mod tests;
