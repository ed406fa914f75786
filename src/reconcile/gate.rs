//! The publish gate: after training and before publishing, every batch test
//! suite of the bot folder (`tests/<suite>.json`) runs against the trained
//! in-development copy in each language, and the bot is published only when
//! every suite meets the thresholds of `bot.toml`'s `[gate]`.
//!
//! - The suites on the platform are kept equal to the commit's: each carries
//!   the digest of its file in its description, so a suite is imported only
//!   when the commit changed it.
//! - Runs and their status are App Builder APIs: the gate uses the
//!   `[test_apps.<app>]` client the bot names, never the Admin Console one.
//! - A failed gate is the phase `GateFailed`: nothing is published, the
//!   in-development copy keeps the commit, and the note names the suite, the
//!   figure, the threshold and the worst utterances. A later pass at the same
//!   content and the same gate (suites, thresholds, languages: the gate
//!   digest) reports it again without running anything; a commit that
//!   changes only a suite changes the gate digest, so the gate runs again
//!   (without a new import: the definition did not change).
//! - Waits happen inside the pass, as the pass waits for its other jobs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sha2::{Digest as _, Sha256};

use crate::desired::{DesiredBot, GateSettings, NO_APP, SuiteFile};
use crate::ids::{BotId, CommitId, Digest};
use crate::platform::{PlatformClient, PlatformError, RunResult, RunVersion};
use crate::status::{BotStatus, GateNote, Phase, SuiteRun};

use super::error::PassError;
use super::notes::Notes;

/// Failed cases quoted in a note, per suite and language.
const WORST: usize = 5;
/// Figures are compared as the platform writes them (two decimals).
const EPSILON: f64 = 1e-9;

/// Why a gate could not run: the commit's or the operator's to fix.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// `[gate] app` names no test app of the daemon.
    #[error(
        "bot.toml [gate] app = {app:?}, but the daemon configuration has no [test_apps.{app}] \
         (it has: {known}); not published. {NO_APP}"
    )]
    NoApp { app: String, known: String },
    /// The platform refused to import a suite (the file is malformed).
    #[error("tests/{suite}.json: the platform refused the test suite: {message}")]
    SuiteRefused { suite: String, message: String },
}

/// The App Builder clients of the `[test_apps]`, by name, and the gates
/// that failed, by bot folder (so that a commit of another bot does not
/// run a failed gate again on the same content).
#[derive(Debug, Clone, Default)]
pub struct TestClients {
    clients: BTreeMap<String, PlatformClient>,
    failed: Arc<Mutex<FailedGates>>,
}

/// Failed gates by bot folder: the content they failed on, and the note.
type FailedGates = HashMap<String, (Option<Digest>, GateNote)>;

impl TestClients {
    pub fn new(clients: BTreeMap<String, PlatformClient>) -> Self {
        TestClients {
            clients,
            failed: Arc::default(),
        }
    }

    fn get(&self, app: &str) -> Result<&PlatformClient, GateError> {
        self.clients.get(app).ok_or_else(|| GateError::NoApp {
            app: app.to_owned(),
            known: match self.clients.is_empty() {
                true => "none".to_owned(),
                false => self.clients.keys().cloned().collect::<Vec<_>>().join(", "),
            },
        })
    }

    fn failed(&self) -> std::sync::MutexGuard<'_, FailedGates> {
        self.failed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The failed gate of `bot` at this content and gate digest, if any.
    fn failed_at(&self, bot: &str, desired: Option<Digest>, digest: &str) -> Option<GateNote> {
        let failed = self.failed();
        let (content, note) = failed.get(bot)?;
        (*content == desired && note.digest == digest).then(|| note.clone())
    }

    /// The bots of a commit whose gate names an app that is not configured,
    /// each with the message: said at once, before any pass.
    pub fn unconfigured<'a, F: 'a>(
        &self,
        bots: impl Iterator<Item = &'a DesiredBot<F>>,
    ) -> Vec<(String, String)> {
        bots.filter_map(|bot| {
            let gate = bot.settings.gate.as_ref()?;
            let error = self.get(&gate.app).err()?;
            Some((bot.name.to_string(), error.to_string()))
        })
        .collect()
    }
}

