//! Downloading an export from its signed link: no `auth` header, streamed with a
//! size cap, retried on transient failures; an expired link is reported so the
//! caller can export again.

use bytes::Bytes;
use tokio::time::Instant;

use super::error::{Context, PlatformError};
use super::http::{Failure, Http, platform_message, read_capped, transport};
use super::retry::{is_transient_status, retry_after};

/// Statuses a signed link answers once it has expired or been revoked.
const EXPIRED: [u16; 3] = [403, 404, 410];

/// The result of fetching a link.
#[derive(Debug)]
pub(crate) enum Fetched {
    Bytes(Bytes),
    Expired(u16),
}

impl Http {
    /// Fetches `url` (whole, at most `limit` bytes), retrying transient failures.
    pub(crate) async fn download(
        &self,
        at: &Context,
        url: &str,
        limit: u64,
        timeout: std::time::Duration,
    ) -> Result<Fetched, PlatformError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let outcome = self.fetch_once(at, url, limit, timeout).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            tracing::debug!(op = %at.op, bot = ?at.bot.as_ref().map(|b| b.as_str()), attempt,
                elapsed_ms, ok = outcome.is_ok(), "export download");
            let (error, hint) = match outcome {
                Ok(fetched) => return Ok(fetched),
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Transient(error, hint)) => (error, hint),
            };
            let jitter = rand::random_range(0.0..=1.0);
            let Some(wait) = self.retry.delay(attempt, hint, jitter) else {
                return Err(error);
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn fetch_once(
        &self,
        at: &Context,
        url: &str,
        limit: u64,
        timeout: std::time::Duration,
    ) -> Result<Fetched, Failure> {
        let sent = self.client.get(url).timeout(timeout).send().await;
        let response = sent.map_err(|error| transport(at, &error))?;
        let status = response.status();
        if EXPIRED.contains(&status.as_u16()) {
            return Ok(Fetched::Expired(status.as_u16()));
        }
        if !status.is_success() {
            let hint = retry_after(response.headers());
            let body = response.bytes().await.unwrap_or_default();
            let message = platform_message(&body);
            let error = PlatformError::Api {
                at: at.clone(),
                status: status.as_u16(),
                message,
            };
            return Err(if is_transient_status(status) {
                Failure::Transient(error, hint)
            } else {
                Failure::Final(error)
            });
        }
        let too_large = |at, limit| PlatformError::DownloadTooLarge { at, limit };
        let body = read_capped(at, response, limit, too_large).await?;
        Ok(Fetched::Bytes(body))
    }
}
