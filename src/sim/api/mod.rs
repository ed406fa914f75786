//! The platform endpoints, served under `/api/public` and `/api/1.1/public`,
//! and the gate every platform call passes: scripted faults, auth (kind and
//! scope), rate limits, then the request log.

pub mod bots;
pub mod download;
pub mod export;
pub mod import;
pub mod publish;
pub mod train;
pub mod upload;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::auth;
use super::error::ApiError;
use super::faults::{LoggedRequest, LostAnswer, Prelude};
use super::state::{AppKind, Shared, lock};

/// Marks a response whose connection must be closed without answering.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// The authenticated app of a call.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub app: usize,
}

/// A classified platform call.
#[derive(Debug, Clone)]
struct Call {
    endpoint: &'static str,
    bot: Option<String>,
    request_id: Option<String>,
}

/// The platform routes under one prefix.
pub fn platform_routes() -> Router<Shared> {
    Router::new()
        .route("/bots", get(bots::list))
        .route("/bot/{bot}/export", post(export::start))
        .route("/bot/{bot}/export/status", get(export::status))
        .route("/uploadfile", post(upload::upload))
        .route("/bot/{bot}/import", post(import::start))
        .route("/bot/import/status/{request}", get(import::status))
        .route("/bot/{bot}/ml/train", post(train::start))
        .route("/bot/{bot}/ml/train/status", get(train::status))
        .route("/bot/{bot}/publish", post(publish::start))
        .route("/bot/{bot}/publish/status", get(publish::status))
        .route("/bot/{bot}/changelogs", get(super::changelog::list))
        .route("/bot/{bot}/publish/status/", get(publish::status))
        .merge(crate::sim::testsuite::api::routes())
}

/// Classifies a request path as a platform call, if it is one.
fn classify(method: &Method, path: &str) -> Option<Call> {
    let rest = path
        .strip_prefix("/api/public")
        .or_else(|| path.strip_prefix("/api/1.1/public"));
    let Some(rest) = rest else {
        return path
            .starts_with(download::PREFIX)
            .then(|| call("download", None, None));
    };
    // A trailing slash names the same resource (the documentation writes
    // some status URLs with one).
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let bot = |id: &str| Some(id.to_owned());
    let post = method == Method::POST;
    if let ["bot" | "stream", id, "testsuite", rest @ ..] = segments.as_slice() {
        let delete = method == Method::DELETE;
        let endpoint = crate::sim::testsuite::api::classify(post, delete, rest)?;
        let run = match rest {
            [_, run, "status"] => Some(run.to_string()),
            _ => None,
        };
        return Some(call(endpoint, bot(id), run));
    }
    Some(match segments.as_slice() {
        ["bots"] => call("bots", None, None),
        ["uploadfile"] if post => call("upload", None, None),
        ["bot", "import", "status", id] => call("import_status", None, bot(id)),
        ["bot", id, "export"] if post => call("export", bot(id), None),
        ["bot", id, "export", "status"] => call("export_status", bot(id), None),
        ["bot", id, "import"] if post => call("import", bot(id), None),
        ["bot", id, "ml", "train"] if post => call("train", bot(id), None),
        ["bot", id, "ml", "train", "status"] => call("train_status", bot(id), None),
        ["bot", id, "publish"] if post => call("publish", bot(id), None),
        ["bot", id, "publish", "status"] => call("publish_status", bot(id), None),
        ["bot", id, "changelogs"] => call("changelogs", bot(id), None),
        _ => return None,
    })
}

fn call(endpoint: &'static str, bot: Option<String>, request_id: Option<String>) -> Call {
    Call {
        endpoint,
        bot,
        request_id,
    }
}

/// The scope a call needs and whether it takes Admin Console apps only.
fn requirement(endpoint: &str) -> (&'static str, bool) {
    match endpoint {
        "bots" => ("bots", true),
        // The documentation names no scope for the change log: read access
        // like an export's is the closest.
        "export" | "export_status" | "changelogs" => ("export", false),
        "upload" => ("upload", false),
        "import" | "import_status" => ("import", true),
        "train" | "train_status" => ("train", false),
        "testsuite_run" | "testsuite_run_status" => ("testrun", false),
        name if name.starts_with("testsuite_") => ("testsuite", false),
        _ => ("publish", true),
    }
}

/// The rate-limit key of a call (see the platform table).
fn limit_key(call: &Call) -> String {
    let bot = call.bot.as_deref().unwrap_or("account");
    match call.endpoint {
        "bots" => "admin:account".to_owned(),
        "import_status" | "testsuite_run_status" => {
            format!("status:{}", call.request_id.as_deref().unwrap_or(""))
        }
        status if status.ends_with("_status") => format!("{status}:{bot}"),
        _ => format!("design:{bot}"),
    }
}

