//! `kore-gitops validate PATH`: lint a bot repository offline, with the
//! daemon's own rules: the reader every pass uses, then the normalisation
//! every pass applies, so what passes here is what the daemon accepts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::desired::{DesiredBot, Problem, read_folder};
use crate::diff::{DiffError, normalise};

/// Prints every problem (one per line, `file:line:column: message`) and
/// returns 0 when the repository is clean, 2 when it has problems.
pub fn run_validate(path: &Path, out: &mut dyn Write) -> ExitCode {
    let problems = validate(path);
    for problem in &problems {
        // A closed stdout is not worth a panic; the exit code still tells.
        let _ = writeln!(out, "{problem}");
    }
    if problems.is_empty() {
        let _ = writeln!(out, "{}: no problems", path.display());
        ExitCode::SUCCESS
    } else {
        let _ = writeln!(out, "{} problem(s)", problems.len());
        ExitCode::from(2)
    }
}

/// Every problem of a repository (or bot folder), each with its file; empty
/// when clean.
pub fn validate(path: &Path) -> Vec<Problem> {
    let entries = match read_folder(path) {
        Ok(entries) => entries,
        Err(e) => return vec![Problem::in_file(path.display().to_string(), e.to_string())],
    };
    entries
        .into_iter()
        .flat_map(|entry| match entry {
            Err(e) => e.problems,
            Ok(bot) => normalise_problem(&folder_of(path, &bot), &bot)
                .into_iter()
                .collect(),
        })
        .collect()
}

/// What the daemon's normalisation refuses in a bot the reader accepted
/// (numbers out of range, nesting too deep, ignore rules that do not apply).
fn normalise_problem(folder: &Path, bot: &DesiredBot) -> Option<Problem> {
    let error = normalise(&bot.files, &bot.settings.ignore).err()?;
    let file = |name: &str| folder.join(name).display().to_string();
    Some(match error {
        DiffError::InvalidJson {
            file: name,
            line,
            column,
            reason,
        } => Problem {
            file: file(name),
            line: Some(line),
            column: Some(column),
            message: format!("invalid JSON: {reason}"),
        },
        DiffError::NotAnObject { file: name } => {
            Problem::in_file(file(name), "the top level must be a JSON object")
        }
    })
}

/// The folder a bot was read from, labelled as the reader labels it.
fn folder_of(path: &Path, bot: &DesiredBot) -> PathBuf {
    if path.join("bot.toml").is_file() {
        path.to_owned()
    } else {
        path.join("bots").join(bot.name.as_str())
    }
}
