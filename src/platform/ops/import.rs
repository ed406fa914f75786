//! Import into an existing bot (its in-development copy), and wait for it.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::ids::BotId;
use crate::platform::PlatformClient;
use crate::platform::error::{Context, Operation, PlatformError};
use crate::platform::http::{Body, Call};
use crate::platform::jobs::{JobPhase, Poll, wait_for};
use crate::platform::pacing::PaceKey;

use super::changelog::ChangeMark;
use super::design_call;
use super::export::failure_message;
use super::upload::FileId;

/// An import request id (`bir-…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImportRequestId(String);

impl ImportRequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImportRequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to import: uploaded file ids and, optionally, a partial-import selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    pub bot_definition: FileId,
    pub config_info: FileId,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bot_functions: Vec<FileId>,
    /// `None` replaces the whole bot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_options: Option<ImportOptions>,
}

/// A partial import (the platform's `importOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nlp_data: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<UtteranceOptions>,
    /// Spelled singular by the platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_dashboard: Option<bool>,
}

/// `importOptions.options`: how utterances and patterns meet the bot's, and
/// which variables keep the target bot's values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UtteranceOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utterances: Option<UtteranceMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patterns: Option<UtteranceMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_variables: Option<VariableOptions>,
}

/// `options.botVariables`: the keys whose target-side values the import keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VariableOptions {
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UtteranceMode {
    pub append: bool,
    pub replace: bool,
}

/// One line of an import's `statusLogs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusLog {
    #[serde(default)]
    pub task_type: String,
    #[serde(default)]
    pub task_name: Option<String>,
    #[serde(default)]
    pub status: String,
    /// Why the task failed, when the platform says.
    #[serde(default, alias = "msg")]
    pub message: Option<String>,
}

/// A finished import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub request: ImportRequestId,
    pub logs: Vec<StatusLog>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportStatus {
    #[serde(rename = "_id")]
    id: ImportRequestId,
    #[serde(default)]
    status: String,
    #[serde(default)]
    status_logs: Vec<StatusLog>,
    #[serde(default)]
    errors: Option<serde_json::Value>,
}

impl PlatformClient {
    /// Imports into `bot`'s in-development copy and waits for the import to end.
    pub async fn import(
        &self,
        bot: &BotId,
        request: &ImportRequest,
    ) -> Result<ImportOutcome, PlatformError> {
        self.import_once(bot, request, None).await
    }

    /// Imports as [`PlatformClient::import`] does, sending the request at
    /// most once (see [`PlatformClient::start_import`]), and waits for it.
    pub async fn import_once(
        &self,
        bot: &BotId,
        request: &ImportRequest,
        mark: Option<&ChangeMark>,
    ) -> Result<ImportOutcome, PlatformError> {
        let id = self.start_import(bot, request, mark).await?;
        self.wait_for_import(bot, &id).await
    }

