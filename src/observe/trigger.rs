//! `POST /trigger/{bot}`: reconcile one bot now, for an operator holding the
//! trigger token (`Authorization: Bearer <token>`).
//!
//! Answers 202 once the trigger is queued (never dropped after a 202), 503 with
//! `Retry-After` when the daemon could not take it, 401 without the right
//! token (checked before anything else, so the bot list does not leak), 404 for
//! a bot the daemon does not manage (when it has told the state its bots) or
//! when no token is configured, 400 for a name no bot folder could have.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::auth::token_matches;
use super::server::{json_error, unavailable};
use super::state::{ObserveState, Sent, Trigger};

/// Longest bot name accepted (a folder name; file systems stop at 255 bytes).
const MAX_BOT_NAME: usize = 255;

pub(crate) async fn trigger_bot(
    State(state): State<ObserveState>,
    Path(bot): Path<String>,
    headers: HeaderMap,
) -> Response {
    trigger(state, bot, headers).await
}

/// `POST /trigger/{folder}/{environment}`: one environment of a folder.
pub(crate) async fn trigger_environment(
    State(state): State<ObserveState>,
    Path((folder, environment)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    trigger(state, format!("{folder}/{environment}"), headers).await
}

async fn trigger(state: ObserveState, bot: String, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal_for_bot(&state, &headers, &bot) {
        return refused;
    }
    // Opened before it is queued, so that a pass starting at once handles it.
    let request = state.requests().open(&bot);
    match state.send(Trigger::Bot(bot.clone())).await {
        Sent::Accepted => {
            tracing::info!(bot = %bot, %request, "manual trigger accepted");
            let body = json!({"triggered": true, "bot": bot, "request": request.to_string()});
            (StatusCode::ACCEPTED, axum::Json(body)).into_response()
        }
        Sent::Busy => {
            state.requests().withdraw(request);
            tracing::warn!(bot = %bot, "manual trigger refused: the daemon takes no triggers");
            unavailable("the daemon is busy: nothing was queued")
        }
        Sent::Closed => {
            state.requests().withdraw(request);
            unavailable("the daemon is shutting down")
        }
    }
}

/// The checks every operator endpoint makes, in this order: a token is
/// configured (404), the bearer token is right (401, before anything else,
/// so that the bot list does not leak), then the bot's name (400, 404).
/// `None` when the request may go on.
pub(crate) fn refusal_for_bot(
    state: &ObserveState,
    headers: &HeaderMap,
    bot: &str,
) -> Option<Response> {
    if let Some(refused) = refusal(state, headers) {
        return Some(refused);
    }
    if bot.is_empty() || bot.len() > MAX_BOT_NAME || bot.chars().any(char::is_control) {
        return Some(json_error(StatusCode::BAD_REQUEST, "not a bot folder name"));
    }
    if state.is_known_bot(bot) == Some(false) {
        let message = format!("no bot named {bot:?}");
        return Some(json_error(StatusCode::NOT_FOUND, &message));
    }
    None
}

/// Unless a trigger token is configured and presented as `Authorization:
/// Bearer …`, the answer that refuses the request.
pub(crate) fn refusal(state: &ObserveState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = state.trigger_token() else {
        let message = "manual triggers are not configured";
        return Some(json_error(StatusCode::NOT_FOUND, message));
    };
    if !bearer_matches(headers, token) {
        tracing::warn!("manual trigger refused: missing or wrong bearer token");
        let mut response = json_error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Some(response);
    }
    None
}

/// True when the request carries `Authorization: Bearer <token>` (the scheme in
/// any case, as RFC 9110 allows).
fn bearer_matches(headers: &HeaderMap, token: &SecretString) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return false;
    };
    let value = value.as_bytes();
    let scheme = b"bearer ";
    if value.len() <= scheme.len() || !value[..scheme.len()].eq_ignore_ascii_case(scheme) {
        return false;
    }
    token_matches(token, value[scheme.len()..].trim_ascii())
}