/// Refuses a pass whose gate cannot run before it imports anything: a
/// bot that could never be published is not imported and trained in vain.
pub fn ready(clients: &TestClients, desired: &DesiredBot) -> Result<(), GateError> {
    match &desired.settings.gate {
        Some(gate) => clients.get(&gate.app).map(drop),
        None => Ok(()),
    }
}

/// The languages a gate runs: its own list, else the ones the pass trains.
pub fn languages(desired: &DesiredBot, gate: &GateSettings) -> Vec<String> {
    match gate.languages.is_empty() {
        true => desired.languages(),
        false => gate.languages.clone(),
    }
}

/// What `plan` says a publish would run first.
pub fn describe(desired: &DesiredBot) -> Option<String> {
    let gate = desired.settings.gate.as_ref()?;
    let suites: Vec<&str> = desired.suites.iter().map(|s| s.name.as_str()).collect();
    Some(format!(
        "gate: suites {} in {} (F1 ≥ {:.2})",
        suites.join(", "),
        languages(desired, gate).join(", "),
        gate.min_f1
    ))
}

/// The digest of what a gate checks: suites, thresholds, languages.
pub fn gate_digest(desired: &DesiredBot, gate: &GateSettings, languages: &[String]) -> String {
    let mut hash = Sha256::new();
    let mut suites: Vec<&SuiteFile> = desired.suites.iter().collect();
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    for suite in suites {
        hash.update(format!(
            "suite {:?} {}\n",
            suite.name,
            file_digest(&suite.bytes)
        ));
    }
    let drop = gate.max_f1_drop.map(|d| format!("{d}"));
    hash.update(format!(
        "min_f1 {} max_f1_drop {drop:?} languages {languages:?}",
        gate.min_f1
    ));
    hex::encode(hash.finalize())
}

fn file_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The description a suite carries on the platform: its file's digest.
fn description(suite: &SuiteFile) -> String {
    format!("kore-gitops sha256:{}", file_digest(&suite.bytes))
}

/// Whether the pass may publish. Runs the gate when the bot has one (and
/// its note does not already say it failed at this content and gate);
/// otherwise fills in `status` with `GateFailed` and the figures.
pub async fn check(
    clients: &TestClients,
    (notes, commit): (&Notes, CommitId),
    desired: &DesiredBot,
    bot: &BotId,
    status: &mut BotStatus,
) -> Result<bool, PassError> {
    let Some(gate) = &desired.settings.gate else {
        return Ok(true);
    };
    let client = clients.get(&gate.app)?;
    let previous = notes.read_section(commit, desired.name.as_str()).await?;
    let previous = previous.as_ref();
    let languages = languages(desired, gate);
    let digest = gate_digest(desired, gate, &languages);
    let name = desired.name.as_str();
    let failed_before = previous
        .filter(|p| p.phase == Phase::GateFailed && p.desired == status.desired)
        .and_then(|p| p.gate.clone())
        .filter(|g| g.digest == digest)
        .or_else(|| clients.failed_at(name, status.desired, &digest));
    let note = match failed_before {
        Some(note) => note,
        None => run(client, bot, desired, gate, &languages, digest).await?,
    };
    let passed = note.passed;
    let mut failed = clients.failed();
    match passed {
        true => drop(failed.remove(name)),
        false => drop(failed.insert(name.to_owned(), (status.desired, note.clone()))),
    }
    drop(failed);
    if !passed {
        status.phase = Phase::GateFailed;
        status.summary = failure_summary(&note);
        status.live = status.desired;
    }
    status.gate = Some(note);
    Ok(passed)
}

/// Syncs the suites, runs each in each language, and judges the figures.
async fn run(
    client: &PlatformClient,
    bot: &BotId,
    desired: &DesiredBot,
    gate: &GateSettings,
    languages: &[String],
    digest: String,
) -> Result<GateNote, PassError> {
    sync_suites(client, bot, &desired.suites).await?;
    let mut runs = Vec::new();
    for suite in &desired.suites {
        for language in languages {
            runs.push(run_suite(client, bot, &suite.name, language, gate).await?);
        }
    }
    let passed = runs.iter().all(|r| r.passed);
    Ok(GateNote {
        digest,
        passed,
        runs,
    })
}

