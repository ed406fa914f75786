//! `kore-gitops diff LEFT RIGHT [--json]`: compare two bots offline. This is the
//! one part of `diff` that reads files; the comparison itself stays pure.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::desired::{BotError, BotFiles, IgnoreRules, read_bot_folder};
use crate::diff::{BotDiff, DiffError, compare, normalise};
use crate::ids::Digest;
use crate::platform::{ArchiveError, Limits, read_export_zip};

/// One side of a comparison: its files and the ignore rules its `bot.toml` names (if any).
#[derive(Debug)]
pub struct Side {
    /// The platform files.
    pub files: BotFiles,
    /// Ignore rules from `bot.toml`; empty for an export.
    pub ignore: IgnoreRules,
}

/// Why a side could not be loaded or compared.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The zip could not be read.
    #[error("{path}: {source}")]
    ZipRead {
        /// The zip given.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The zip is not a safe, well-formed export archive.
    #[error("{path}: {source}")]
    Zip {
        /// The zip given.
        path: String,
        /// What is wrong with it.
        source: ArchiveError,
    },
    /// Neither a folder nor a zip.
    #[error("{path}: not a bot folder, export folder or export zip")]
    NotABot {
        /// The path given.
        path: String,
    },
    /// The folder has problems.
    #[error(transparent)]
    Folder(#[from] BotError),
    /// A side does not normalise.
    #[error(transparent)]
    Normalise(#[from] DiffError),
}

/// Loads a bot folder (with or without `bot.toml`) or an export zip.
pub fn load_side(path: &Path) -> Result<Side, LoadError> {
    let shown = || path.display().to_string();
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        return load_zip(path);
    }
    if !path.is_dir() {
        return Err(LoadError::NotABot { path: shown() });
    }
    let (settings, files) = read_bot_folder(path)?;
    Ok(Side {
        files,
        ignore: settings.map(|s| s.ignore).unwrap_or_default(),
    })
}

/// Reads an export zip as the untrusted input it is (the platform client's
/// reader: size caps, no paths outside the root, no links).
fn load_zip(path: &Path) -> Result<Side, LoadError> {
    let shown = || path.display().to_string();
    let limits = Limits::default();
    let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > limits.max_total_bytes);
    let bytes = if too_big {
        Err(std::io::Error::other(
            "larger than an export archive may be",
        ))
    } else {
        std::fs::read(path)
    };
    let bytes = bytes.map_err(|source| LoadError::ZipRead {
        path: shown(),
        source,
    })?;
    let archive = read_export_zip(&bytes, &limits).map_err(|source| LoadError::Zip {
        path: shown(),
        source,
    })?;
    Ok(Side {
        files: archive.into(),
        ignore: IgnoreRules::default(),
    })
}

/// The outcome of `diff`, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct DiffReport {
    /// True when the two sides are equivalent.
    pub equivalent: bool,
    /// Digest of the left side.
    pub left_digest: Digest,
    /// Digest of the right side.
    pub right_digest: Digest,
    /// The one-line summary.
    pub summary: String,
    /// Every difference.
    #[serde(flatten)]
    pub diff: BotDiff,
}

/// Loads, normalises (with the union of both sides' ignore rules) and compares.
pub fn diff_paths(left: &Path, right: &Path) -> Result<DiffReport, LoadError> {
    let (left, right) = (load_side(left)?, load_side(right)?);
    let ignore = left.ignore.union(&right.ignore);
    let (l, r) = (
        normalise(&left.files, &ignore)?,
        normalise(&right.files, &ignore)?,
    );
    let diff = compare(&l, &r);
    Ok(DiffReport {
        equivalent: diff.is_empty(),
        left_digest: l.digest(),
        right_digest: r.digest(),
        summary: diff.summary(),
        diff,
    })
}

/// Runs the command: exit 0 equivalent, 1 different, 2 error.
pub fn run_diff(
    left: &Path,
    right: &Path,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let report = match diff_paths(left, right) {
        Ok(report) => report,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitCode::from(2);
        }
    };
    // Output errors (a closed pipe) are not worth a panic; the exit code still tells.
    let _ = if json {
        serde_json::to_writer_pretty(&mut *out, &report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else if report.equivalent {
        writeln!(out, "equivalent ({})", report.left_digest)
    } else {
        writeln!(
            out,
            "different: {}\n{}",
            report.summary,
            report.diff.detailed().trim_end()
        )
    };
    ExitCode::from(if report.equivalent { 0 } else { 1 })
}
