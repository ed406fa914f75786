//! The daemon's HTTP face on one port: health, readiness, metrics, status,
//! push webhooks and manual triggers. [`router`] builds it; [`serve`] runs it
//! until shutdown.

use std::future::Future;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::net::TcpListener;

use super::connections::{HttpLimits, serve_limited};
use super::control;
use super::exposition::Format;
use super::state::ObserveState;
use super::trigger::{trigger_bot, trigger_environment};
use super::webhook::{self, MAX_WEBHOOK_BODY};

/// Largest body any other route reads (none needs one).
const MAX_OTHER_BODY: usize = 4 * 1024;

/// Every route, over `state`.
pub fn router(state: ObserveState) -> Router {
    let webhooks = Router::new()
        .route("/webhook", post(webhook::detect_host))
        .route("/webhook/{host}", post(webhook::named_host))
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/trigger/{bot}", post(trigger_bot))
        .route("/trigger/{bot}/{environment}", post(trigger_environment))
        .route("/requests/{id}", get(control::request_state))
        .route("/suspend/{bot}", post(control::suspend))
        .route("/resume/{bot}", post(control::resume))
        .layer(DefaultBodyLimit::max(MAX_OTHER_BODY))
        .merge(webhooks)
        .with_state(state)
}

/// Serves the endpoints on `listener`, within the state's [`HttpLimits`],
/// until `shutdown` completes, then lets requests in flight finish.
pub async fn serve<F>(
    listener: TcpListener,
    state: ObserveState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let limits = state.http_limits();
    serve_with(listener, state, limits, shutdown).await
}

/// [`serve`] within `limits`.
pub async fn serve_with<F>(
    listener: TcpListener,
    state: ObserveState,
    limits: HttpLimits,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, max_connections = limits.max_connections, "HTTP endpoints listening");
    }
    serve_limited(listener, router(state), limits, shutdown).await
}

/// A JSON error body: `{"error": message}`.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

/// 503 with `Retry-After`: the request was not acted on, and may be sent again.
pub(crate) fn unavailable(message: &str) -> Response {
    let mut response = json_error(StatusCode::SERVICE_UNAVAILABLE, message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

/// Alive as long as the process answers.
async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 once the configuration is loaded, the mirror fetched and the platform
/// reachable; 503 naming what is missing otherwise.
async fn readyz(State(state): State<ObserveState>) -> Response {
    let missing = state.readiness().missing();
    if missing.is_empty() {
        (StatusCode::OK, axum::Json(json!({"ready": true}))).into_response()
    } else {
        let body = json!({"ready": false, "missing": missing});
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
    }
}

/// The classic Prometheus text format, or OpenMetrics when `Accept` asks.
async fn metrics(State(state): State<ObserveState>, headers: axum::http::HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let format = Format::negotiate(accept);
    let text = state.metrics().render(format);
    ([(header::CONTENT_TYPE, format.content_type())], text).into_response()
}

/// Every bot's last result, sorted by bot name.
async fn status(State(state): State<ObserveState>) -> Response {
    axum::Json(json!({"bots": state.reports()})).into_response()
}
