//! `kore-gitops status [--repo PATH] [REV] [--json]`: the status note
//! kore-gitops wrote on a commit, read straight from the repository with git2.
//!
//! Exit codes: 0 a note was found and printed; 1 the commit has no note (with
//! `--json`, `{"bots":{}}` is still printed so a script always gets JSON); 2 the
//! repository, the revision or the note is unusable (not a repository, unknown
//! revision, a note under our ref that kore-gitops did not write).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::desired::TargetKey;
use crate::ids::CommitId;
use crate::status::{BotStatus, NOTES_REF, Note, NoteStore, StoreError};

/// The flags of `kore-gitops status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The repository: a work tree (or any folder inside one) or a bare repository.
    #[arg(long, default_value = ".", env = "KORE_GITOPS_REPO")]
    pub repo: PathBuf,
    /// The commit: `HEAD`, a branch, a tag, `HEAD~1`, a commit id…
    #[arg(default_value = "HEAD")]
    pub rev: String,
    /// Print the note as JSON (`{"bots":{"<folder>":{…}}}`); a commit without a
    /// note prints `{"bots":{}}` and exits 1.
    #[arg(long, env = "KORE_GITOPS_JSON")]
    pub json: bool,
    /// Also show each bot's id, digests, job ids and times.
    #[arg(long, short, env = "KORE_GITOPS_VERBOSE")]
    pub verbose: bool,
}

/// Why the note of a commit could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// No repository at (or above) the path.
    #[error("{path}: not a git repository ({reason})")]
    NotARepository {
        /// The path given.
        path: String,
        /// git's explanation.
        reason: String,
    },
    /// The revision names no commit.
    #[error("unknown revision {revision:?}: {reason}")]
    UnknownRevision {
        /// The revision given.
        revision: String,
        /// git's explanation.
        reason: String,
    },
    /// The note exists but is not a kore-gitops note, or git failed reading it.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the note on the commit `revision` of the repository at `repo`;
/// `None` when the commit has no note.
pub fn read_status(repo: &Path, revision: &str) -> Result<(CommitId, Option<Note>), StatusError> {
    let store = NoteStore::discover(repo).map_err(|e| StatusError::NotARepository {
        path: repo.display().to_string(),
        reason: git_reason(&e),
    })?;
    let commit = store
        .resolve(revision)
        .map_err(|e| StatusError::UnknownRevision {
            revision: revision.to_owned(),
            reason: e.message().to_owned(),
        })?;
    Ok((commit, store.read(commit)?))
}

fn git_reason(error: &StoreError) -> String {
    match error {
        StoreError::Git(e) => e.message().to_owned(),
        other => other.to_string(),
    }
}

/// Runs `kore-gitops status`: the note on stdout, problems on stderr.
pub fn run_status(args: &StatusArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    // Closed pipes are not worth a panic: the exit code still tells.
    let (commit, note) = match read_status(&args.repo, &args.rev) {
        Ok(found) => found,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(note) = note else {
        if args.json {
            let _ = writeln!(out, "{}", to_json(&Note::default()));
        }
        let _ = writeln!(err, "{}", no_note_message(commit, &args.rev));
        return ExitCode::FAILURE;
    };
    if args.json {
        let _ = writeln!(out, "{}", to_json(&note));
    } else {
        let _ = write!(
            out,
            "{}",
            render_human(commit, &args.rev, &note, args.verbose)
        );
    }
    ExitCode::SUCCESS
}

/// The note as JSON; each section also names its `folder` and `environment`
/// (`null` without environments) as fields of their own, beside the key.
fn to_json(note: &Note) -> String {
    let mut json = serde_json::to_value(note).expect("a note always serialises");
    let sections = json
        .get_mut("bots")
        .and_then(serde_json::Value::as_object_mut);
    for (key, section) in sections.into_iter().flatten() {
        let target = TargetKey::parse(key);
        if let Some(section) = section.as_object_mut() {
            section.insert("folder".into(), target.folder().into());
            section.insert("environment".into(), target.environment().into());
        }
    }
    serde_json::to_string_pretty(&json).expect("JSON always serialises")
}

fn no_note_message(commit: CommitId, revision: &str) -> String {
    format!(
        "no kore-gitops note on commit {} ({revision}).\n\
         The notes live under {NOTES_REF}, which `git clone` and `git fetch` do not \
         fetch by default; fetch them with:\n    \
         git fetch origin 'refs/notes/*:refs/notes/*'",
        commit.short()
    )
}

/// One line per bot (`folder  phase  summary`), its error beneath it, and
/// with `verbose` the ids, digests, jobs and times.
pub fn render_human(commit: CommitId, revision: &str, note: &Note, verbose: bool) -> String {
    let mut text = format!("commit {commit} ({revision})\n");
    let width = note.bots.keys().map(String::len).max().unwrap_or(0);
    for (bot, status) in &note.bots {
        let phase = status.phase.to_string();
        text.push_str(&format!("{bot:<width$}  {phase:<16}  {}\n", status.summary));
        if let Some(error) = &status.error {
            text.push_str(&format!("    error: {error}\n"));
        }
        if verbose {
            text.push_str(&details(status));
        }
    }
    text
}

fn details(status: &BotStatus) -> String {
    let mut lines = Vec::new();
    let mut field = |name: &str, value: String| lines.push(format!("    {name:<9} {value}\n"));
    if let Some(id) = &status.bot_id {
        field("bot id", id.to_string());
    }
    if let Some(desired) = &status.desired {
        field("desired", desired.to_string());
    }
    if let Some(live) = &status.live {
        field("live", live.to_string());
    }
    for (step, job) in &status.jobs {
        field("job", format!("{step} {job}"));
    }
    if let Some(started) = status.started {
        field("started", started.to_rfc3339());
    }
    if let Some(finished) = status.finished {
        field("finished", finished.to_rfc3339());
    }
    field("updated", status.updated.to_rfc3339());
    lines.concat()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::DateTime;

    use super::*;
    use crate::ids::Digest;
    use crate::status::Phase;

    fn failed() -> BotStatus {
        BotStatus {
            bot_id: Some("st-d80da043-d205-5297-85dd-08e4fdd86ba0".parse().unwrap()),
            phase: Phase::Failed,
            summary: "dialogs: 1 changed".into(),
            desired: Some(Digest::from_bytes([1; 32])),
            live: None,
            jobs: BTreeMap::from([("import".into(), "bir-1".into())]),
            started: None,
            finished: None,
            error: Some("import failed: bad dialog".into()),
            gate: None,
            updated: DateTime::from_timestamp(10, 0).unwrap(),
        }
    }

    #[test]
    fn human_output_has_a_line_per_bot_and_details_only_when_verbose() {
        let mut note = Note::default();
        note.bots.insert("travel-desk".into(), failed());
        let commit: CommitId = "0123456789abcdef0123456789abcdef01234567".parse().unwrap();
        let short = render_human(commit, "HEAD", &note, false);
        assert_eq!(
            short,
            format!(
                "commit {commit} (HEAD)\ntravel-desk  Failed            dialogs: 1 changed\n    \
                 error: import failed: bad dialog\n"
            )
        );
        let long = render_human(commit, "HEAD", &note, true);
        assert!(long.contains("    job       import bir-1\n"), "{long}");
        assert!(long.contains(&format!("    desired   sha256:{}", "01".repeat(32))));
        assert!(long.contains("1970-01-01T00:00:10+00:00"), "{long}");
    }
}
