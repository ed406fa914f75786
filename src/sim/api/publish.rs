//! Publish: `versionComment` required, at least one enabled channel, one
//! publish at a time; copies in-development to published, or waits for
//! approval in approval mode. The status spells its values in lower case.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::export::unknown_bot;
use crate::sim::crypto;
use crate::sim::error::ApiError;
use crate::sim::jobs::{JobKind, JobStatus, Payload};
use crate::sim::state::{Shared, lock};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishRequest {
    version_comment: Option<String>,
}

pub async fn start(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
    body: Option<Json<PublishRequest>>,
) -> Result<Json<Value>, ApiError> {
    let comment = body
        .and_then(|Json(r)| r.version_comment)
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("versionComment is required"))?;
    let mut state = lock(&shared);
    state.settle();
    let approval = state.config.approval;
    state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    state.admit_job(&bot_id, JobKind::Publish)?;
    let bot = state.bot_mut(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    if !bot.channels_enabled {
        return Err(ApiError::bad_request(
            "At least one channel must be enabled to publish the bot",
        ));
    }
    bot.publishes += 1;
    bot.last_version_comment = Some(comment);
    let snapshot = bot.dev.clone();
    let target = if approval {
        "awaitingApproval"
    } else {
        "published"
    };
    let results = resources(&snapshot.definition, &bot_id)
        .into_iter()
        .map(|(kind, id)| {
            json!({"resourceType": kind, "resourceId": id, "status": "SUCCESS",
                   "result": {"resourceId": id, "state": target}})
        })
        .collect::<Vec<_>>();
    let payload = Payload::Publish { snapshot, approval };
    state.add_job(
        crypto::prefixed_id("ds"),
        JobKind::Publish,
        &bot_id,
        payload,
    );
    Ok(Json(Value::Array(results)))
}

/// The resources a publish reports: each dialog, then NL and channels.
fn resources(definition: &Value, bot_id: &str) -> Vec<(&'static str, String)> {
    let dialogs = definition.get("dialogs").and_then(Value::as_array);
    let mut list: Vec<(&'static str, String)> = dialogs
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("_id").and_then(Value::as_str))
        .map(|id| ("dialog", id.to_owned()))
        .collect();
    list.push(("NL", bot_id.to_owned()));
    list.push(("CHANNELS", bot_id.to_owned()));
    list
}

pub async fn status(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut state = lock(&shared);
    state.settle();
    state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let job = state
        .latest_job(JobKind::Publish, &bot_id)
        .ok_or_else(|| ApiError::not_found("No publish request found for this bot"))?;
    let approval = matches!(job.payload, Payload::Publish { approval: true, .. });
    let state_name = if approval {
        "awaitingApproval"
    } else {
        "published"
    };
    let (status, percent, summary) = match &job.status {
        JobStatus::Pending => ("inprogress", 50, json!([])),
        JobStatus::Succeeded => (
            "successful",
            100,
            json!([{"resourceType": "BOT", "status": "SUCCESS", "state": state_name}]),
        ),
        JobStatus::Failed(message) => (
            "failed",
            100,
            json!([{"resourceType": "BOT", "status": "FAILED", "message": message}]),
        ),
    };
    Ok(Json(json!({
        "_id": job.id,
        "jobType": "PUBLISH_BOT",
        "status": status,
        "percentageComplete": percent,
        "statusSummary": summary,
        "createdOn": job.created_on,
    })))
}
