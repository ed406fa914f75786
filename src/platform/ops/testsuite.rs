//! Batch test suites: list, import (create or update), run against one copy
//! of one language, wait for the run, and read its CSV report.
//!
//! A run is a side effect sent at most once: when its answer is lost, the
//! run id is unknown and no documented call lists runs, so nothing is sent
//! again here ([`PlatformError::Unconfirmed`], retried by a later pass). A
//! later run of the same suite while the lost one still runs is refused by
//! the platform (409, waited for), so two runs never overlap.

use std::fmt;

use bytes::Bytes;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ids::BotId;
use crate::platform::PlatformClient;
use crate::platform::download::Fetched;
use crate::platform::error::{Context, Operation, PlatformError};
use crate::platform::http::{Body, Call};
use crate::platform::jobs::{JobPhase, Poll, wait_for};
use crate::platform::pacing::PaceKey;

use super::report_csv;
use super::upload::FileKind;

/// The largest CSV report read (a 1000-case suite is well under 1 MiB).
pub const REPORT_LIMIT: u64 = 8 * 1024 * 1024;

/// Which copy a run tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RunVersion {
    InDevelopment,
    Published,
}

impl RunVersion {
    /// As the platform spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunVersion::InDevelopment => "inDevelopment",
            RunVersion::Published => "published",
        }
    }
}

/// A suite on the platform, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SuiteSummary {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// The counts of a completed run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct RunCounts {
    #[serde(rename = "TP", default)]
    pub tp: u64,
    #[serde(rename = "TN", default)]
    pub tn: u64,
    #[serde(rename = "FP", default)]
    pub fp: u64,
    #[serde(rename = "FN", default)]
    pub fn_: u64,
}

/// A completed run's figures and its report link (signed: never shown).
#[derive(Clone, PartialEq)]
pub struct RunResult {
    pub run_id: String,
    pub f1: f64,
    pub precision: f64,
    pub recall: f64,
    pub counts: RunCounts,
    report_url: Option<String>,
}

impl fmt::Debug for RunResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunResult")
            .field("run_id", &self.run_id)
            .field("f1", &self.f1)
            .field("precision", &self.precision)
            .field("recall", &self.recall)
            .field("counts", &self.counts)
            .field(
                "report_url",
                &self.report_url.as_ref().map(|_| "[signed link]"),
            )
            .finish()
    }
}

pub use report_csv::ReportRow;

#[derive(Debug, Deserialize)]
struct Accepted {
    #[serde(rename = "requestId", alias = "_id", default)]
    request_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StatusDoc {
    #[serde(default)]
    status: String,
    #[serde(default)]
    result: Option<ResultDoc>,
}

#[derive(Debug, Deserialize)]
struct ResultDoc {
    #[serde(default)]
    f1_score: Option<Value>,
    #[serde(default)]
    precision: Option<Value>,
    #[serde(default)]
    recall: Option<Value>,
    #[serde(default)]
    results: Option<RunCounts>,
    #[serde(rename = "fileUrl", default)]
    file_url: Option<String>,
    #[serde(default)]
    errors: Vec<Value>,
}

/// `/bot/{id}/testsuite{rest}`, with the suite name encoded as a segment.
fn suite_path(bot: &BotId, name: Option<&str>, rest: &str) -> String {
    match name {
        Some(name) => format!(
            "/bot/{bot}/testsuite/{}{rest}",
            utf8_percent_encode(name, NON_ALPHANUMERIC)
        ),
        None => format!("/bot/{bot}/testsuite{rest}"),
    }
}

fn suite_call(op: Operation, bot: &BotId, method: Method, path: String) -> Call {
    let pace = PaceKey::DesignTime(bot.clone());
    Call::new(Context::new(op, Some(bot)), method, path, pace)
}

/// A figure, as a string with two decimals or a number.
fn figure(at: &Context, name: &str, value: Option<&Value>) -> Result<f64, PlatformError> {
    let parsed = match value {
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    };
    parsed
        .filter(|x| x.is_finite() && (0.0..=1.0).contains(x))
        .ok_or_else(|| PlatformError::UnexpectedResponse {
            at: at.clone(),
            detail: format!("a completed run without a {name} between 0 and 1"),
        })
}

impl PlatformClient {
    /// Every suite of `bot` (paged).
    pub async fn list_suites(&self, bot: &BotId) -> Result<Vec<SuiteSummary>, PlatformError> {
        const PAGE: usize = 50;
        let mut suites = Vec::new();
        loop {
            let path = suite_path(bot, None, "");
            let mut call = suite_call(Operation::TestSuites, bot, Method::GET, path);
            call.query = vec![
                ("skip", suites.len().to_string()),
                ("limit", PAGE.to_string()),
            ];
            let page: Value = self.http.json(&call).await?;
            let items = page
                .as_array()
                .or_else(|| page["testSuites"].as_array())
                .cloned()
                .unwrap_or_default();
            let count = items.len();
            for item in items {
                suites.push(serde_json::from_value(item).map_err(|_| {
                    PlatformError::UnexpectedResponse {
                        at: call.at.clone(),
                        detail: "a test suite entry that is not an object".into(),
                    }
                })?);
            }
            if count < PAGE || suites.len() >= 10_000 {
                return Ok(suites);
            }
        }
    }

