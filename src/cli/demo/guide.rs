//! What the demo tells the user on standard output, in plain sentences: what
//! is starting, each pass's outcome, how to make a change, where to read the
//! note. Logs go to standard error as for every command.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use crate::ids::CommitId;
use crate::observe::BotReport;
use crate::sim::SeededBot;
use crate::status::{BotStatus, Phase};

use super::scratch::Scratch;

/// The utterance the suggested change rewords, and how.
const EDIT_FILE: &str = "bots/travel-desk/botDefinition.json";
const EDIT_SED: &str = "s/fly me to London/fly me to Lisbon/";
const EDIT_MESSAGE: &str = "Travel Desk: fly to Lisbon, not London";

/// The target that follows another, and the one it follows.
pub(super) const PROMOTED: &str = "travel-desk/prod";
const FOLLOWED: &str = "travel-desk/staging";

/// The texts, with the paths and addresses of this run.
#[derive(Debug, Clone)]
pub(super) struct Guide {
    scratch: Scratch,
    /// This program, as a command line can run it.
    exe: String,
    /// Where kore-gitops serves its HTTP endpoints, once known.
    pub http: Option<SocketAddr>,
}

/// Prints a block of text on standard output, holding the stdout lock for
/// this block only (never for a whole command).
pub(super) fn say(text: &str) {
    println!("{text}");
}

impl Guide {
    pub fn new(scratch: Scratch) -> Guide {
        let exe = std::env::current_exe()
            .ok()
            .and_then(|path| path.to_str().map(str::to_owned))
            .unwrap_or_else(|| "kore-gitops".to_owned());
        Guide {
            scratch,
            exe: quote(&exe),
            http: None,
        }
    }

    /// The scratch directory just created.
    pub fn scratch_ready(&self) -> String {
        let s = &self.scratch;
        format!(
            "kore-gitops demo: a Kore.ai platform simulator, a scratch git repository and the \
             kore-gitops daemon,\nall on this machine (no network).\n\n\
             1. Scratch directory {} (kept when the demo stops):\n     \
             {}   a bare repository, standing in for your git server\n     \
             {}        a clone of it, with the example bots in bots/, committed and pushed",
            s.root.display(),
            s.remote.display(),
            s.clone.display(),
        )
    }

    /// The simulator, started with the example bots.
    pub fn platform_ready(&self, base_url: &str, bots: &[SeededBot]) -> String {
        let mut text =
            format!("2. Kore.ai platform simulator at {base_url}, holding the same bots, live:\n");
        for bot in bots {
            let _ = writeln!(text, "     {:<14} {}", bot.name, bot.id);
        }
        text.trim_end().to_owned()
    }

    /// The configuration written and kore-gitops starting.
    pub fn daemon_starting(&self) -> String {
        let s = &self.scratch;
        format!(
            "3. Configuration {} (the documented example with the demo's values;\n   \
             the simulator's client secret is in {}, readable only by you)\n\
             4. kore-gitops, watching {}; its HTTP endpoints:\n     {}\n     {}\n   \
             (its log goes to standard error: add 2>demo.log to keep this screen for the guide)",
            s.config().display(),
            s.secret().display(),
            s.remote.display(),
            self.url("/status"),
            self.url("/metrics"),
        )
    }

    /// Before the first pass of a commit is reported.
    pub fn commit_header(&self, commit: CommitId, first: bool) -> String {
        let which = if first {
            "First sync, commit"
        } else {
            "New commit"
        };
        format!("\n{which} {}:", commit.short())
    }

    /// One pass's outcome; `note` is the bot's section of the commit's note.
    pub fn pass_line(&self, report: &BotReport, note: Option<&BotStatus>) -> String {
        let phase = report.phase.to_string();
        format!(
            "  {:<20} {phase:<10} {}",
            report.bot,
            describe(report, note)
        )
    }

    /// After the first sync: how to make a change and what will happen.
    pub fn make_a_change(&self) -> String {
        format!(
            "\nNow change a bot as a developer would. In another terminal, run:\n\n  \
             {}\n\n\
             kore-gitops notices the push within about a second, imports the new definition into \
             the live\nstaging Travel Desk bot, trains it, publishes it, and writes a note on the \
             commit. The prod bot\nfollows staging (after = \"staging\" in bots/travel-desk/bot.toml): \
             it gets the commit only once\nstaging is Synced at it.\n\
             Waiting for a push (Ctrl-C stops the demo)…",
            self.change_command()
        )
    }

    /// The copy-pasteable command that commits and pushes a change.
    pub fn change_command(&self) -> String {
        format!(
            "cd {} && sed -i '{EDIT_SED}' {EDIT_FILE} && git commit -am '{EDIT_MESSAGE}' && git push",
            quote_path(&self.scratch.clone)
        )
    }

