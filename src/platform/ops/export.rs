//! Export: start the job, wait for it, download the zip at once, read it safely.
//!
//! The export status has no request id, so exports of one bot never overlap (a
//! per-bot lock). An expired link or a damaged zip is cured by exporting again,
//! a bounded number of times.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::ids::BotId;
use crate::platform::PlatformClient;
use crate::platform::archive::{ExportArchive, read_export_zip};
use crate::platform::download::Fetched;
use crate::platform::error::{Context, Operation, PlatformError};
use crate::platform::http::{Body, Call, error_messages};
use crate::platform::jobs::{JobPhase, Poll, wait_for};

use super::{design_call, status_call};

/// Which copy of the bot to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The in-development copy (`"latest"`).
    Latest,
    /// The published copy.
    Published,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Latest => "latest",
            ExportKind::Published => "published",
        }
    }
}

#[derive(Debug, Deserialize)]
struct Started {
    #[serde(rename = "_id", default)]
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExportStatus {
    #[serde(rename = "_id", default)]
    id: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(rename = "downloadURL", alias = "downloadUrl", default)]
    download_url: Option<String>,
    #[serde(default)]
    errors: Option<serde_json::Value>,
}

/// Why one round of export did not produce an archive.
enum Round {
    Done(Box<ExportArchive>),
    Again(PlatformError),
}

impl PlatformClient {
    /// Exports `kind` of `bot` and reads the zip; re-exports (bounded) when the
    /// link expired or the zip arrived damaged.
    pub async fn export(
        &self,
        bot: &BotId,
        kind: ExportKind,
    ) -> Result<ExportArchive, PlatformError> {
        let lock = self.export_lock(bot);
        let _one_export_at_a_time = lock.lock().await;
        let mut last = None;
        for round in 1..=self.config.export_attempts.max(1) {
            match self.export_round(bot, kind).await? {
                Round::Done(archive) => return Ok(*archive),
                Round::Again(error) => {
                    tracing::debug!(bot = %bot, round, error = %error, "exporting again");
                    last = Some(error);
                }
            }
        }
        Err(last.expect("at least one export round ran"))
    }

    async fn export_round(&self, bot: &BotId, kind: ExportKind) -> Result<Round, PlatformError> {
        let mut call = design_call(Operation::Export, bot, Method::POST, "/export");
        call.body = Body::Json(json!({ "exportType": kind.as_str() }));
        let started: Started = self.http.json(&call).await?;
        let url = match self.wait_for_export(bot, started.id.as_deref()).await? {
            Some(url) => url,
            None => {
                let detail = "the export status moved on to an export of another client".into();
                let at = call.at.clone();
                return Ok(Round::Again(PlatformError::UnexpectedResponse {
                    at,
                    detail,
                }));
            }
        };
        let at = Context::new(Operation::Download, Some(bot));
        let config = &self.config;
        let fetched = self
            .http
            .download(&at, &url, config.download_limit, config.download_timeout)
            .await?;
        let bytes = match fetched {
            Fetched::Bytes(bytes) => bytes,
            Fetched::Expired(status) => {
                return Ok(Round::Again(PlatformError::LinkExpired { at, status }));
            }
        };
        let limits = config.archive_limits;
        let read = crate::cpu::run(move || read_export_zip(&bytes, &limits)).await;
        match read.map_err(|join| PlatformError::UnexpectedResponse {
            at: at.clone(),
            detail: format!("reading the zip stopped: {join}"),
        })? {
            Ok(archive) => Ok(Round::Done(Box::new(archive))),
            Err(source) if source.is_retryable() => {
                Ok(Round::Again(PlatformError::Archive { at, source }))
            }
            Err(source) => Err(PlatformError::Archive { at, source }),
        }
    }

    /// Polls the bot's export status until it has a download link. The status
    /// has no request id: it describes the bot's latest export, which may be
    /// another client's. Its link is never taken for ours (it may be a
    /// partial export); `None` when ours can no longer be seen.
    async fn wait_for_export(
        &self,
        bot: &BotId,
        job: Option<&str>,
    ) -> Result<Option<String>, PlatformError> {
        let call = status_call(Operation::ExportStatus, bot, "/export/status");
        let name = job.unwrap_or("export");
        let poll = || self.poll_export(&call, job);
        wait_for(&call.at, name, self.patience(), poll).await
    }

    async fn poll_export(
        &self,
        call: &Call,
        job: Option<&str>,
    ) -> Result<Poll<Option<String>>, PlatformError> {
        let status: ExportStatus = self.http.json(call).await?;
        let phase = JobPhase::parse(&status.status);
        let theirs = job.is_some() && status.id.is_some() && status.id.as_deref() != job;
        if theirs {
            // Another client's export runs: ours ended before it; look again
            // once it is done, then start anew.
            return Ok(match phase {
                JobPhase::Running => Poll::Running,
                _ => Poll::Done(None),
            });
        }
        Ok(match (phase, status.download_url.map(Some)) {
            (JobPhase::Running, _) => Poll::Running,
            (JobPhase::Succeeded, Some(url)) => Poll::Done(url),
            (JobPhase::Succeeded, None) => Poll::Failed("finished without a downloadURL".into()),
            (JobPhase::Failed, _) => Poll::Failed(failure_message(&status.status, &status.errors)),
        })
    }
}

/// `status "failed": msg; msg` from a failed job's status and `errors` list.
pub(crate) fn failure_message(status: &str, errors: &Option<serde_json::Value>) -> String {
    let messages = errors.as_ref().map(error_messages).unwrap_or_default();
    if messages.is_empty() {
        format!("status {status:?}")
    } else {
        format!("status {status:?}: {}", messages.join("; "))
    }
}
