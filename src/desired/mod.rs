//! The desired state: bot folders of the repository (at a commit, or in a plain
//! folder) turned into [`DesiredBot`]s.
//!
//! Reading is defensive because the repository is input from many hands:
//! symlinks, submodules, nested folders, oversized files, invalid UTF-8 and
//! invalid JSON are refused with a [`Problem`] naming the file (and line), and
//! one bad bot folder never hides the others (see [`BotEntry`]). This module
//! does not know about the platform, the git mirror or the simulator.

mod assemble;
#[cfg(test)]
mod environment_tests;
mod environments;
mod files;
mod fs;
mod gate;
mod git;
mod ignore;
mod languages;
mod packed;
mod problem;
mod settings;
mod shared;
mod target;
mod variables;

use std::collections::BTreeMap;
use std::fmt;

pub use assemble::{
    MAX_CONFIG_BYTES, MAX_DEFINITION_BYTES, MAX_FUNCTION_BYTES, MAX_ICON_BYTES, MAX_SETTINGS_BYTES,
};
pub use environments::{DEFAULT_PLATFORM, Environment, expand_targets};
pub use files::{BotFiles, DefinitionName};
pub use fs::{read_bot_folder, read_folder};
pub use gate::{GateSettings, NO_APP, SuiteFile, TESTS_FOLDER, definition_intents};
pub use git::read_commit;
pub use ignore::{CONFIG_PREFIX, IgnoreRules, JsonPointer, Segment};
pub use languages::{DEFAULT_LANGUAGE, definition_languages};
pub use packed::{PackedBytes, PackedFiles};
pub use problem::{MAX_JSON_DEPTH, Problem, json_error_reason};
pub use settings::{
    APPEND_REFUSED, BotSettings, BotTarget, DriftPolicy, ImportOptions, UtteranceMode,
    parse_settings,
};
pub use shared::{folder_list, shared_claims};
pub use target::{TargetKey, TargetOf};
pub use variables::{Variables, is_secret_name, set_values};

/// The name of a bot folder (`bots/<name>/`): the bot's name inside kore-gitops.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BotName(String);

impl BotName {
    /// Accepts ASCII letters, digits, `-`, `_` and `.` (not leading), at most 100 characters,
    /// so a name is safe in paths, log lines and note headers.
    pub fn parse(name: &str) -> Result<Self, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if name.is_empty()
            || name.len() > 100
            || name.starts_with('.')
            || !name.chars().all(allowed)
        {
            return Err(format!(
                "folder name {name:?} is not a valid bot name (letters, digits, '-', '_', '.'; at most 100)"
            ));
        }
        Ok(BotName(name.to_owned()))
    }

    /// The folder name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BotName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One bot as the repository wants it: its files as bytes (`F` =
/// [`BotFiles`]), or deflated while a snapshot keeps it ([`PackedFiles`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredBot<F = BotFiles> {
    /// The folder name.
    pub name: BotName,
    /// `bot.toml`.
    pub settings: BotSettings,
    /// The platform files.
    pub files: F,
    /// `variables.<environment>.toml` by environment (`""`: `variables.toml`);
    /// an expanded target keeps only its own.
    pub variables: BTreeMap<String, Variables>,
    /// Where the target lives (the folder's defaults until expanded).
    pub target: TargetOf,
    /// Batch test suites (`tests/<suite>.json`), by name.
    pub suites: Vec<SuiteFile>,
}

/// Everything wrong with one bot folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bot folder {folder}: {}", problem::join(.problems))]
pub struct BotError {
    /// The folder name as found (it may not be a valid [`BotName`]).
    pub folder: String,
    /// Every problem, each naming its file.
    pub problems: Vec<Problem>,
}

/// One bot folder: read, or the reasons it could not be.
pub type BotEntry = Result<DesiredBot, BotError>;

/// A [`BotEntry`] as a snapshot keeps it: the files deflated.
pub type PackedEntry = Result<DesiredBot<PackedFiles>, BotError>;

impl DesiredBot {
    /// This bot with its files deflated (see [`PackedFiles`]).
    pub fn pack(self) -> DesiredBot<PackedFiles> {
        let files = PackedFiles::pack(&self.files);
        self.with_files(files)
    }
}

impl DesiredBot<PackedFiles> {
    /// This bot with its files as bytes again.
    pub fn unpack(&self) -> DesiredBot {
        DesiredBot {
            name: self.name.clone(),
            settings: self.settings.clone(),
            files: self.files.unpack(),
            variables: self.variables.clone(),
            target: self.target.clone(),
            suites: self.suites.clone(),
        }
    }
}

impl<F> DesiredBot<F> {
    fn with_files<G>(self, files: G) -> DesiredBot<G> {
        DesiredBot {
            name: self.name,
            settings: self.settings,
            files,
            variables: self.variables,
            target: self.target,
            suites: self.suites,
        }
    }
}

/// A failure to read the repository as a whole (as opposed to one bot folder).
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A git operation failed (missing commit, corrupt object, …).
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// The bots folder is missing or is not a folder.
    #[error("{path}: no bots folder here (expected a folder of bot folders)")]
    NoBotsFolder {
        /// The path that was looked for.
        path: String,
    },
    /// The path is neither a bot repository nor a bot folder.
    #[error("{path}: neither a bot folder (with bot.toml) nor a repository with a bots/ folder")]
    NotABotRepository {
        /// The path given.
        path: String,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path being read.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}
