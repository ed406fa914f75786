//! One HTTP client for every platform call: a fresh token, pacing, timeouts and
//! retries of what is safe to retry. Nothing here logs a token or a body.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderValue;
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::auth::TokenMinter;
use super::config::PlatformConfig;
use super::error::{Context, PlatformError, TransportFailure};
use super::observer::CallObserver;
use super::pacing::{PaceKey, Pacer};
use super::retry::{RetryPolicy, is_transient_status, retry_after};

/// The header that carries the raw JWT (no `Bearer`).
pub const AUTH_HEADER: &str = "auth";

/// What a request sends, rebuilt for every attempt.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(serde_json::Value),
    /// `uploadfile`'s multipart form.
    Upload {
        bytes: Bytes,
        file_name: String,
        extension: &'static str,
    },
}

/// One platform call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub at: Context,
    pub method: Method,
    /// After the API prefix, starting with `/`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
    pub pace: PaceKey,
    /// Not to be sent twice (import, training, publish): an attempt that may
    /// have been carried out is never repeated here; the operation checks
    /// first whether it took effect.
    pub once: bool,
}

impl Call {
    pub fn new(at: Context, method: Method, path: String, pace: PaceKey) -> Self {
        Call {
            at,
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            pace,
            once: false,
        }
    }

    /// The same call, marked as not to be sent twice.
    pub fn once(self) -> Self {
        Call { once: true, ..self }
    }
}

/// An attempt that failed, and whether to try again.
pub(crate) enum Failure {
    Final(PlatformError),
    Transient(PlatformError, Option<Duration>),
}

/// The shared HTTP machinery.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    pub client: reqwest::Client,
    api_base: String,
    minter: TokenMinter,
    pacer: Pacer,
    pub retry: RetryPolicy,
    request_timeout: Duration,
    answer_limit: u64,
    observer: Option<Arc<dyn CallObserver>>,
}

impl Http {
    pub fn new(config: &PlatformConfig, minter: TokenMinter) -> Result<Self, reqwest::Error> {
        let builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("kore-gitops/", env!("CARGO_PKG_VERSION")));
        let client = super::network::apply(builder, &config.network)?.build()?;
        Ok(Http {
            client,
            api_base: config.api_base(),
            minter,
            pacer: Pacer::new(config.budget),
            retry: config.retry,
            request_timeout: config.request_timeout,
            answer_limit: config.answer_limit,
            observer: config.observer.clone(),
        })
    }

    /// How long until `calls` calls under `key` would be due (see
    /// [`Pacer::turn`]); zero when they fit now.
    pub fn budget_wait(&self, key: &PaceKey, calls: u32) -> Duration {
        let now = Instant::now();
        self.pacer
            .turn(key, calls, now)
            .saturating_duration_since(now)
    }

    /// Sends `call`, retrying transient failures, and decodes the JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, call: &Call) -> Result<T, PlatformError> {
        let body = self.send(call).await?;
        decode(&call.at, &body)
    }

    /// Sends `call`, retrying transient failures; the body of a 2xx answer.
    pub async fn send(&self, call: &Call) -> Result<Bytes, PlatformError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let queued = Instant::now();
            self.pacer.acquire(&call.pace).await;
            if let Some(observer) = &self.observer {
                let waited = queued.elapsed();
                if waited >= PACING_REPORTED_FROM {
                    observer.paced(waited);
                }
            }
            let (error, wait_hint) = match self.attempt(call, attempt).await {
                Ok(body) => return Ok(body),
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Transient(error, _))
                    if call.once && error.may_have_been_carried_out() =>
                {
                    return Err(error);
                }
                Err(Failure::Transient(error, hint)) => (error, hint),
            };
            let Some(wait) = self
                .retry
                .delay(attempt, wait_hint, rand::random_range(0.0..=1.0))
            else {
                return Err(error);
            };
            tracing::debug!(op = %call.at.op, attempt, wait_ms = wait.as_millis() as u64,
                error = %error, "retrying platform call");
            if let Some(observer) = &self.observer {
                observer.retry(call.at.op);
            }
            super::idle::idle(tokio::time::sleep(wait)).await;
        }
    }

    async fn attempt(&self, call: &Call, attempt: u32) -> Result<Bytes, Failure> {
        let token = self.minter.mint().map_err(|source| {
            Failure::Final(PlatformError::Auth {
                at: call.at.clone(),
                source,
            })
        })?;
        let mut auth = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
            let detail = "the minted token is not a valid header value".to_owned();
            Failure::Final(PlatformError::UnexpectedResponse {
                at: call.at.clone(),
                detail,
            })
        })?;
        auth.set_sensitive(true);
        let url = format!("{}{}", self.api_base, call.path);
        let mut request = self
            .client
            .request(call.method.clone(), url)
            .header(AUTH_HEADER, auth);
        request = request.timeout(self.request_timeout).query(&call.query);
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        request = attach_body(request, &call.body);
        let started = Instant::now();
        let outcome = read_answer(&call.at, request.send().await, self.answer_limit).await;
        let status = log_call(call, attempt, started, &outcome);
        if let Some(observer) = &self.observer {
            observer.call(call.at.op, (status != 0).then_some(status));
        }
        outcome.into_result()
    }
}

