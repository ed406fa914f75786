//! Get Bots: `offset` is a page number, `limit` at most 50, and `jwtApps`
//! carries the apps' secrets (as the real platform does).

use axum::Json;
use axum::extract::{Query, State};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::sim::error::ApiError;
use crate::sim::state::{Bot, Shared, State as Model, lock};

const MAX_LIMIT: usize = 50;

#[derive(Debug, Deserialize)]
pub struct Paging {
    offset: Option<usize>,
    limit: Option<usize>,
}

pub async fn list(
    State(shared): State<Shared>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = paging.offset.unwrap_or(0);
    let limit = paging.limit.unwrap_or(MAX_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let state = lock(&shared);
    let total = state.bots.len();
    let bots: Vec<Value> = state
        .bots
        .iter()
        .skip(page * limit)
        .take(limit)
        .map(|b| describe(&state, b))
        .collect();
    Ok(Json(json!({
        "total": total,
        "availableMore": (page + 1) * limit < total,
        "bots": bots,
    })))
}

fn describe(state: &Model, bot: &Bot) -> Value {
    let jwt_apps: Vec<Value> = state
        .apps
        .iter()
        .map(|app| {
            json!({
                "appName": app.name,
                "clientId": app.client_id,
                "clientSecret": app.secret.expose_secret(),
                "algorithm": "HS256",
                "jtiClaimEnforced": app.jti_enforced,
            })
        })
        .collect();
    let definition = &bot.dev.definition;
    json!({
        "_id": bot.id,
        "name": bot.published.bot_name(),
        "status": "published",
        "defaultLanguage": bot.dev.default_language(),
        "purpose": definition.get("purpose").cloned().unwrap_or_else(|| "customer".into()),
        "type": definition.get("type").cloned().unwrap_or_else(|| "default".into()),
        "createdOn": bot.created_on,
        "jwtApps": jwt_apps,
    })
}
