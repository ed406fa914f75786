//! `sync` and `plan`: one pass over the bots, then exit. Each bot's result is
//! printed as its pass ends (a slow bot does not hold the others' back), and on
//! a terminal a progress line names the bots still running.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use futures_util::{Stream, StreamExt};

use super::daemon::load_config_for;
use crate::config::Purpose;
use crate::reconcile::{Daemon, Plan, Report};
use crate::status::Phase;

/// How often a terminal is told which bots are still running.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// Why a one-shot command stopped before every bot had a result.
enum Stop {
    /// With this code (64: configuration).
    Exit(ExitCode),
    /// A usage or input error (`--bot` matching nothing): exit 2.
    Usage,
    /// The repository, the state folder or the platform failed.
    Failed,
}

/// Prints one bot's result as it arrives.
type Printer<'a> = dyn FnMut(&Report, &mut dyn Write) + 'a;

/// `kore-gitops sync`: one pass; 0 when every bot is synced, 1 otherwise, 2
/// when `--bot` matches nothing.
pub fn sync(config: &Path, bots: &[String], dry_run: bool, out: &mut dyn Write) -> ExitCode {
    let mut all_synced = true;
    let result = one_pass(config, bots, dry_run, out, &mut |report, out| {
        let Some(status) = &report.status else {
            if let Some(why) = &report.promotion {
                all_synced = false;
                let _ = writeln!(out, "{}\tWaiting\t{why}", report.bot);
            }
            return;
        };
        let ok = matches!(status.phase, Phase::Synced | Phase::Suspended)
            && !(dry_run && matches!(report.plan, Some(Plan::Apply(_))));
        all_synced &= ok;
        let detail = status.error.as_deref().unwrap_or(&status.summary);
        let _ = writeln!(out, "{}\t{}\t{detail}", report.bot, status.phase);
    });
    match result {
        Ok(()) if all_synced => ExitCode::SUCCESS,
        Ok(()) | Err(Stop::Failed) => ExitCode::FAILURE,
        Err(Stop::Usage) => ExitCode::from(2),
        Err(Stop::Exit(code)) => code,
    }
}

/// `kore-gitops plan`: what a pass would do; 0 in sync, 1 changes, 2 error
/// (a bot's, or the repository's, the state folder's, the platform's).
pub fn plan(config: &Path, bots: &[String], format: PlanFormat, out: &mut dyn Write) -> ExitCode {
    let (mut changes, mut errors) = (false, false);
    if format == PlanFormat::Markdown {
        let _ = writeln!(out, "### kore-gitops plan\n");
    }
    let result = one_pass(config, bots, true, out, &mut |report, out| {
        let Some(status) = &report.status else {
            if let Some(why) = &report.promotion {
                let verdict = format!("not promoted: {why}");
                let _ = out.write_all(plan_entry(format, &report.bot, &verdict, "").as_bytes());
            }
            return;
        };
        let verdict = match (&report.plan, status.phase) {
            (_, Phase::Failed) => {
                errors = true;
                format!("error: {}", status.error.as_deref().unwrap_or_default())
            }
            (Some(Plan::Apply(steps)), _) => {
                changes = true;
                let what = match (steps.import, steps.publish) {
                    (true, true) => "import, train, publish",
                    (true, false) => "import, train (the published copy already holds it)",
                    (false, _) => "train, publish",
                };
                format!("would {what}: {}", status.summary)
            }
            (Some(Plan::Synced), Phase::Suspended) => "suspended".to_owned(),
            (Some(Plan::Synced), _) => "in sync".to_owned(),
            (Some(Plan::AwaitingApproval), _) => "published, awaiting approval".to_owned(),
            (Some(Plan::ReportDrift), _) => {
                format!("drifted (drift = \"report\"): {}", status.summary)
            }
            (None, _) => "not reconciled".to_owned(),
        };
        let changes_detail = match (&report.plan, &report.detail) {
            (Some(Plan::Apply(_) | Plan::ReportDrift), Some(detail)) => detail.as_str(),
            _ => "",
        };
        // Why a promoted environment stops at this commit comes first.
        let detail = match &report.promotion {
            Some(why) => format!("at {}: {why}\n{changes_detail}", report.commit.short()),
            None => changes_detail.to_owned(),
        };
        let _ = out.write_all(plan_entry(format, &report.bot, &verdict, &detail).as_bytes());
    });
    match result {
        Ok(()) => ExitCode::from(if errors { 2 } else { u8::from(changes) }),
        Err(Stop::Usage | Stop::Failed) => ExitCode::from(2),
        Err(Stop::Exit(code)) => code,
    }
}

/// How `plan` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// One line per bot, the differences indented below.
    Text,
    /// A pull-request comment: one item per bot, the differences folded.
    Markdown,
}