fn attach_body(request: reqwest::RequestBuilder, body: &Body) -> reqwest::RequestBuilder {
    match body {
        Body::Empty => request,
        Body::Json(value) => request.json(value),
        Body::Upload {
            bytes,
            file_name,
            extension,
        } => {
            let part =
                reqwest::multipart::Part::stream_with_length(bytes.clone(), bytes.len() as u64)
                    .file_name(file_name.clone());
            let form = reqwest::multipart::Form::new()
                .part("file", part)
                .text("fileContext", "bulkImport")
                .text("fileExtension", *extension);
            request.multipart(form)
        }
    }
}

/// An answer (or its absence), before deciding what it means.
pub(crate) enum Answer {
    Body(StatusCode, Bytes),
    Failed(StatusCode, Failure),
    Unanswered(Failure),
}

impl Answer {
    fn into_result(self) -> Result<Bytes, Failure> {
        match self {
            Answer::Body(_, body) => Ok(body),
            Answer::Failed(_, failure) | Answer::Unanswered(failure) => Err(failure),
        }
    }
}

/// Reads a whole answer (at most `limit` bytes) and classifies it.
async fn read_answer(at: &Context, sent: Result<Response, reqwest::Error>, limit: u64) -> Answer {
    let response = match sent {
        Ok(response) => response,
        Err(error) => return Answer::Unanswered(transport(at, &error)),
    };
    let status = response.status();
    let wait_hint = retry_after(response.headers());
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no content type")
        .to_owned();
    let too_large = |at, limit| PlatformError::AnswerTooLarge { at, limit };
    let body = match read_capped(at, response, limit, too_large).await {
        Ok(body) => body,
        Err(failure) => return Answer::Failed(status, failure),
    };
    if !looks_like_json(&body) && (status.is_success() || !body.trim_ascii().is_empty()) {
        let error = not_json(at, status, content_type, &body);
        return Answer::Failed(status, Failure::Transient(error, wait_hint));
    }
    if status.is_success() {
        return Answer::Body(status, body);
    }
    let error = PlatformError::Api {
        at: at.clone(),
        status: status.as_u16(),
        message: platform_message(&body),
    };
    let failure = if is_transient_status(status) {
        Failure::Transient(error, wait_hint)
    } else {
        Failure::Final(error)
    };
    Answer::Failed(status, failure)
}

/// The body, refused past `limit` bytes (announced or streamed): a platform
/// answer is never allowed to take the daemon's memory. `too_large` names
/// the error (an API answer's or a download's).
pub(crate) async fn read_capped(
    at: &Context,
    mut response: Response,
    limit: u64,
    too_large: fn(Context, u64) -> PlatformError,
) -> Result<Bytes, Failure> {
    let refuse = || Failure::Final(too_large(at.clone(), limit));
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(refuse());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(at, &e))? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(refuse());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether a body can be the platform's JSON: every answer of the API is an
/// object or an array.
fn looks_like_json(body: &[u8]) -> bool {
    matches!(body.trim_ascii_start().first(), Some(b'{' | b'['))
}

/// How many characters of a foreign page a message quotes.
const PREVIEW_CHARS: usize = 60;

fn not_json(at: &Context, status: StatusCode, content_type: String, body: &[u8]) -> PlatformError {
    let text = String::from_utf8_lossy(body);
    let preview: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(PREVIEW_CHARS)
        .collect();
    PlatformError::NotJson {
        at: at.clone(),
        status: status.as_u16(),
        content_type,
        preview: if preview.trim().is_empty() {
            "(an empty body)".to_owned()
        } else {
            preview
        },
    }
}

