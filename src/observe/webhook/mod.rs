//! `POST /webhook` and `POST /webhook/{host}`: push deliveries from GitHub,
//! GitLab, Gitea and Bitbucket Cloud, turned into a [`Trigger::Refresh`].
//!
//! A delivery is only ever "refresh now": the payload is read for the
//! repository and the branch it names, and the daemon fetches the content
//! itself. Answers:
//!
//! - 202 `{"triggered": true}`: a verified push of the watched repository and
//!   branch; the trigger was handed over before the answer.
//! - 202 `{"triggered": false, "message": …}`: verified, but another event
//!   (GitHub's `ping`), branch or repository.
//! - 401: signature or token missing or wrong (both: the delivery failed
//!   authentication; 403 is not used).
//! - 400: not a recognised host, not JSON, or without a repository or ref.
//! - 413: body over [`MAX_WEBHOOK_BODY`]. 408: body not received within
//!   [`BODY_READ_TIMEOUT`].
//! - 404: no webhook secret configured. 503 (with `Retry-After`): the
//!   daemon stopped listening, or its trigger channel stayed full; nothing
//!   was queued.
//!
//! Refusals are logged at warn with the host and the reason, never the body or
//! the signature.

mod host;
mod payload;

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub use host::{Host, SignatureError, UnknownHost};
pub use payload::{PayloadError, Push};

use super::metrics::WebhookOutcome;
use super::server::{json_error, unavailable};
use super::state::{ObserveState, Sent, Trigger, WebhookSettings};

/// The largest delivery accepted. Push payloads of the hosts stay far below
/// (GitHub caps them at 25 MB but lists at most 20 commits; a typical push is
/// a few kB).
pub const MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// How long a client may take to send the body, so a slow sender cannot hold
/// a connection open.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A delivery the endpoint refused.
struct Refusal {
    status: StatusCode,
    outcome: WebhookOutcome,
    reason: String,
}

impl Refusal {
    fn new(status: StatusCode, outcome: WebhookOutcome, reason: impl ToString) -> Refusal {
        Refusal {
            status,
            outcome,
            reason: reason.to_string(),
        }
    }
}

/// A verified delivery, and whether it triggered a refresh.
struct Accepted {
    triggered: bool,
    message: String,
}

/// `POST /webhook`: the host is recognised from the event header.
pub(crate) async fn detect_host(State(state): State<ObserveState>, request: Request) -> Response {
    let host = Host::detect(request.headers()).ok_or(UnknownHost);
    receive(&state, host, request).await
}

/// `POST /webhook/{host}`.
pub(crate) async fn named_host(
    State(state): State<ObserveState>,
    Path(host): Path<String>,
    request: Request,
) -> Response {
    receive(&state, host.parse(), request).await
}

async fn receive(
    state: &ObserveState,
    host: Result<Host, UnknownHost>,
    request: Request,
) -> Response {
    let Some(settings) = state.webhook() else {
        return json_error(StatusCode::NOT_FOUND, "webhooks are not configured");
    };
    let label = host.as_ref().map_or("unknown", |host| host.name());
    match handle(state, settings, host, request).await {
        Ok(accepted) => {
            let outcome = if accepted.triggered {
                WebhookOutcome::Triggered
            } else {
                WebhookOutcome::Ignored
            };
            state.metrics().webhook(label, outcome);
            tracing::info!(host = label, triggered = accepted.triggered, detail = %accepted.message, "webhook accepted");
            let body = json!({"triggered": accepted.triggered, "message": accepted.message});
            (StatusCode::ACCEPTED, axum::Json(body)).into_response()
        }
        Err(refusal) => {
            state.metrics().webhook(label, refusal.outcome);
            tracing::warn!(host = label, status = refusal.status.as_u16(), reason = %refusal.reason, "webhook refused");
            if refusal.status == StatusCode::SERVICE_UNAVAILABLE {
                return unavailable(&refusal.reason);
            }
            json_error(refusal.status, &refusal.reason)
        }
    }
}

async fn handle(
    state: &ObserveState,
    settings: &WebhookSettings,
    host: Result<Host, UnknownHost>,
    request: Request,
) -> Result<Accepted, Refusal> {
    let host =
        host.map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, WebhookOutcome::Malformed, e))?;
    let headers = request.headers().clone();
    let body = read_body(request).await?;
    host.verify(&headers, &body, &settings.secret)
        .map_err(|e| Refusal::new(StatusCode::UNAUTHORIZED, WebhookOutcome::Unauthorized, e))?;
    if !host.is_push(&headers) {
        return Ok(ignored(format!(
            "event {:?} is not a push",
            event_name(host, &headers)
        )));
    }
    let push = Push::parse(host, &body)
        .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, WebhookOutcome::Malformed, e))?;
    if !push.names_repository(&settings.repository) {
        return Ok(ignored("a push to another repository".to_owned()));
    }
    if !push.updates_branch(&settings.branch) {
        return Ok(ignored(format!("no push to branch {}", settings.branch)));
    }
    let unavailable = |reason| {
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            WebhookOutcome::Unavailable,
            reason,
        )
    };
    match state.send(Trigger::Refresh).await {
        Sent::Accepted => Ok(Accepted {
            triggered: true,
            message: format!("refresh of {} requested", settings.branch),
        }),
        Sent::Busy => Err(unavailable("the daemon is busy: nothing was queued")),
        Sent::Closed => Err(unavailable("the daemon is shutting down")),
    }
}

fn ignored(message: String) -> Accepted {
    Accepted {
        triggered: false,
        message,
    }
}

/// The announced event, shortened: it is echoed back and logged.
fn event_name(host: Host, headers: &HeaderMap) -> String {
    host.event(headers).chars().take(64).collect()
}

/// Reads the whole body within the size cap (set on the route with
/// `DefaultBodyLimit`) and the time limit.
async fn read_body(request: Request) -> Result<Bytes, Refusal> {
    match tokio::time::timeout(BODY_READ_TIMEOUT, Bytes::from_request(request, &())).await {
        Err(_) => Err(Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            WebhookOutcome::Malformed,
            "the body was not received in time",
        )),
        Ok(Err(rejection)) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                WebhookOutcome::TooLarge,
                format!("the body is larger than {MAX_WEBHOOK_BODY} bytes"),
            ))
        }
        Ok(Err(_)) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            WebhookOutcome::Malformed,
            "the body could not be read",
        )),
        Ok(Ok(body)) => Ok(body),
    }
}