fn plan_entry(format: PlanFormat, bot: &str, verdict: &str, detail: &str) -> String {
    match format {
        PlanFormat::Text => plan_text(bot, verdict, detail),
        PlanFormat::Markdown => plan_markdown(bot, verdict, detail),
    }
}

fn plan_text(bot: &str, verdict: &str, detail: &str) -> String {
    let mut text = format!("{bot}: {verdict}\n");
    for line in detail.lines() {
        text.push_str(&format!("    {line}\n"));
    }
    text
}

/// One bot as Markdown. What comes from the repository or the platform is
/// escaped (no HTML, no emphasis) or fenced, so a bot cannot reshape the
/// comment.
fn plan_markdown(bot: &str, verdict: &str, detail: &str) -> String {
    let mut text = format!("- **{}**: {}\n", escape(bot), escape(verdict));
    if !detail.is_empty() {
        let fence = "`".repeat(longest_backtick_run(detail).max(2) + 1);
        text.push_str(&format!(
            "  <details><summary>what changes</summary>\n\n{fence}text\n{}\n{fence}\n\n  </details>\n",
            detail.trim_end()
        ));
    }
    text
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\n' => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Loads the configuration (without the daemon's secrets), reads the
/// repository, selects the bots and runs one pass, printing each result.
fn one_pass(
    config: &Path,
    bots: &[String],
    dry_run: bool,
    out: &mut dyn Write,
    print: &mut Printer<'_>,
) -> Result<(), Stop> {
    let config = load_config_for(config, Purpose::OneShot).map_err(Stop::Exit)?;
    let runtime = super::runtime().map_err(|e| fail("cannot start the async runtime", &e))?;
    let progress = std::io::stdout().is_terminal().then_some(PROGRESS_EVERY);
    runtime.block_on(async {
        let daemon = Daemon::start(config, dry_run)
            .await
            .map_err(|e| fail("cannot start", &e))?;
        daemon
            .refresh()
            .await
            .map_err(|e| fail("cannot read the bot repository", &e))?;
        let selected = daemon.select(bots).await.map_err(|e| {
            let stop = if e.is_usage() {
                Stop::Usage
            } else {
                Stop::Failed
            };
            eprintln!("error: {e}");
            stop
        })?;
        let reports = daemon.pass_stream_in_order(selected.clone());
        follow(
            reports,
            selected,
            |r: &Report| r.bot.as_str(),
            progress,
            out,
            print,
        )
        .await;
        Ok(())
    })
}

fn fail(what: &str, error: &dyn std::fmt::Display) -> Stop {
    eprintln!("error: {what}: {error}");
    Stop::Failed
}

/// Prints each item as it arrives; every `progress` (when given) a line
/// naming the ones not done yet.
async fn follow<T>(
    items: impl Stream<Item = T>,
    mut pending: Vec<String>,
    name: impl Fn(&T) -> &str,
    progress: Option<Duration>,
    out: &mut dyn Write,
    mut print: impl FnMut(&T, &mut dyn Write),
) {
    let started = tokio::time::Instant::now();
    let every = progress.unwrap_or(Duration::from_secs(3600));
    let mut ticker = tokio::time::interval_at(started + every, every);
    tokio::pin!(items);
    loop {
        tokio::select! {
            item = items.next() => {
                let Some(item) = item else { break };
                pending.retain(|bot| bot != name(&item));
                print(&item, out);
                let _ = out.flush();
            }
            _ = ticker.tick(), if progress.is_some() && !pending.is_empty() => {
                let _ = writeln!(
                    out,
                    "… still running after {}s: {}",
                    started.elapsed().as_secs(),
                    pending.join(", ")
                );
                let _ = out.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_result_is_printed_as_it_arrives_with_progress_between() {
        let items = futures_util::stream::iter([("fast", 1), ("slow", 12)]).then(
            |(bot, secs)| async move {
                tokio::time::sleep(Duration::from_secs(secs)).await;
                bot.to_owned()
            },
        );
        let mut out = Vec::new();
        let pending = vec!["fast".to_owned(), "slow".to_owned()];
        let print = |bot: &String, out: &mut dyn Write| {
            let _ = writeln!(out, "{bot}: done");
        };
        follow(
            items,
            pending,
            |b: &String| b.as_str(),
            Some(PROGRESS_EVERY),
            &mut out,
            print,
        )
        .await;
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "fast: done\n… still running after 5s: slow\n… still running after 10s: slow\nslow: done\n"
        );
    }
}

#[cfg(test)]
mod markdown_tests {
    use super::*;

    #[test]
    fn repository_text_cannot_reshape_the_comment() {
        let item = plan_markdown("a*b", "would import: <script> | x", "```\nline\n");
        assert!(
            item.starts_with("- **a\\*b**: would import: &lt;script&gt; \\| x\n"),
            "{item}"
        );
        assert!(item.contains("````text\n```\nline\n````\n"), "{item}");
    }
}
