//! The operator endpoints behind `kore-gitops reconcile --wait`, `suspend` and
//! `resume`, all with the trigger token:
//!
//! - `GET /requests/{id}`: what became of a `POST /trigger/{bot}` request
//!   (`pending`, or `handled` with the outcome of the pass that handled it);
//! - `POST /suspend/{bot}` and `POST /resume/{bot}`: an emergency pause
//!   without a commit. The daemon skips the bot's passes, writes a
//!   `Suspended` note saying who paused it, and keeps the pause across
//!   restarts (in its state folder) until it is resumed.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use super::server::{json_error, unavailable};
use super::state::{ObserveState, Sent, Trigger};
use super::trigger::{refusal, refusal_for_bot};

pub(crate) async fn request_state(
    State(state): State<ObserveState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refusal(&state, &headers) {
        return refused;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return json_error(StatusCode::BAD_REQUEST, "not a request token");
    };
    match state.requests().state(id) {
        Some(request) => axum::Json(request).into_response(),
        None => json_error(StatusCode::NOT_FOUND, "no such request (or long forgotten)"),
    }
}

pub(crate) async fn suspend(
    State(state): State<ObserveState>,
    Path(bot): Path<String>,
    headers: HeaderMap,
) -> Response {
    set_suspended(state, bot, headers, true).await
}

pub(crate) async fn resume(
    State(state): State<ObserveState>,
    Path(bot): Path<String>,
    headers: HeaderMap,
) -> Response {
    set_suspended(state, bot, headers, false).await
}

async fn set_suspended(state: ObserveState, bot: String, headers: HeaderMap, on: bool) -> Response {
    if let Some(refused) = refusal_for_bot(&state, &headers, &bot) {
        return refused;
    }
    let changed = match state.set_suspended(&bot, on).await {
        Ok(changed) => changed,
        Err(e) => {
            tracing::error!(bot = %bot, error = %e, "could not record the suspension");
            let message = "could not record the suspension in the state folder: nothing changed";
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, message);
        }
    };
    let verb = if on { "suspended" } else { "resumed" };
    tracing::warn!(bot = %bot, changed, "{verb} by an operator");
    // A pass now, so that the note and `/status` say so at once.
    let request = state.requests().open(&bot);
    match state.send(Trigger::Bot(bot.clone())).await {
        Sent::Accepted => {}
        Sent::Busy | Sent::Closed => {
            state.requests().withdraw(request);
            return unavailable("recorded, but the daemon takes no triggers now");
        }
    }
    let body =
        json!({"bot": bot, "suspended": on, "changed": changed, "request": request.to_string()});
    (StatusCode::OK, axum::Json(body)).into_response()
}
