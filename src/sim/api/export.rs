//! Export and export status. The status has no request id: it describes the
//! bot's most recent export, so exports of one bot never overlap (409).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::sim::archive;
use crate::sim::components::ExportView;
use crate::sim::crypto;
use crate::sim::error::ApiError;
use crate::sim::jobs::{JobKind, JobStatus, Payload};
use crate::sim::state::{Shared, lock};
use crate::sim::volatile::ExportStamp;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    export_type: Option<String>,
    export_options: Option<Value>,
    sub_tasks: Option<Value>,
    #[serde(default)]
    all_tasks: bool,
}

pub async fn start(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
    body: Option<Json<ExportRequest>>,
) -> Result<Json<Value>, ApiError> {
    let request = body
        .map(|Json(r)| r)
        .ok_or_else(|| ApiError::bad_request("exportType is required"))?;
    let export_type = match request.export_type.as_deref() {
        Some(t @ ("latest" | "published")) => t.to_owned(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid exportType {other:?}"
            )));
        }
        None => return Err(ApiError::bad_request("exportType is required")),
    };
    let view = ExportView::from_request(
        request.export_options.as_ref(),
        request.sub_tasks.as_ref(),
        request.all_tasks,
    );
    let (files, stamp) = {
        let mut state = lock(&shared);
        state.settle();
        let bot = state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
        state.admit_job(&bot_id, JobKind::Export)?;
        let mut files = if export_type == "latest" {
            bot.dev.clone()
        } else {
            bot.published.clone()
        };
        if has_secured(&files.config) {
            blank_secured(&mut Arc::make_mut(&mut files).config);
        }
        let seq = bot.exports + 1;
        let stamp = ExportStamp {
            seq,
            time: state.next_export_stamp(),
            export_options: request.export_options,
            platform_version: state.config.platform_version.clone(),
            shuffle: state.config.shuffle.seed_for(seq),
        };
        (files, stamp)
    };
    let archive = tokio::task::spawn_blocking(move || archive::export_zip(&files, &stamp, &view))
        .await
        .map_err(|e| ApiError::new(500, format!("export failed: {e}")))?
        .map_err(|e| ApiError::new(500, format!("export failed: {e}")))?;
    let mut state = lock(&shared);
    state.admit_job(&bot_id, JobKind::Export)?;
    let bot = state.bot_mut(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    bot.exports += 1;
    let payload = Payload::Export {
        export_type,
        archive: Arc::new(archive),
        file: None,
    };
    let index = state.add_job(
        crypto::prefixed_id("ber"),
        JobKind::Export,
        &bot_id,
        payload,
    );
    let job = &state.jobs[index];
    Ok(Json(json!({
        "_id": job.id,
        "streamId": bot_id,
        "status": "pending",
        "exportType": export_type_of(&job.payload),
        "requestType": "Botexport",
        "createdOn": job.created_on,
    })))
}

fn has_secured(config: &Value) -> bool {
    config
        .get("envVariables")
        .and_then(Value::as_array)
        .is_some_and(|vars| {
            vars.iter()
                .any(|v| v.get("isSecured").and_then(Value::as_bool) == Some(true))
        })
}

/// The platform never gives a secured variable's value back: an export
/// carries it as `"value": ""` with `"isSecured": true` (platform-api.md).
pub fn blank_secured(config: &mut Value) {
    let variables = config
        .get_mut("envVariables")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for variable in variables {
        if variable.get("isSecured").and_then(Value::as_bool) == Some(true) {
            variable["value"] = Value::String(String::new());
        }
    }
}

fn export_type_of(payload: &Payload) -> &str {
    match payload {
        Payload::Export { export_type, .. } => export_type,
        _ => "latest",
    }
}

pub fn unknown_bot(bot_id: &str) -> ApiError {
    ApiError::not_found(format!("Bot {bot_id} not found"))
}

pub async fn status(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut state = lock(&shared);
    state.settle();
    state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let job = state
        .latest_job(JobKind::Export, &bot_id)
        .ok_or_else(|| ApiError::not_found("No export request found for this bot"))?;
    let mut body = json!({
        "_id": job.id,
        "botId": bot_id,
        "streamId": bot_id,
        "exportType": export_type_of(&job.payload),
        "requestType": "Botexport",
        "createdOn": job.created_on,
    });
    match (&job.status, &job.payload) {
        (JobStatus::Pending, _) => body["status"] = "pending".into(),
        (JobStatus::Failed(message), _) => {
            body["status"] = "failed".into();
            body["errors"] = json!([{ "msg": message, "code": 500 }]);
        }
        (
            JobStatus::Succeeded,
            Payload::Export {
                file: Some((file_id, url, size)),
                ..
            },
        ) => {
            body["status"] = "success".into();
            body["downloadURL"] = url.clone().into();
            body["fileId"] = file_id.clone().into();
            body["fileSize"] = size.to_string().into();
        }
        (JobStatus::Succeeded, _) => body["status"] = "failed".into(),
    }
    Ok(Json(body))
}
