//! Import into an existing bot: takes uploaded file ids, stamps the target's
//! identity on the file (`identity.rs`), merges it with the bot as the
//! `importOptions` say (`merge.rs`), replaces the in-development copy with
//! the result when the job succeeds, and fails the job with a `statusLogs`
//! entry when the definition is malformed.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::export::unknown_bot;
use crate::sim::crypto;
use crate::sim::error::ApiError;
use crate::sim::identity::{self, Target};
use crate::sim::jobs::{JobKind, JobStatus, Payload};
use crate::sim::merge::{self, ImportPlan};
use crate::sim::seed::{self, BotFiles};
use crate::sim::state::{Shared, State as Model, Upload, lock};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    bot_definition: Option<String>,
    config_info: Option<String>,
    #[serde(default)]
    bot_functions: Vec<String>,
    import_options: Option<Value>,
}

fn uploaded<'a>(state: &'a Model, file_id: &str) -> Result<&'a Upload, ApiError> {
    state
        .uploads
        .get(file_id)
        .filter(|u| u.expires > Instant::now())
        .ok_or_else(|| ApiError::bad_request("Invalid file id"))
}

/// Parses the uploaded files into a bot copy, or names the problem.
fn assemble(
    state: &Model,
    request: &ImportRequest,
    current: &BotFiles,
) -> Result<Result<BotFiles, String>, ApiError> {
    let definition_id = request
        .bot_definition
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("botDefinition is required"))?;
    let config_id = request
        .config_info
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("configInfo is required"))?;
    let definition = uploaded(state, definition_id)?;
    let config = uploaded(state, config_id)?;
    let functions: Vec<&Upload> = request
        .bot_functions
        .iter()
        .map(|id| uploaded(state, id))
        .collect::<Result<_, _>>()?;
    let mut entries = if definition.extension == "zip" {
        match seed::read_zip(&definition.bytes) {
            Ok(entries) => entries,
            Err(problem) => return Ok(Err(problem)),
        }
    } else {
        vec![(current.definition_name.clone(), definition.bytes.to_vec())]
    };
    entries.retain(|(name, _)| name != "config.json");
    entries.push(("config.json".to_owned(), config.bytes.to_vec()));
    if let Some(functions) = functions.first() {
        let name = current
            .functions
            .as_ref()
            .map_or("botFunctions.js", |(n, _)| n.as_str());
        entries.push((name.to_owned(), functions.bytes.to_vec()));
    }
    Ok(seed::from_entries(entries).map(|mut files| {
        if files.icon.is_none() {
            files.icon = current.icon.clone();
        }
        files
    }))
}

pub async fn start(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
    body: Option<Json<ImportRequest>>,
) -> Result<Json<Value>, ApiError> {
    let Json(request) = body.ok_or_else(|| ApiError::bad_request("botDefinition is required"))?;
    let mut state = lock(&shared);
    state.settle();
    let bot = state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let current = bot.dev.clone();
    let plan = ImportPlan::from_options(request.import_options.as_ref());
    let mode = state.config.identity_rewrite;
    let mut files = assemble(&state, &request, &current)?.map(|mut file| {
        let target = Target {
            bot_id: &bot_id,
            current: Some(&current.definition),
        };
        identity::stamp(&mut file.definition, target, mode);
        merge::apply(&current, file, &plan)
    });
    if let Ok(files) = &mut files
        && let Some(definition) = files.definition.as_object_mut()
        && let Some(fields) = state.faults.take_import_rewrite()
    {
        definition.extend(fields);
    }
    state.admit_job(&bot_id, JobKind::Import)?;
    if let Some(bot) = state.bot_mut(&bot_id) {
        bot.imports += 1;
    }
    let payload = Payload::Import {
        files,
        status_logs: Vec::new(),
    };
    let index = state.add_job(
        crypto::prefixed_id("bir"),
        JobKind::Import,
        &bot_id,
        payload,
    );
    Ok(Json(describe(&state, index, Some("pending"))))
}

fn describe(state: &Model, index: usize, status: Option<&str>) -> Value {
    let job = &state.jobs[index];
    let stream_ref = state
        .bot(&job.bot)
        .and_then(|b| b.dev.definition.get("refId").cloned())
        .unwrap_or_else(|| job.bot.clone().into());
    let (job_status, logs) = match (&job.status, &job.payload) {
        (JobStatus::Pending, _) => ("pending", Vec::new()),
        (JobStatus::Succeeded, Payload::Import { status_logs, .. }) => {
            ("success", status_logs.clone())
        }
        (_, Payload::Import { status_logs, .. }) => ("failed", status_logs.clone()),
        _ => ("failed", Vec::new()),
    };
    json!({
        "_id": job.id,
        "status": status.unwrap_or(job_status),
        "streamId": job.bot,
        "streamRefId": stream_ref,
        "statusLogs": logs,
        "requestType": "Botimport",
        "createdOn": job.created_on,
    })
}

pub async fn status(
    State(shared): State<Shared>,
    Path(request_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut state = lock(&shared);
    state.settle();
    let index = state
        .job_by_id(&request_id)
        .filter(|i| state.jobs[*i].kind == JobKind::Import)
        .ok_or_else(|| ApiError::not_found(format!("Import request {request_id} not found")))?;
    Ok(Json(describe(&state, index, None)))
}