/// Imports each suite whose platform copy is not the commit's.
async fn sync_suites(
    client: &PlatformClient,
    bot: &BotId,
    suites: &[SuiteFile],
) -> Result<(), PassError> {
    let live = client.list_suites(bot).await?;
    for suite in suites {
        let wanted = description(suite);
        let on_platform = live.iter().find(|s| s.name == suite.name);
        if on_platform.is_some_and(|s| s.description == wanted) {
            continue;
        }
        let bytes = Bytes::copy_from_slice(&suite.bytes);
        let imported = client
            .import_suite(bot, &suite.name, &wanted, bytes, on_platform.is_some())
            .await;
        match imported {
            Ok(()) => tracing::info!(bot = %bot, suite = %suite.name, "imported the test suite"),
            Err(PlatformError::Api {
                status: 400,
                message,
                ..
            }) => {
                let suite = suite.name.clone();
                return Err(GateError::SuiteRefused { suite, message }.into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn run_and_wait(
    client: &PlatformClient,
    bot: &BotId,
    suite: &str,
    language: &str,
    version: RunVersion,
) -> Result<RunResult, PlatformError> {
    let run = client.run_suite(bot, suite, language, version).await?;
    tracing::info!(bot = %bot, suite, language, version = version.as_str(), run = %run, "test run started");
    client.wait_for_run(bot, suite, &run).await
}

/// Runs one suite in one language and judges it.
async fn run_suite(
    client: &PlatformClient,
    bot: &BotId,
    suite: &str,
    language: &str,
    gate: &GateSettings,
) -> Result<SuiteRun, PassError> {
    let dev = run_and_wait(client, bot, suite, language, RunVersion::InDevelopment).await?;
    let published = match gate.max_f1_drop {
        Some(_) => Some(run_and_wait(client, bot, suite, language, RunVersion::Published).await?),
        None => None,
    };
    let mut reasons = Vec::new();
    if dev.f1 + EPSILON < gate.min_f1 {
        reasons.push(format!("F1 {:.2} < {:.2}", dev.f1, gate.min_f1));
    }
    if let (Some(drop), Some(published)) = (gate.max_f1_drop, &published)
        && published.f1 - dev.f1 > drop + EPSILON
    {
        reasons.push(format!(
            "F1 {:.2} is {:.2} below the published copy's {:.2} (at most {drop:.2})",
            dev.f1,
            published.f1 - dev.f1,
            published.f1
        ));
    }
    let passed = reasons.is_empty();
    let failing = match passed {
        true => Vec::new(),
        false => worst(client, bot, &dev).await,
    };
    Ok(SuiteRun {
        suite: suite.to_owned(),
        language: language.to_owned(),
        run: Some(dev.run_id.clone()),
        f1: format!("{:.2}", dev.f1),
        precision: format!("{:.2}", dev.precision),
        recall: format!("{:.2}", dev.recall),
        published_f1: published.map(|p| format!("{:.2}", p.f1)),
        passed,
        reason: (!passed).then(|| reasons.join("; ")),
        failing,
    })
}

/// The first failed cases of a run's report, quoted; a report that cannot
/// be read is said so (the gate's verdict stands on the figures).
async fn worst(client: &PlatformClient, bot: &BotId, run: &RunResult) -> Vec<String> {
    match client.run_report(bot, run).await {
        Ok(rows) => rows
            .iter()
            .filter(|r| r.failed())
            .take(WORST)
            .map(|r| {
                let matched = if r.matched.is_empty() {
                    "no intent"
                } else {
                    &r.matched
                };
                format!(
                    "{:?}: expected {:?}, got {matched}",
                    r.utterance, r.expected
                )
            })
            .collect(),
        Err(e) => {
            tracing::warn!(bot = %bot, error = %e, "could not read the test run's report");
            vec![format!("(the report could not be read: {e})")]
        }
    }
}

/// One line: which suites failed where, by which figure, on what.
fn failure_summary(note: &GateNote) -> String {
    let failed: Vec<String> = note
        .runs
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            let reason = r.reason.as_deref().unwrap_or("failed");
            let first = r
                .failing
                .first()
                .map(|f| format!(", e.g. {f}"))
                .unwrap_or_default();
            format!("suite {} ({}): {reason}{first}", r.suite, r.language)
        })
        .collect();
    format!("gate failed, not published: {}", failed.join("; "))
}
