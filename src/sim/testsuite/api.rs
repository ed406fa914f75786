//! The batch-test endpoints, under `/bot/{id}/testsuite…` and
//! `/stream/{id}/testsuite…` (both spellings of the documentation).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Run, Suite, evaluate, parse_cases, report, two_decimals};
use crate::sim::api::download::issue_file_link;
use crate::sim::api::export::unknown_bot;
use crate::sim::archive::digest;
use crate::sim::crypto;
use crate::sim::error::ApiError;
use crate::sim::jobs::{JobKind, JobStatus, Payload};
use crate::sim::state::{Shared, State as Model, lock};

/// The endpoints a run and its status are (App Builder apps only).
pub const BUILDER_ONLY: &[&str] = &["testsuite_run", "testsuite_run_status"];

/// The routes, under both path spellings.
pub fn routes() -> Router<Shared> {
    let mut router = Router::new();
    for prefix in ["/bot/{bot}/testsuite", "/stream/{bot}/testsuite"] {
        router = router
            .route(prefix, get(list))
            .route(&format!("{prefix}/import"), post(import))
            .route(&format!("{prefix}/{{name}}"), delete(remove))
            .route(&format!("{prefix}/{{name}}/export"), post(export))
            .route(&format!("{prefix}/{{name}}/run"), post(run))
            .route(&format!("{prefix}/{{name}}/{{run}}/status"), get(status));
    }
    router
}

/// Classifies the path segments after `/bot/{id}/testsuite`.
pub fn classify(post: bool, delete: bool, rest: &[&str]) -> Option<&'static str> {
    Some(match rest {
        [] => "testsuite_list",
        ["import"] if post => "testsuite_import",
        [_, "export"] if post => "testsuite_export",
        [_, "run"] if post => "testsuite_run",
        [_, _, "status"] => "testsuite_run_status",
        [_] if delete => "testsuite_delete",
        _ => return None,
    })
}

