//! Does the live bot equal the commit? Normalise both sides (drop the fields the
//! platform regenerates on every export, sort order-insensitive collections,
//! decode texts, apply the bot's ignore rules), hash the canonical form, and
//! describe any difference per component in words people know.
//!
//! Everything here is pure and synchronous: no async, no I/O (the `diff`
//! command, which reads files, lives in `cli::diff`).
//! It uses only `desired` types and `ids`.

mod canonical;
mod compare;
mod components;
mod identity;
mod keep;
mod normalise;
mod order;
pub mod ordering;
mod parse;
mod pointer;
mod report;
mod sets;
mod text;
mod tree;
mod volatile;

pub use compare::compare;
pub use keep::{JsonFile, Kept, keep_previous, reindent};
pub use normalise::{NormalisedBot, normalise};
pub use report::{Action, BotDiff, Change, Component};

/// Why a side could not be normalised. Messages name the file and position,
/// never the content (config values are secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// The file is not JSON (or not JSON the parser accepts: see `reason`).
    #[error("{file}: invalid JSON at line {line}, column {column}: {reason}")]
    InvalidJson {
        /// The file name.
        file: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Why, in words (never the file's content).
        reason: String,
    },
    /// The file is JSON but not an object.
    #[error("{file}: the top level must be a JSON object")]
    NotAnObject {
        /// The file name.
        file: &'static str,
    },
}
