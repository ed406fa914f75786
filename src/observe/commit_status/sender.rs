//! Posting one status: paced, retried on what may pass (429, 5xx, no
//! answer), given up on what will not; a refusal is logged once, with the
//! host's reason, and the token is never in a log line.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use tokio::time::Instant;

use super::hosts::{Status, authorization, request};
use crate::config::StatusSettings;
use crate::ids::CommitId;

/// Tries per status, the first included.
const ATTEMPTS: u32 = 4;
/// First wait before a retry; it doubles.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest `Retry-After` honoured; a longer one gives the status up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Per-request timeout: a host that hangs must not pile statuses up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a refusal's body is quoted in the log.
const MAX_REASON: usize = 200;

/// What became of one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// The host took it.
    Accepted,
    /// The host answered no (auth, permissions, unknown repository, invalid).
    Refused(u16),
    /// No usable answer after every try.
    GaveUp,
}

/// The client of one host's status API.
#[derive(Debug)]
pub struct Sender {
    http: reqwest::Client,
    settings: StatusSettings,
    last_request: Option<Instant>,
    /// Refusal codes already logged at warn since the last accepted status.
    refusals_logged: BTreeSet<u16>,
}

impl Sender {
    /// A client for `settings`.
    pub fn new(settings: StatusSettings) -> Sender {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("kore-gitops/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Sender {
            http,
            settings,
            last_request: None,
            refusals_logged: BTreeSet::new(),
        }
    }

    /// Posts `status` on `commit`.
    pub async fn post(&mut self, commit: CommitId, status: &Status) -> Posted {
        let (url, body) = request(&self.settings, commit, status);
        let auth = authorization(self.settings.provider, self.settings.token.expose_secret());
        for attempt in 0..ATTEMPTS {
            self.pace().await;
            let sent = self
                .http
                .post(&url)
                .header(reqwest::header::AUTHORIZATION, &auth)
                .header(reqwest::header::ACCEPT, "application/json")
                .json(&body)
                .send()
                .await;
            let wait = match sent {
                Ok(response) if response.status().is_success() => {
                    self.refusals_logged.clear();
                    return Posted::Accepted;
                }
                Ok(response) if retryable(response.status()) => match retry_after(&response) {
                    Some(wait) if wait > MAX_RETRY_AFTER => break,
                    Some(wait) => wait,
                    None => FIRST_BACKOFF * 2u32.pow(attempt),
                },
                Ok(response) => {
                    let code = response.status().as_u16();
                    let reason = self.reason(response).await;
                    self.log_refusal(code, &reason, status, commit);
                    return Posted::Refused(code);
                }
                Err(e) => {
                    tracing::debug!(context = %status.context, error = %self.scrub(&e.to_string()), "commit status not sent; retrying");
                    FIRST_BACKOFF * 2u32.pow(attempt)
                }
            };
            if attempt + 1 < ATTEMPTS {
                tokio::time::sleep(wait).await;
            }
        }
        tracing::warn!(provider = self.settings.provider.name(), context = %status.context, %commit, "could not post the commit status: the host did not answer usably");
        Posted::GaveUp
    }

    /// Waits out the least interval since the previous request.
    async fn pace(&mut self) {
        if let Some(last) = self.last_request {
            tokio::time::sleep_until(last + self.settings.min_interval).await;
        }
        self.last_request = Some(Instant::now());
    }

    fn log_refusal(&mut self, code: u16, reason: &str, status: &Status, commit: CommitId) {
        let provider = self.settings.provider.name();
        if self.refusals_logged.insert(code) {
            tracing::warn!(
                provider, status = code, reason, context = %status.context, %commit,
                "the git host refuses commit statuses (logged once; the passes go on)"
            );
        } else {
            tracing::debug!(provider, status = code, context = %status.context, "commit status refused again");
        }
    }

    /// The host's own words: a JSON `message` (or `error`), or the body's start.
    async fn reason(&self, response: reqwest::Response) -> String {
        let text = response.text().await.unwrap_or_default();
        let from_json = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                ["message", "error", "errors"].iter().find_map(|k| {
                    v.get(*k)
                        .map(|m| m.as_str().map_or(m.to_string(), str::to_owned))
                })
            });
        let reason: String = from_json.unwrap_or(text).chars().take(MAX_REASON).collect();
        self.scrub(&reason)
    }

    /// `text` without the token, should a host echo it back.
    fn scrub(&self, text: &str) -> String {
        let token = self.settings.token.expose_secret();
        if token.is_empty() {
            return text.to_owned();
        }
        text.replace(token, "[redacted]")
    }
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}
