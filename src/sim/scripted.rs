//! Control routes that make other people act on a bot: a designer editing it
//! at a chosen moment of a job (`/_sim/bots/{id}/edit-at`), or another API
//! client starting a job of its own (`/_sim/bots/{id}/jobs`), which the
//! platform's one-job-per-bot rule then makes everybody else wait for.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::{Duration, Instant};

use super::archive::export_zip;
use super::components::ExportView;
use super::crypto::prefixed_id;
use super::error::ApiError;
use super::hooks::{EditHook, Moment, Patch};
use super::jobs::{JobKind, Payload};
use super::seed::BotFiles;
use super::state::{Shared, State as Model, lock};
use super::volatile::ExportStamp;

/// The routes (nested under `/_sim` with the other controls).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/bots/{id}/edit-at", post(edit_at))
        .route("/bots/{id}/jobs", post(foreign_job))
}

fn job_kind(name: &str) -> Result<JobKind, ApiError> {
    JobKind::parse(name).ok_or_else(|| ApiError::bad_request(format!("unknown job kind {name:?}")))
}

fn known_bot(state: &Model, id: &str) -> Result<(), ApiError> {
    state
        .bot(id)
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found(format!("Bot {id} not found")))
}

#[derive(Deserialize)]
struct EditAtRequest {
    /// The job kind whose moment the edit waits for.
    kind: String,
    /// `accepted` or `finished`.
    when: Moment,
    /// Occurrences to let pass first (0: the next job of `kind`).
    #[serde(default)]
    skip: u32,
    /// The edit: JSON pointers into the definition and their new values.
    set: Vec<Patch>,
}

/// A designer edit of the in-development copy, made when the bot's next job
/// of `kind` reaches `when`.
async fn edit_at(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(r): Json<EditAtRequest>,
) -> Result<StatusCode, ApiError> {
    let kind = job_kind(&r.kind)?;
    let mut state = lock(&shared);
    known_bot(&state, &id)?;
    state.edit_hooks.push(EditHook {
        bot: id,
        kind,
        moment: r.when,
        skip: r.skip,
        patches: r.set,
    });
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ForeignJobRequest {
    kind: String,
    /// How long the job runs; by the job mode when absent.
    millis: Option<u64>,
}

/// Starts a job on the bot as another API client would (a person exporting
/// from the UI, a second deployment): it holds the bot's one job slot until
/// it ends. An export of another client is partial (no dialogs), so a client
/// that reads a status that is not its own gets visibly wrong content; an
/// import or a publish takes the in-development copy as it is.
async fn foreign_job(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(r): Json<ForeignJobRequest>,
) -> Result<Json<Value>, ApiError> {
    let kind = job_kind(&r.kind)?;
    if kind == JobKind::TestRun {
        return Err(ApiError::bad_request(
            "a foreign test run holds no job slot; run a suite instead",
        ));
    }
    let mut state = lock(&shared);
    state.settle();
    known_bot(&state, &id)?;
    state.admit_job(&id, kind)?;
    let payload = foreign_payload(&mut state, &id, kind)?;
    let prefix = match kind {
        JobKind::Export => "ber",
        JobKind::Import => "bir",
        JobKind::Train => "tr",
        JobKind::Publish | JobKind::TestRun => "ds",
    };
    let job_id = prefixed_id(prefix);
    let due = match r.millis {
        Some(millis) => Some(Instant::now() + Duration::from_millis(millis)),
        None => state.job_due(Instant::now()),
    };
    state.add_job_due(job_id.clone(), kind, &id, payload, due);
    Ok(Json(json!({ "id": job_id })))
}

fn foreign_payload(state: &mut Model, id: &str, kind: JobKind) -> Result<Payload, ApiError> {
    let dev = state
        .bot(id)
        .map(|b| Arc::clone(&b.dev))
        .ok_or_else(|| ApiError::not_found(format!("Bot {id} not found")))?;
    Ok(match kind {
        JobKind::Export => {
            let mut partial = dev.definition.clone();
            if let Some(object) = partial.as_object_mut() {
                object.remove("dialogs");
            }
            let files = BotFiles {
                definition: partial,
                ..dev.as_ref().clone()
            };
            let stamp = ExportStamp {
                seq: 0,
                time: state.next_export_stamp(),
                export_options: Some(json!({"tasks": ["knowledgeGraph"]})),
                platform_version: state.config.platform_version.clone(),
                shuffle: state.config.shuffle.seed_for(0),
            };
            let view = ExportView::from_request(stamp.export_options.as_ref(), None, false);
            let archive = export_zip(&files, &stamp, &view).map_err(|e| ApiError::new(500, e))?;
            Payload::Export {
                export_type: "latest".to_owned(),
                archive: Arc::new(archive),
                file: None,
            }
        }
        JobKind::Import => Payload::Import {
            files: Ok(dev.as_ref().clone()),
            status_logs: Vec::new(),
        },
        JobKind::Train => Payload::Train {
            language: dev.default_language(),
            state: "configured".to_owned(),
            digest: super::archive::digest(&dev),
        },
        JobKind::Publish | JobKind::TestRun => Payload::Publish {
            snapshot: dev,
            approval: state.config.approval,
        },
    })
}
