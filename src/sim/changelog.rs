//! The bots' change logs (`GET /api/public/bot/{id}/changelogs`): what
//! changed a bot and when, as the platform records it. Imports, trainings,
//! publishes and designer edits each write an entry; `userId` carries a
//! person's name and e-mail, as on the real platform, so that a client which
//! logs it would leak personal data in the tests too.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::export::unknown_bot;
use super::crypto::prefixed_id;
use super::error::ApiError;
use super::state::{Shared, State as Model, lock};

/// The largest page (as for Get Bots).
const MAX_LIMIT: usize = 50;
/// Entries kept per bot; older ones are forgotten, as a real log rotates.
pub const CHANGELOG_LIMIT: usize = 5_000;

/// Who made a change: the person behind a designer edit, or the API app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Designer,
    Api,
}

/// One change-log entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub resource_id: String,
    pub resource_type: String,
    pub message: String,
    pub created_on: chrono::DateTime<chrono::Utc>,
    pub author: Author,
}

impl Entry {
    fn to_json(&self, bot: &str) -> Value {
        let user = match self.author {
            Author::Designer => json!({"_id": "u-5e0c7a1d", "fName": "Dana", "lName": "Designer",
                "emailId": "dana.designer@example.com"}),
            Author::Api => json!({"_id": "u-0a9b1c2d", "fName": "API", "lName": "App",
                "emailId": "api-app@example.com"}),
        };
        json!({
            "_id": self.id,
            "userId": user,
            "streamId": bot,
            "resourceId": self.resource_id,
            "resourceType": self.resource_type,
            "message": self.message,
            "createdOn": self.created_on.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "__v": 0,
        })
    }
}

impl Model {
    /// Writes a change-log entry for `bot` (an unknown bot has no log).
    pub fn log_change(
        &mut self,
        bot: &str,
        author: Author,
        (kind, resource): (&str, &str),
        message: String,
    ) {
        let created_on = self.next_log_stamp();
        if let Some(bot) = self.bot_mut(bot) {
            bot.changelog.push(Entry {
                id: prefixed_id("btl"),
                resource_id: resource.to_owned(),
                resource_type: kind.to_owned(),
                message,
                created_on,
                author,
            });
            let excess = bot.changelog.len().saturating_sub(CHANGELOG_LIMIT);
            bot.changelog.drain(..excess);
        }
    }

    /// A strictly increasing time in milliseconds, so that entries written in
    /// one burst still have an order.
    fn next_log_stamp(&mut self) -> chrono::DateTime<chrono::Utc> {
        let now = chrono::Utc::now();
        let next = self.last_log_stamp + chrono::Duration::milliseconds(1);
        self.last_log_stamp = now.max(next);
        self.last_log_stamp
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogQuery {
    offset: Option<usize>,
    limit: Option<usize>,
    start_date: Option<String>,
    end_date: Option<String>,
}

fn date(value: Option<&str>, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
    value
        .map(|v| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_request(format!("{name} must be YYYY-MM-DD")))
        })
        .transpose()
}

/// Newest first; `offset` is a page number, dates are inclusive days (UTC).
pub async fn list(
    State(shared): State<Shared>,
    Path(bot_id): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(MAX_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let start = date(query.start_date.as_deref(), "startDate")?;
    let end = date(query.end_date.as_deref(), "endDate")?;
    let mut state = lock(&shared);
    state.settle();
    let bot = state.bot(&bot_id).ok_or_else(|| unknown_bot(&bot_id))?;
    let page = query.offset.unwrap_or(0);
    let entries: Vec<Value> = bot
        .changelog
        .iter()
        .rev()
        .filter(|e| start.is_none_or(|s| e.created_on.date_naive() >= s))
        .filter(|e| end.is_none_or(|d| e.created_on.date_naive() <= d))
        .skip(page * limit)
        .take(limit)
        .map(|e| e.to_json(&bot_id))
        .collect();
    Ok(Json(Value::Array(entries)))
}
