//! The test-only control API under `/_sim/...`: scripted faults, job
//! control, inspection and reset. The real platform has none of this.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::archive::digest;
use super::config::JobMode;
use super::error::ApiError;
use super::faults::{DownloadFault, ENDPOINTS, JOB_KINDS, LostAnswer};
use super::jobs::JobKind;
use super::state::{Bot, Shared, lock};

type Reply = Result<StatusCode, ApiError>;

/// The control routes (nested under `/_sim`).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/faults", post(faults))
        .route("/faults/clear", post(clear_faults))
        .route("/latency", post(latency))
        .route("/drop", post(drop_connections))
        .route("/lost-answer", post(lost_answer))
        .route("/job-failures", post(job_failures))
        .route("/download-fault", post(download_fault))
        .route("/import-rewrite", post(import_rewrite))
        .route("/expire-links", post(expire_links))
        .route("/approval", post(approval))
        .route("/jobs/mode", post(job_mode))
        .route("/jobs/step", post(step))
        .route("/rate-limits", post(rate_limits))
        .route("/requests", get(requests))
        .route("/stats", get(stats))
        .route("/reset", post(reset))
        .route("/bots/{id}", get(bot))
        .route("/bots/{id}/history", get(history))
        .route(
            "/bots/{id}/definition",
            get(definition).put(replace_definition),
        )
        .route("/bots/{id}/channels", post(channels))
        .route("/bots/{id}/approve", post(approve))
        .merge(super::scripted::routes())
}

fn endpoint(name: &str) -> Result<&str, ApiError> {
    ENDPOINTS.contains(&name).then_some(name).ok_or_else(|| {
        ApiError::bad_request(format!("unknown endpoint {name:?}; one of {ENDPOINTS:?}"))
    })
}

#[derive(Deserialize)]
struct FaultRequest {
    endpoint: String,
    status: u16,
    #[serde(default = "one")]
    count: u32,
    retry_after: Option<u64>,
    /// `"html"`: answer with an HTML page instead of the JSON envelope.
    body: Option<String>,
}

fn one() -> u32 {
    1
}

async fn faults(State(shared): State<Shared>, Json(r): Json<FaultRequest>) -> Reply {
    let name = endpoint(&r.endpoint)?;
    let html = match r.body.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "body must be json or html, not {other:?}"
            )));
        }
    };
    lock(&shared)
        .faults
        .add_status(name, (r.status, html), r.count, r.retry_after);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct LostRequest {
    endpoint: String,
    #[serde(flatten)]
    lost: LostAnswer,
    #[serde(default = "one")]
    count: u32,
}

/// The next `count` calls of an endpoint are carried out and their answers
/// lost: dropped, a gateway's 504, stalled past the client's timeout, or an
/// HTML page.
async fn lost_answer(State(shared): State<Shared>, Json(r): Json<LostRequest>) -> Reply {
    let name = endpoint(&r.endpoint)?;
    lock(&shared).faults.add_lost(name, r.lost, r.count);
    Ok(StatusCode::NO_CONTENT)
}