    /// After a pass that changed a bot or failed: where to read the note.
    pub fn read_the_note(&self, commit: CommitId) -> String {
        let (clone, short) = (quote_path(&self.scratch.clone), commit.short());
        format!(
            "\n  Read the note kore-gitops wrote on commit {short} (git does not fetch notes by \
             default):\n    \
             git -C {clone} fetch origin 'refs/notes/*:refs/notes/*' && {} status --repo {clone} {short}\n  \
             or with git alone:\n    \
             git -C {clone} notes --ref kore-gitops show {short}\n  \
             The daemon's view: {}   metrics: {}",
            self.exe,
            self.url("/status"),
            self.url("/metrics"),
        )
    }

    /// After the production bot reached a commit it follows staging to.
    pub fn promoted(&self, commit: CommitId) -> String {
        format!(
            "\n  Promotion: {PROMOTED} followed {FOLLOWED}, moving to commit {} only once \
             {FOLLOWED} was Synced there.",
            commit.short()
        )
    }

    /// After Ctrl-C.
    pub fn stopped(&self) -> String {
        format!(
            "\nDemo stopped. The scratch directory stays in {}; remove it with rm -rf when done.",
            self.scratch.root.display()
        )
    }

    fn url(&self, path: &str) -> String {
        match self.http {
            Some(address) => format!("http://{address}{path}"),
            None => path.to_owned(),
        }
    }
}

/// What a pass did, in words: the note's job ids tell an apply from a check.
fn describe(report: &BotReport, note: Option<&BotStatus>) -> String {
    let jobs = note
        .map(|status| &status.jobs)
        .filter(|jobs| !jobs.is_empty());
    match (report.phase, jobs) {
        (Phase::Failed, _) => format!("failed: {}", report.error.as_deref().unwrap_or_default()),
        (Phase::Synced | Phase::AwaitingApproval, Some(jobs)) => {
            let mut steps = Vec::new();
            if jobs.contains_key("import") {
                steps.push("imported".to_owned());
            }
            let languages: Vec<&str> = jobs
                .keys()
                .filter_map(|k| k.strip_prefix("train."))
                .collect();
            steps.push(match languages.is_empty() {
                true => "trained".to_owned(),
                false => format!("trained ({})", languages.join(", ")),
            });
            steps.push(match report.phase {
                Phase::Synced => "published".to_owned(),
                _ => "published (awaiting an administrator's approval)".to_owned(),
            });
            format!("{}: {}", sentence(&steps), report.summary)
        }
        (Phase::Synced, None) if report.summary == "in sync" => {
            "in step with the commit: nothing to do".to_owned()
        }
        _ => report.summary.clone(),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn sentence(parts: &[String]) -> String {
    match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn quote_path(path: &Path) -> String {
    quote(&path.display().to_string())
}

/// `text` as one shell word.
fn quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;

    use super::*;

    fn report(phase: Phase, summary: &str) -> BotReport {
        BotReport {
            bot: "travel-desk".into(),
            target: crate::desired::TargetKey::parse("travel-desk"),
            phase,
            commit: None,
            summary: summary.into(),
            error: None,
            updated: Utc::now(),
            next_attempt: None,
            last_synced: None,
        }
    }

    fn note(jobs: &[(&str, &str)]) -> BotStatus {
        BotStatus {
            jobs: jobs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            ..BotStatus::new(Phase::Synced, "")
        }
    }

    #[test]
    fn a_pass_is_described_from_its_phase_and_the_jobs_in_its_note() {
        let applied = note(&[("import", "bir-1"), ("train.en", "t1"), ("train.es", "t2")]);
        let changed = report(Phase::Synced, "utterances: 1 changed");
        assert_eq!(
            describe(&changed, Some(&applied)),
            "imported, trained (en, es) and published: utterances: 1 changed"
        );
        let in_sync = report(Phase::Synced, "in sync");
        assert_eq!(
            describe(&in_sync, Some(&note(&[]))),
            "in step with the commit: nothing to do"
        );
        let mut failed = report(Phase::Failed, "failed: retrying in 5s");
        failed.error = Some("import refused (retrying in 5s)".into());
        assert_eq!(
            describe(&failed, None),
            "failed: import refused (retrying in 5s)"
        );
    }

    #[test]
    fn paths_are_quoted_only_when_the_shell_needs_it() {
        assert_eq!(
            quote("/tmp/kore-gitops-demo-1a/clone"),
            "/tmp/kore-gitops-demo-1a/clone"
        );
        assert_eq!(quote("/tmp/my demo/it's"), r"'/tmp/my demo/it'\''s'");
    }
}
