//! Errors: `SimError` for starting the simulator, `ApiError` for the
//! platform's error envelope `{"errors":[{"msg","code"}]}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A seed folder or zip could not be read.
    #[error("cannot read seed {path}: {reason}")]
    Seed { path: String, reason: String },
    /// Two seeds have the same name, so they would get the same bot id.
    #[error("two seeds are named {0:?}; seed names must be unique")]
    DuplicateSeed(String),
    /// The configuration is unusable.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// The documented rate-limit message.
pub const RATE_LIMIT_MSG: &str =
    "Rate limit for this API has been reached. Please try again after some time.";

/// An error answered in the platform's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub msg: String,
    /// Seconds for a `Retry-After` header, if any.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: u16, msg: impl Into<String>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            status,
            msg: msg.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(400, msg)
    }

    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Self::new(401, msg)
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::new(403, msg)
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::new(404, msg)
    }

    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::new(409, msg)
    }

    /// The documented 429.
    pub fn rate_limited(retry_after: Option<u64>) -> Self {
        Self {
            retry_after,
            ..Self::new(429, RATE_LIMIT_MSG)
        }
    }

    /// A scripted fault with the given status (429 keeps its documented message).
    pub fn fault(status: u16, retry_after: Option<u64>) -> Self {
        if status == 429 {
            return Self::rate_limited(retry_after);
        }
        let reason = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Simulated fault");
        Self {
            retry_after,
            ..Self::new(status, reason)
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    errors: [EnvelopeItem<'a>; 1],
}

#[derive(Serialize)]
struct EnvelopeItem<'a> {
    msg: &'a str,
    code: u16,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            errors: [EnvelopeItem {
                msg: &self.msg,
                code: self.status.as_u16(),
            }],
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        response
    }
}