/// Drops the scripted faults and timed edits not yet spent (the bots, their
/// running jobs and the log stay).
async fn clear_faults(State(shared): State<Shared>) -> Reply {
    let mut state = lock(&shared);
    state.faults.clear_scripted();
    state.edit_hooks.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct LatencyRequest {
    endpoint: String,
    millis: u64,
    #[serde(default = "one")]
    count: u32,
}

async fn latency(State(shared): State<Shared>, Json(r): Json<LatencyRequest>) -> Reply {
    let name = endpoint(&r.endpoint)?;
    lock(&shared)
        .faults
        .add_latency(name, Duration::from_millis(r.millis), r.count);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DropRequest {
    endpoint: String,
    #[serde(default = "one")]
    count: u32,
}

async fn drop_connections(State(shared): State<Shared>, Json(r): Json<DropRequest>) -> Reply {
    let name = endpoint(&r.endpoint)?;
    lock(&shared).faults.add_drop(name, r.count);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct JobFailureRequest {
    kind: String,
    #[serde(default = "one")]
    count: u32,
    message: Option<String>,
}

async fn job_failures(State(shared): State<Shared>, Json(r): Json<JobFailureRequest>) -> Reply {
    if !JOB_KINDS.contains(&r.kind.as_str()) {
        return Err(ApiError::bad_request(format!(
            "unknown job kind {:?}",
            r.kind
        )));
    }
    let message = r
        .message
        .unwrap_or_else(|| format!("Simulated {} failure", r.kind));
    lock(&shared)
        .faults
        .add_job_failure(&r.kind, r.count, message);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ImportRewriteRequest {
    /// Top-level fields of the definition the import sets.
    set: serde_json::Map<String, Value>,
    #[serde(default = "one")]
    count: u32,
}

/// The next `count` imports set these top-level fields in the imported
/// definition: a platform that rewrites what it imports.
async fn import_rewrite(
    State(shared): State<Shared>,
    Json(r): Json<ImportRewriteRequest>,
) -> Reply {
    lock(&shared).faults.add_import_rewrite(r.set, r.count);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DownloadFaultRequest {
    mode: DownloadFault,
    #[serde(default = "one")]
    count: u32,
}

async fn download_fault(
    State(shared): State<Shared>,
    Json(r): Json<DownloadFaultRequest>,
) -> Reply {
    lock(&shared).faults.add_download_fault(r.mode, r.count);
    Ok(StatusCode::NO_CONTENT)
}

async fn expire_links(State(shared): State<Shared>) -> Reply {
    let mut state = lock(&shared);
    state.links_expired_below = state.links_issued;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ApprovalRequest {
    enabled: bool,
}

async fn approval(State(shared): State<Shared>, Json(r): Json<ApprovalRequest>) -> Reply {
    lock(&shared).config.approval = r.enabled;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ModeRequest {
    mode: JobMode,
    millis: Option<u64>,
}

async fn job_mode(State(shared): State<Shared>, Json(r): Json<ModeRequest>) -> Reply {
    let mut state = lock(&shared);
    state.config.job_mode = r.mode;
    if let Some(millis) = r.millis {
        state.config.job_millis = millis;
    }
    state.reschedule();
    state.settle();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
struct StepRequest {
    kind: Option<String>,
    /// Only the jobs of this bot id.
    bot: Option<String>,
}

async fn step(
    State(shared): State<Shared>,
    body: Option<Json<StepRequest>>,
) -> Result<Json<Value>, ApiError> {
    let request = body.map(|Json(r)| r).unwrap_or_default();
    let kind = match request.kind.as_deref() {
        None => None,
        Some(name) => Some(
            JobKind::parse(name)
                .ok_or_else(|| ApiError::bad_request(format!("unknown job kind {name:?}")))?,
        ),
    };
    let finished = lock(&shared).step(kind, request.bot.as_deref());
    Ok(Json(json!({ "finished": finished })))
}

#[derive(Deserialize)]
struct RateLimitRequest {
    per_minute: Option<u32>,
    per_hour: Option<u32>,
    retry_after: Option<bool>,
}

async fn rate_limits(State(shared): State<Shared>, Json(r): Json<RateLimitRequest>) -> Reply {
    let mut state = lock(&shared);
    let limits = &mut state.config.rate_limits;
    limits.per_minute = r.per_minute.unwrap_or(limits.per_minute);
    limits.per_hour = r.per_hour.unwrap_or(limits.per_hour);
    limits.retry_after = r.retry_after.unwrap_or(limits.retry_after);
    state.limiter.clear();
    Ok(StatusCode::NO_CONTENT)
}

async fn requests(State(shared): State<Shared>) -> Json<Value> {
    Json(json!(lock(&shared).faults.log))
}

async fn stats(State(shared): State<Shared>) -> Json<Value> {
    let state = lock(&shared);
    let f = &state.faults;
    Json(json!({
        "requests": f.requests,
        "rate_limited": f.rate_limited,
        "dropped": f.dropped,
        "per_endpoint": f.per_endpoint,
        "per_status": f.per_status,
        "exports": state.bots.iter().map(|b| b.exports).sum::<u64>(),
        // Export archives still held (each only while its link works).
        "export_files": state.exports.len(),
        "imports": state.bots.iter().map(|b| b.imports).sum::<u64>(),
        "trainings": state.bots.iter().map(|b| b.trainings).sum::<u64>(),
        "publishes": state.bots.iter().map(|b| b.publishes).sum::<u64>(),
    }))
}

async fn reset(State(shared): State<Shared>) -> Reply {
    let mut state = lock(&shared);
    state.reset_bots();
    state.faults = Default::default();
    state.limiter.clear();
    state.jti.clear();
    state.links_expired_below = state.links_issued;
    Ok(StatusCode::NO_CONTENT)
}

fn with_bot<T>(shared: &Shared, id: &str, f: impl FnOnce(&mut Bot) -> T) -> Result<T, ApiError> {
    let mut state = lock(shared);
    state.settle();
    state
        .bot_mut(id)
        .map(f)
        .ok_or_else(|| ApiError::not_found(format!("Bot {id} not found")))
}

async fn bot(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let view = with_bot(&shared, &id, |bot| {
        json!({
            "id": bot.id,
            "name": bot.dev.bot_name(),
            "seed_name": bot.seed_name,
            "dev_digest": digest(&bot.dev),
            "published_digest": digest(&bot.published),
            "exports": bot.exports,
            "imports": bot.imports,
            "trainings": bot.trainings,
            "publishes": bot.publishes,
            "suite_imports": bot.suite_imports,
            "test_runs": bot.test_runs,
            "last_version_comment": bot.last_version_comment,
            "channels_enabled": bot.channels_enabled,
            "publish_state": bot.publish_state,
            // The values the bot really holds (secured ones too): what
            // no export shows, for tests that a secret reached the bot.
            "variables": variable_values(&bot.dev.config),
        })
    })?;
    Ok(Json(view))
}

fn variable_values(config: &Value) -> Value {
    let pairs = config
        .get("envVariables")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v.get("key")?.as_str()?.to_owned(), v.get("value")?.clone())));
    Value::Object(pairs.collect())
}

/// The bot's history: `{"dropped": n, "events": [{"event": "import", ...}]}`.
async fn history(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let history = with_bot(&shared, &id, |bot| bot.history.clone())?;
    Ok(Json(json!(history)))
}

#[derive(Deserialize)]
struct CopyQuery {
    copy: Option<String>,
}

async fn definition(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<CopyQuery>,
) -> Result<Json<Value>, ApiError> {
    let published = match q.copy.as_deref() {
        None | Some("dev") => false,
        Some("published") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "copy must be dev or published, not {other:?}"
            )));
        }
    };
    let files = with_bot(&shared, &id, |bot| {
        if published {
            bot.published.clone()
        } else {
            bot.dev.clone()
        }
    })?;
    Ok(Json(files.definition.clone()))
}

async fn replace_definition(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(definition): Json<Value>,
) -> Reply {
    if !definition.is_object() {
        return Err(ApiError::bad_request(
            "the definition must be a JSON object",
        ));
    }
    let mut state = lock(&shared);
    state.settle();
    if state.replace_dev_definition(&id, definition) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("Bot {id} not found")))
    }
}

#[derive(Deserialize)]
struct ChannelsRequest {
    enabled: bool,
}

async fn channels(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(r): Json<ChannelsRequest>,
) -> Reply {
    with_bot(&shared, &id, |bot| bot.channels_enabled = r.enabled)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn approve(State(shared): State<Shared>, Path(id): Path<String>) -> Reply {
    let approved = with_bot(&shared, &id, |bot| {
        bot.awaiting_approval.take().map(|copy| {
            bot.published = copy;
            bot.publish_state = "published";
        })
    })?;
    approved
        .map(|()| StatusCode::NO_CONTENT)
        .ok_or_else(|| ApiError::conflict("No publish is awaiting approval"))
}