/// Runs a platform call through faults, auth and rate limits, and logs it.
pub async fn gate(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let Some(call) = classify(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let (method, path) = (
        request.method().to_string(),
        request.uri().path().to_owned(),
    );
    let prelude = lock(&shared).faults.prelude(call.endpoint);
    let (response, status, app) = if prelude.drop {
        (dropped(), 0, None)
    } else {
        let (response, app) = answer(&shared, &call, prelude, request, next).await;
        let status = response.status().as_u16();
        (response, status, app)
    };
    // A call refused before its handler ran did nothing: only one that was
    // carried out can lose its answer.
    let lost = match status {
        200..=299 => lock(&shared).faults.take_lost(call.endpoint),
        _ => None,
    };
    // Logged before the answer is lost: a stalled answer's connection may be
    // closed by the client, and the call was carried out all the same.
    let entry = LoggedRequest {
        seq: 0,
        method,
        path,
        endpoint: call.endpoint.to_owned(),
        status,
        bot: call.bot,
        app: None,
        lost: lost.map(LostAnswer::name),
    };
    record(&shared, entry, app);
    match lost {
        Some(lost) => lose(lost, response).await,
        None => response,
    }
}

/// Adds a call to the request log, naming its app.
fn record(shared: &Shared, mut entry: LoggedRequest, app: Option<usize>) {
    let mut state = lock(shared);
    entry.app = app.map(|i| state.apps[i].name.clone());
    let keep = state.config.request_log_entries;
    state.faults.record(entry, keep);
}

fn dropped() -> Response {
    let mut response = ().into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

/// What the client gets instead of the answer of a call carried out.
async fn lose(lost: LostAnswer, response: Response) -> Response {
    match lost {
        LostAnswer::Drop => dropped(),
        LostAnswer::GatewayTimeout => html_page(504),
        LostAnswer::Html { status } => html_page(status),
        LostAnswer::Stall { millis } => {
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
            response
        }
    }
}

/// An HTML page as a load balancer, a maintenance page or a single sign-on
/// proxy answers it: not the platform's JSON, whatever the status.
pub fn html_page(status: u16) -> Response {
    let status =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
    let body = "<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head>\n\
        <body><h1>We&#39;ll be back soon</h1><p>The platform is being upgraded.</p></body></html>\n";
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Delays, fails, or admits and runs a call; returns the response and the app.
async fn answer(
    shared: &Shared,
    call: &Call,
    prelude: Prelude,
    mut request: Request,
    next: Next,
) -> (Response, Option<usize>) {
    if let Some(delay) = prelude.delay {
        tokio::time::sleep(delay).await;
    }
    let admitted = match prelude.fault {
        Some(fault) if prelude.html => return (html_page(fault.status.as_u16()), None),
        Some(fault) => Err(fault),
        None => admit(shared, call, &request),
    };
    match admitted {
        Ok(Some(caller)) => {
            request.extensions_mut().insert(caller);
            (next.run(request).await, Some(caller.app))
        }
        Ok(None) => (next.run(request).await, None),
        Err(error) => (error.into_response(), None),
    }
}

/// Auth, app kind, scope and rate limit; `None` for calls without auth.
fn admit(shared: &Shared, call: &Call, request: &Request) -> Result<Option<Caller>, ApiError> {
    if call.endpoint == "download" {
        return Ok(None);
    }
    let token = request.headers().get("auth").and_then(|v| v.to_str().ok());
    let mut state = lock(shared);
    let state = &mut *state;
    let app = auth::verify(token, &state.apps, &mut state.jti)?;
    let (scope, admin_only) = requirement(call.endpoint);
    if admin_only && state.apps[app].kind != AppKind::Admin {
        return Err(ApiError::forbidden(
            "This API is accessible only with an Admin Console app",
        ));
    }
    let builder_only = crate::sim::testsuite::api::BUILDER_ONLY.contains(&call.endpoint);
    if builder_only && state.apps[app].kind != AppKind::Builder {
        return Err(ApiError::forbidden(
            "This API is accessible only with an App Builder app",
        ));
    }
    auth::check_bot(&state.apps[app], call.bot.as_deref())?;
    if !state.apps[app].scopes.iter().any(|s| s == scope) {
        return Err(ApiError::forbidden(format!(
            "The app does not have the {scope} API scope"
        )));
    }
    let limits = state.config.rate_limits.clone();
    state
        .limiter
        .admit(&limit_key(call), &limits, tokio::time::Instant::now())?;
    Ok(Some(Caller { app }))
}
