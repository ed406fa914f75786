//! What the platform client needs to know: where, as whom, and how patiently.

use std::time::Duration;

use std::sync::Arc;

use super::archive::Limits;
use super::auth::Credentials;
use super::observer::CallObserver;
use super::pacing::Budget;
use super::retry::RetryPolicy;
use crate::network::NetworkSettings;

/// The API prefix the documentation uses (some samples say `/api/1.1/public`).
pub const DEFAULT_API_PREFIX: &str = "/api/public";
/// How long one API request may take, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long establishing a connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one export download may take.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(300);
/// The largest export download accepted.
pub const DOWNLOAD_LIMIT: u64 = 128 * 1024 * 1024;
/// The largest JSON answer accepted (a Get Bots page or a job status is a
/// few kilobytes; export archives come through the download, not here).
pub const ANSWER_LIMIT: u64 = 16 * 1024 * 1024;
/// The first wait between two polls of a job's status (it doubles from there).
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The longest wait between two polls of a job's status.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(15);
/// How long a job may run before the wait gives up.
pub const JOB_DEADLINE: Duration = Duration::from_secs(15 * 60);
/// Exports started per call to `export` when links expire or zips arrive damaged.
pub const EXPORT_ATTEMPTS: u32 = 3;

/// The platform client's configuration. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// `https://platform.kore.ai`, `https://bots.kore.ai`, an on-premises host…
    pub base_url: reqwest::Url,
    /// Path prefix of the public API, [`DEFAULT_API_PREFIX`] unless configured.
    pub api_prefix: String,
    pub credentials: Credentials,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub download_timeout: Duration,
    pub download_limit: u64,
    pub answer_limit: u64,
    pub archive_limits: Limits,
    pub retry: RetryPolicy,
    pub budget: Budget,
    pub poll_interval: Duration,
    pub max_poll_interval: Duration,
    pub job_deadline: Duration,
    pub export_attempts: u32,
    /// Told about every call, retry and pacing wait (metrics), when set.
    pub observer: Option<Arc<dyn CallObserver>>,
    /// Certificate authorities trusted beyond the system's store and the
    /// bundled roots, and the proxy; none by default (the configuration
    /// fills them from `ca_file`, `proxy` and the environment).
    pub network: NetworkSettings,
}

impl PlatformConfig {
    /// A configuration with every default for the given host and app.
    pub fn new(base_url: reqwest::Url, credentials: Credentials) -> Self {
        PlatformConfig {
            base_url,
            api_prefix: DEFAULT_API_PREFIX.to_owned(),
            credentials,
            request_timeout: REQUEST_TIMEOUT,
            connect_timeout: CONNECT_TIMEOUT,
            download_timeout: DOWNLOAD_TIMEOUT,
            download_limit: DOWNLOAD_LIMIT,
            answer_limit: ANSWER_LIMIT,
            archive_limits: Limits::default(),
            retry: RetryPolicy::default(),
            budget: Budget::default(),
            poll_interval: POLL_INTERVAL,
            max_poll_interval: MAX_POLL_INTERVAL,
            job_deadline: JOB_DEADLINE,
            export_attempts: EXPORT_ATTEMPTS,
            observer: None,
            network: NetworkSettings::default(),
        }
    }

    /// `base_url` and `api_prefix` joined, without a trailing slash.
    pub fn api_base(&self) -> String {
        let host = self.base_url.as_str().trim_end_matches('/');
        let prefix = self.api_prefix.trim_matches('/');
        if prefix.is_empty() {
            host.to_owned()
        } else {
            format!("{host}/{prefix}")
        }
    }
}