fn language(headers: &HeaderMap) -> String {
    headers
        .get("bot-language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("en")
        .to_owned()
}

fn unknown_suite(name: &str) -> ApiError {
    ApiError::not_found(format!("Test suite {name} not found"))
}

#[derive(Debug, Deserialize)]
pub struct Page {
    skip: Option<usize>,
    limit: Option<usize>,
}

async fn list(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let state = lock(&shared);
    let bot = state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let (skip, limit) = (page.skip.unwrap_or(0), page.limit.unwrap_or(50).min(100));
    let suites: Vec<Value> = bot
        .suites
        .iter()
        .skip(skip)
        .take(limit)
        .map(|s| s.view(&bot_id))
        .collect();
    Ok(Json(
        json!({ "testSuites": suites, "total": bot.suites.len() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportBody {
    name: Option<String>,
    #[serde(default)]
    description: String,
    file_name: Option<String>,
    file_type: Option<String>,
    import_type: Option<String>,
}

async fn import(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<ImportBody>,
) -> Result<Json<Value>, ApiError> {
    let name = body
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    let file_id = body
        .file_name
        .ok_or_else(|| ApiError::bad_request("fileName (the uploaded file id) is required"))?;
    match body.file_type.as_deref() {
        Some("json") => {}
        Some("csv") => return Err(ApiError::bad_request("CSV suites are not simulated")),
        other => {
            return Err(ApiError::bad_request(format!(
                "Unsupported fileType {other:?}"
            )));
        }
    }
    let update = match body.import_type.as_deref() {
        Some("new") => false,
        Some("update") => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "Unsupported importType {other:?}"
            )));
        }
    };
    let mut state = lock(&shared);
    let bytes = state
        .uploads
        .get(&file_id)
        .filter(|u| u.expires > Instant::now())
        .map(|u| u.bytes.clone())
        .ok_or_else(|| ApiError::bad_request("Invalid file id"))?;
    let cases = parse_cases(&bytes).map_err(ApiError::bad_request)?;
    let created_on = state.iso_now();
    let bot = state.bot_mut(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let existing = bot.suites.iter().position(|s| s.name == name);
    let suite = Suite {
        id: format!("ts-{}", crypto::random_hex(24)),
        name: name.clone(),
        description: body.description,
        language: language(&headers),
        file_id,
        created_on,
        cases: Arc::new(cases),
        file: bytes,
    };
    let view = suite.view(&bot_id);
    match (existing, update) {
        (Some(_), false) => {
            return Err(ApiError::conflict(format!(
                "A test suite named {name} already exists"
            )));
        }
        (None, true) => return Err(unknown_suite(&name)),
        (Some(i), true) => bot.suites[i] = suite,
        (None, false) => bot.suites.push(suite),
    }
    bot.suite_imports += 1;
    Ok(Json(view))
}

async fn remove(
    State(shared): State<Shared>,
    Path((bot_id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut state = lock(&shared);
    let bot = state.bot_mut(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let before = bot.suites.len();
    bot.suites.retain(|s| s.name != name);
    if bot.suites.len() == before {
        return Err(unknown_suite(&name));
    }
    Ok(Json(
        json!({ "message": "Test suite deleted successfully" }),
    ))
}

async fn export(
    State(shared): State<Shared>,
    Path((bot_id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut state = lock(&shared);
    let bot = state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let suite = bot
        .suites
        .iter()
        .find(|s| s.name == name)
        .cloned()
        .ok_or_else(|| unknown_suite(&name))?;
    let file_id = crypto::random_hex(24);
    state.exports.insert(file_id.clone(), suite.file.clone());
    let url = issue_file_link(&mut state, &file_id, "json");
    Ok(Json(json!({
        "downloadUrl": url,
        "name": suite.name,
        "description": suite.description,
    })))
}

#[derive(Debug, Deserialize)]
pub struct RunBody {
    version: Option<String>,
}

async fn run(
    State(shared): State<Shared>,
    Path((bot_id, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Option<Json<RunBody>>,
) -> Result<Json<Value>, ApiError> {
    let version = body.and_then(|Json(b)| b.version);
    let version = match version.as_deref() {
        Some(v @ ("inDevelopment" | "published")) => v.to_owned(),
        other => {
            return Err(ApiError::bad_request(format!(
                "version must be inDevelopment or published, not {other:?}"
            )));
        }
    };
    let language = language(&headers);
    let mut state = lock(&shared);
    state.settle();
    let bot = state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let suite = bot
        .suites
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| unknown_suite(&name))?;
    if !bot.dev.languages().contains(&language) {
        return Err(ApiError::bad_request(format!(
            "Language {language} is not enabled for this bot"
        )));
    }
    let running = state.jobs.iter().any(|j| {
        j.bot == bot_id
            && j.is_pending()
            && matches!(&j.payload, Payload::TestRun(r) if r.suite == name)
    });
    if running {
        return Err(ApiError::conflict(format!(
            "A test run of the suite {name} is in progress"
        )));
    }
    let copy = match version.as_str() {
        "published" => bot.published.clone(),
        _ => bot.trained_copy(&language),
    };
    let (results, figures) = evaluate(&copy, &language, &suite.cases);
    let id = format!("tr-{}", crypto::random_hex(24));
    let run = Run {
        id: id.clone(),
        suite: name,
        language,
        version,
        digest: digest(&copy),
        results,
        figures,
        report: None,
        started_on: state.iso_now(),
        ended_on: None,
    };
    if let Some(bot) = state.bot_mut(&bot_id) {
        bot.test_runs += 1;
    }
    state.add_job(
        id.clone(),
        JobKind::TestRun,
        &bot_id,
        Payload::TestRun(Box::new(run)),
    );
    Ok(Json(json!({ "status": "accepted", "requestId": id })))
}

async fn status(
    State(shared): State<Shared>,
    Path((bot_id, name, run_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut state = lock(&shared);
    state.settle();
    state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let index = state
        .jobs
        .iter()
        .position(|j| {
            j.id == run_id
                && j.bot == bot_id
                && matches!(&j.payload, Payload::TestRun(r) if r.suite == name)
        })
        .ok_or_else(|| ApiError::not_found(format!("Test run {run_id} not found")))?;
    Ok(Json(describe(&mut state, index)))
}

/// A run's status document, with a fresh report link when it completed.
fn describe(state: &mut Model, index: usize) -> Value {
    let progress = progress(state, index);
    let job = &state.jobs[index];
    let Payload::TestRun(run) = &job.payload else {
        return json!({});
    };
    let run = run.as_ref().clone();
    // A scripted failure whose message is "cancelled" is a cancelled run
    // (`/_sim/job-failures {"kind": "testrun", "message": "cancelled"}`).
    let status = match &job.status {
        JobStatus::Pending => "running",
        JobStatus::Succeeded => "completed",
        JobStatus::Failed(message) if message == "cancelled" => "cancelled",
        JobStatus::Failed(_) => "failed",
    };
    let failure = match &job.status {
        JobStatus::Failed(message) => Some(message.clone()),
        _ => None,
    };
    let total = run.results.len();
    let ran = if status == "running" {
        (total as f64 * progress) as usize
    } else {
        total
    };
    let mut result = json!({
        "status": status,
        "runType": run.version,
        "botLanguage": run.language,
        "startTime": run.started_on,
    });
    if status == "completed" {
        let f = run.figures;
        let url = run
            .report
            .as_deref()
            .map(|file| issue_file_link(state, file, "csv"));
        result["endTime"] = json!(run.ended_on);
        result["f1_score"] = json!(two_decimals(f.f1()));
        result["precision"] = json!(two_decimals(f.precision()));
        result["recall"] = json!(two_decimals(f.recall()));
        result["results"] = json!({
            "TP": f.tp, "TN": f.tn, "FP": f.fp, "FN": f.fn_,
            "success": f.tp + f.tn, "failure": f.fp + f.fn_,
            "failedUtteranceCount": f.fp + f.fn_,
            "totalUtterances": total,
        });
        result["fileUrl"] = json!(url);
    }
    if let Some(message) = failure {
        result["errors"] = json!([{ "msg": message }]);
    }
    json!({
        "_id": run.id,
        "status": status,
        "testSuite": run.suite,
        "totalUtterances": total,
        "utterance_ran": ran,
        "percentage": (ran * 100).checked_div(total).unwrap_or(0),
        "result": result,
    })
}

/// How far a running job is (0..1): by its due time in timed mode, none in
/// manual mode.
fn progress(state: &Model, index: usize) -> f64 {
    let job = &state.jobs[index];
    let Some(due) = job.due else { return 0.0 };
    let total = state.config.job_duration().as_secs_f64();
    if total <= 0.0 {
        return 1.0;
    }
    let left = due.saturating_duration_since(Instant::now()).as_secs_f64();
    (1.0 - left / total).clamp(0.0, 0.99)
}

/// Completes a run: its report becomes a downloadable file.
pub fn complete(state: &mut Model, mut run: Box<Run>) -> Box<Run> {
    let file_id = crypto::random_hex(24);
    state
        .exports
        .insert(file_id.clone(), Arc::new(report::csv(&run)));
    run.report = Some(file_id);
    run.ended_on = Some(state.iso_now());
    run
}