/// Logs one attempt; returns its HTTP status (0: no answer).
fn log_call(call: &Call, attempt: u32, started: Instant, answer: &Answer) -> u16 {
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let status = match answer {
        Answer::Body(status, _) | Answer::Failed(status, _) => status.as_u16(),
        Answer::Unanswered(_) => 0,
    };
    let bot = call.at.bot.as_ref().map(|bot| bot.as_str()).unwrap_or("-");
    tracing::debug!(op = %call.at.op, method = %call.method, path = %call.path, status,
        elapsed_ms, bot, attempt, "platform call");
    status
}

/// Pacing waits shorter than this are not worth reporting (they are the
/// scheduler's noise, not the rate limit).
const PACING_REPORTED_FROM: Duration = Duration::from_millis(5);

/// A request that got no (complete) answer: always worth another attempt.
/// An untrusted certificate is final: asking again within the retry budget
/// meets the same certificate.
pub(crate) fn transport(at: &Context, error: &reqwest::Error) -> Failure {
    let detail = error_chain(error);
    let failure = if error.is_timeout() {
        TransportFailure::Timeout
    } else if detail.contains("invalid peer certificate") {
        TransportFailure::Untrusted
    } else if error.is_connect() {
        TransportFailure::Connect
    } else {
        TransportFailure::Interrupted
    };
    let error = PlatformError::Transport {
        at: at.clone(),
        failure,
        detail,
    };
    match failure {
        TransportFailure::Untrusted => Failure::Final(error),
        _ => Failure::Transient(error, None),
    }
}

/// The error and its causes on one line, without the URL (download links are signed).
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        // The host, so a connect error says where; never the path or the
        // query (a download link is signed).
        let origin = url.origin().ascii_serialization();
        text = text.replace(url.as_str(), &format!("{origin}/…"));
    }
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The longest piece of a non-JSON error body quoted in a message.
const MESSAGE_CHARS: usize = 200;

/// The platform's `errors[].msg` (joined), or a short quote of the body.
pub fn platform_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let messages = error_messages(&value["errors"]);
        if !messages.is_empty() {
            return messages.join("; ");
        }
        if let Some(message) = value["message"].as_str().or(value["error"].as_str()) {
            return message.to_owned();
        }
    }
    let text = String::from_utf8_lossy(body);
    let quoted: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MESSAGE_CHARS)
        .collect();
    if quoted.trim().is_empty() {
        "(no message)".to_owned()
    } else {
        quoted
    }
}

/// The `msg` of each entry of a platform `errors` list.
pub fn error_messages(errors: &serde_json::Value) -> Vec<&str> {
    let entries = errors.as_array().map(Vec::as_slice).unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| entry["msg"].as_str())
        .collect()
}

/// Decodes a JSON answer. A failure names the position, never the offending
/// value (which could be a secret).
pub fn decode<T: DeserializeOwned>(at: &Context, body: &[u8]) -> Result<T, PlatformError> {
    serde_json::from_slice(body).map_err(|error| PlatformError::UnexpectedResponse {
        at: at.clone(),
        detail: format!(
            "{:?} error in the JSON at line {} column {}",
            error.classify(),
            error.line(),
            error.column()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::error::Operation;

    #[test]
    fn platform_messages_come_from_the_error_envelope() {
        let body = br#"{"errors":[{"msg":"Invalid file id","code":400},{"msg":"again"}]}"#;
        assert_eq!(platform_message(body), "Invalid file id; again");
        assert_eq!(platform_message(br#"{"message":"nope"}"#), "nope");
        assert_eq!(
            platform_message(b"<html>Bad Gateway</html>"),
            "<html>Bad Gateway</html>"
        );
        assert_eq!(platform_message(b""), "(no message)");
        assert_eq!(platform_message(&[b'x'; 1000]).len(), MESSAGE_CHARS);
    }

    #[test]
    fn decode_errors_do_not_quote_values() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Answer {
            count: u64,
        }
        let at = Context::new(Operation::ListBots, None);
        let err = decode::<Answer>(&at, br#"{"count":"hunter2-secret"}"#).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("line 1"), "{shown}");
    }
}
