//! ML training, one language per call (`bot-language` header, default `en`);
//! the response is a list, the status uses `Inprogress|Finished|Failed`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::export::unknown_bot;
use crate::sim::error::ApiError;
use crate::sim::jobs::{JobKind, JobStatus, Payload};
use crate::sim::state::{Shared, lock};
use crate::sim::{archive, crypto};

pub async fn start(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let language = headers
        .get("bot-language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("en")
        .to_owned();
    let mut state = lock(&shared);
    state.settle();
    state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    state.admit_job(&bot_id, JobKind::Train)?;
    let bot = state.bot_mut(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    if !bot.dev.languages().contains(&language) {
        return Err(ApiError::bad_request(format!(
            "Language {language} is not enabled for this bot"
        )));
    }
    bot.trainings += 1;
    let id = crypto::random_hex(24);
    let payload = Payload::Train {
        language,
        state: "configured".to_owned(),
        digest: archive::digest(&bot.dev),
    };
    state.add_job(id.clone(), JobKind::Train, &bot_id, payload);
    Ok(Json(
        json!([{ "message": "Training Queued.", "Training_ID": id }]),
    ))
}

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    language: Option<String>,
    state: Option<String>,
}

pub async fn status(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
    Query(query): Query<StatusQuery>,
) -> Result<Json<Value>, ApiError> {
    let language = query.language.unwrap_or_else(|| "en".to_owned());
    let copy = query.state.unwrap_or_else(|| "configured".to_owned());
    if copy != "configured" && copy != "published" {
        return Err(ApiError::bad_request(
            "state must be configured or published",
        ));
    }
    let mut state = lock(&shared);
    state.settle();
    let bot = state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let in_sync = copy == "published" || bot.ml_in_sync.get(&language).copied().unwrap_or(true);
    let job = state.jobs_of(&bot_id).find(|j| {
        j.kind == JobKind::Train
            && matches!(&j.payload, Payload::Train { language: l, .. } if *l == language)
    });
    let (training_status, id) = match job {
        None => ("Finished", None),
        Some(job) if copy == "published" => ("Finished", Some(job.id.clone())),
        Some(job) => (
            match job.status {
                JobStatus::Pending => "Inprogress",
                JobStatus::Succeeded => "Finished",
                JobStatus::Failed(_) => "Failed",
            },
            Some(job.id.clone()),
        ),
    };
    Ok(Json(json!({
        "trainingStatus": training_status,
        "isMlInSyncWithSentences": in_sync,
        "language": language,
        "state": copy,
        "Training_ID": id,
    })))
}