    /// Uploads `file` and imports it as suite `name` (`update` when it
    /// exists). Importing the same file again is harmless: a `new` refused
    /// because a lost earlier answer created the suite becomes an update.
    pub async fn import_suite(
        &self,
        bot: &BotId,
        name: &str,
        description: &str,
        file: Bytes,
        exists: bool,
    ) -> Result<(), PlatformError> {
        let file_name = format!("{name}.json");
        let file_id = self.upload(&file_name, file, FileKind::Json).await?;
        let send = |import_type: &str| {
            let path = suite_path(bot, None, "/import");
            let mut call = suite_call(Operation::TestSuiteImport, bot, Method::POST, path);
            call.body = Body::Json(json!({
                "name": name,
                "description": description,
                "fileName": file_id.as_str(),
                "fileType": "json",
                "importType": import_type,
                "delimiter": ",",
            }));
            call
        };
        let first = send(if exists { "update" } else { "new" });
        match self.http.json::<Value>(&first).await {
            Ok(_) => Ok(()),
            Err(e) if !exists && e.is_busy() => {
                self.http.json::<Value>(&send("update")).await.map(drop)
            }
            Err(e) => Err(e),
        }
    }

    /// Starts a run of suite `name` for `language` of one copy; its id.
    pub async fn run_suite(
        &self,
        bot: &BotId,
        name: &str,
        language: &str,
        version: RunVersion,
    ) -> Result<String, PlatformError> {
        let path = suite_path(bot, Some(name), "/run");
        let mut call = suite_call(Operation::TestRun, bot, Method::POST, path).once();
        call.headers.push(("bot-language", language.to_owned()));
        call.body = Body::Json(json!({ "version": version.as_str() }));
        let accepted: Accepted = match self.http.json(&call).await {
            Ok(accepted) => accepted,
            Err(error) if error.may_have_been_carried_out() => {
                return Err(PlatformError::Unconfirmed {
                    at: call.at,
                    cause: Box::new(error),
                    unknown: "no documented call tells whether a run started or finds its id",
                });
            }
            Err(error) => return Err(error),
        };
        accepted
            .request_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| PlatformError::UnexpectedResponse {
                at: call.at,
                detail: "a run accepted without a requestId".into(),
            })
    }

    /// Polls a run until it completes; a failed or cancelled run is an error.
    pub async fn wait_for_run(
        &self,
        bot: &BotId,
        name: &str,
        run: &str,
    ) -> Result<RunResult, PlatformError> {
        let at = Context::new(Operation::TestRun, Some(bot));
        let poll = || self.poll_run(bot, name, run);
        wait_for(&at, run, self.patience(), poll).await
    }

    async fn poll_run(
        &self,
        bot: &BotId,
        name: &str,
        run: &str,
    ) -> Result<Poll<RunResult>, PlatformError> {
        let path = suite_path(bot, Some(name), &format!("/{run}/status"));
        let pace = PaceKey::Status(run.to_owned());
        let at = Context::new(Operation::TestRunStatus, Some(bot));
        let call = Call::new(at.clone(), Method::GET, path, pace);
        let doc: StatusDoc = self.http.json(&call).await?;
        Ok(match JobPhase::parse(&doc.status) {
            JobPhase::Running => Poll::Running,
            JobPhase::Failed => Poll::Failed(run_failure(&doc)),
            JobPhase::Succeeded => Poll::Done(completed(&at, run, doc)?),
        })
    }

    /// The rows of a completed run's report (untrusted: capped, parsed
    /// leniently, an unreadable report is an error naming the run).
    pub async fn run_report(
        &self,
        bot: &BotId,
        result: &RunResult,
    ) -> Result<Vec<ReportRow>, PlatformError> {
        let at = Context::new(Operation::TestReport, Some(bot));
        let Some(url) = &result.report_url else {
            return Ok(Vec::new());
        };
        let timeout = self.config.download_timeout;
        match self.http.download(&at, url, REPORT_LIMIT, timeout).await? {
            Fetched::Bytes(bytes) => Ok(report_csv::rows(&bytes)),
            Fetched::Expired(status) => Err(PlatformError::LinkExpired { at, status }),
        }
    }
}

fn run_failure(doc: &StatusDoc) -> String {
    let messages: Vec<&str> = doc
        .result
        .iter()
        .flat_map(|r| r.errors.iter())
        .filter_map(|e| e["msg"].as_str())
        .collect();
    match messages.is_empty() {
        true => format!("status {:?}", doc.status),
        false => format!("status {:?}: {}", doc.status, messages.join("; ")),
    }
}

fn completed(at: &Context, run: &str, doc: StatusDoc) -> Result<RunResult, PlatformError> {
    let result = doc
        .result
        .ok_or_else(|| PlatformError::UnexpectedResponse {
            at: at.clone(),
            detail: "a completed run without a result".into(),
        })?;
    Ok(RunResult {
        run_id: run.to_owned(),
        f1: figure(at, "f1_score", result.f1_score.as_ref())?,
        precision: figure(at, "precision", result.precision.as_ref())?,
        recall: figure(at, "recall", result.recall.as_ref())?,
        counts: result.results.unwrap_or_default(),
        report_url: result.file_url.filter(|u| !u.is_empty()),
    })
}