    /// Sends the import, at most once, and returns its request id without
    /// waiting for it. When its answer is lost, the change log tells whether
    /// an import completed since `mark` (taken before): that one is the
    /// import; otherwise the error says the outcome is unknown and nothing
    /// is sent again (the caller looks again later, from what the bot holds).
    pub async fn start_import(
        &self,
        bot: &BotId,
        request: &ImportRequest,
        mark: Option<&ChangeMark>,
    ) -> Result<ImportRequestId, PlatformError> {
        let mut call = design_call(Operation::Import, bot, Method::POST, "/import").once();
        call.body = Body::Json(serde_json::to_value(request).map_err(|err| {
            PlatformError::UnexpectedResponse {
                at: call.at.clone(),
                detail: err.to_string(),
            }
        })?);
        match self.http.json::<ImportStatus>(&call).await {
            Ok(started) => Ok(started.id),
            Err(error) if error.may_have_been_carried_out() => {
                match self.import_since(bot, mark).await? {
                    Some(id) => Ok(id),
                    None => Err(PlatformError::Unconfirmed {
                        at: call.at,
                        cause: Box::new(error),
                        unknown: "the change log shows no import completed since it was sent",
                    }),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The latest import the change log shows as completed after `mark`.
    pub async fn import_since(
        &self,
        bot: &BotId,
        mark: Option<&ChangeMark>,
    ) -> Result<Option<ImportRequestId>, PlatformError> {
        let Some(mark) = mark else { return Ok(None) };
        let Some(entries) = self.recent_changes(bot).await? else {
            return Ok(None);
        };
        let newest = mark
            .since(&entries)
            .into_iter()
            .rev()
            .find(|e| e.is_import());
        Ok(newest.map(|e| ImportRequestId(e.resource_id.clone())))
    }

    /// Waits for the import `id` (one found in the change log) to end.
    pub async fn wait_for_import(
        &self,
        bot: &BotId,
        id: &ImportRequestId,
    ) -> Result<ImportOutcome, PlatformError> {
        let call = import_status_call(bot, id);
        wait_for(&call.at, id.as_str(), self.patience(), || {
            self.poll_import(&call)
        })
        .await
    }

    /// One look at the import `id`: running, done, or failed (and why).
    pub async fn import_status(
        &self,
        bot: &BotId,
        id: &ImportRequestId,
    ) -> Result<Poll<ImportOutcome>, PlatformError> {
        self.poll_import(&import_status_call(bot, id)).await
    }

    async fn poll_import(&self, call: &Call) -> Result<Poll<ImportOutcome>, PlatformError> {
        let status: ImportStatus = self.http.json(call).await?;
        Ok(match JobPhase::parse(&status.status) {
            JobPhase::Running => Poll::Running,
            JobPhase::Failed => Poll::Failed(import_failure(&status)),
            JobPhase::Succeeded => Poll::Done(ImportOutcome {
                request: status.id,
                logs: status.status_logs,
            }),
        })
    }
}

/// The status call of the import `id`, paced per request id.
fn import_status_call(bot: &BotId, id: &ImportRequestId) -> Call {
    let at = Context::new(Operation::ImportStatus, Some(bot));
    let path = format!("/bot/import/status/{id}");
    let pace = PaceKey::Status(id.as_str().to_owned());
    Call::new(at, Method::GET, path, pace)
}

/// The failure message plus the failed (or all) `statusLogs` entries.
fn import_failure(status: &ImportStatus) -> String {
    let mut message = failure_message(&status.status, &status.errors);
    let failed: Vec<&StatusLog> = status
        .status_logs
        .iter()
        .filter(|log| JobPhase::parse(&log.status) == JobPhase::Failed)
        .collect();
    for log in failed {
        let name = log.task_name.as_deref().unwrap_or("-");
        message.push_str(&format!("; {} {name}: {}", log.task_type, log.status));
        if let Some(detail) = &log.message {
            message.push_str(&format!(" ({detail})"));
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_requests_serialise_as_the_platform_spells_them() {
        let request = ImportRequest {
            bot_definition: serde_json::from_str("\"aaa\"").unwrap(),
            config_info: serde_json::from_str("\"bbb\"").unwrap(),
            bot_functions: vec![],
            import_options: Some(ImportOptions {
                nlp_data: Some(vec!["utterances".into()]),
                options: Some(UtteranceOptions {
                    utterances: Some(UtteranceMode {
                        append: true,
                        replace: false,
                    }),
                    ..UtteranceOptions::default()
                }),
                custom_dashboard: Some(true),
                ..ImportOptions::default()
            }),
        };
        let value = serde_json::to_value(&request).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"botDefinition":"aaa","configInfo":"bbb","importOptions":{
                "nlpData":["utterances"],"options":{"utterances":{"append":true,"replace":false}},
                "customDashboard":true}})
        );
    }

    #[test]
    fn patterns_and_ignored_variables_serialise_as_documented() {
        let options = ImportOptions {
            tasks: Some(vec!["botTask".into()]),
            options: Some(UtteranceOptions {
                patterns: Some(UtteranceMode {
                    append: false,
                    replace: true,
                }),
                bot_variables: Some(VariableOptions {
                    ignore: vec!["apiKey".into()],
                }),
                ..UtteranceOptions::default()
            }),
            ..ImportOptions::default()
        };
        assert_eq!(
            serde_json::to_value(&options).unwrap(),
            serde_json::json!({"tasks":["botTask"],"options":{
                "patterns":{"append":false,"replace":true},
                "botVariables":{"ignore":["apiKey"]}}})
        );
    }

    #[test]
    fn a_failed_import_names_its_failed_tasks() {
        let status: ImportStatus = serde_json::from_value(serde_json::json!({
            "_id": "bir-1", "status": "failed",
            "statusLogs": [{"taskType":"Dialog","taskName":"Greet","status":"success"},
                           {"taskType":"Utterences","status":"failed","message":"bad"}],
            "errors": [{"msg": "Invalid definition"}]
        }))
        .unwrap();
        assert_eq!(
            import_failure(&status),
            "status \"failed\": Invalid definition; Utterences -: failed (bad)"
        );
    }
}
