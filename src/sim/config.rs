//! Simulator configuration: job timing, rate limits, link lifetimes, approval
//! mode and the apps. Every field is optional in the TOML file so that a test
//! or a person only writes what they want to change.

use std::time::Duration;

use serde::Deserialize;

pub use super::identity::IdentityRewrite;

/// How asynchronous jobs (export, import, training, publish) finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobMode {
    /// A job is finished as soon as it is created.
    Instant,
    /// A job finishes after `job_millis`.
    Timed,
    /// A job finishes only when a test calls `POST /_sim/jobs/step`.
    Manual,
}

/// Rate limits applied to every group of the platform table.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// Requests allowed in any rolling 60 s window.
    pub per_minute: u32,
    /// Requests allowed in any rolling 3600 s window.
    pub per_hour: u32,
    /// Whether a 429 carries a `Retry-After` header (the real platform varies).
    pub retry_after: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_minute: 60,
            per_hour: 1800,
            retry_after: true,
        }
    }
}

/// How exports reorder the arrays whose order carries no meaning.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ShuffleConfig {
    /// Whether exports shuffle every set (on by default: the harshest platform).
    pub enabled: bool,
    /// The seed; each export mixes in its number, so a run replays exactly.
    pub seed: u64,
}

impl Default for ShuffleConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            seed: 0,
        }
    }
}

impl ShuffleConfig {
    /// The shuffle seed of a bot's export number `seq`, when shuffling is on.
    pub fn seed_for(&self, seq: u64) -> Option<u64> {
        self.enabled
            .then(|| super::shuffle::export_seed(self.seed, seq))
    }
}

/// One API app (a client id and secret) of the simulated account.
#[derive(Debug, Clone, Deserialize)]
pub struct AppConfig {
    /// The name tests use to find the app in the credentials.
    pub name: String,
    /// `admin` (Admin Console) or `builder` (App Builder).
    pub kind: String,
    /// API scopes: `bots`, `export`, `upload`, `import`, `train`, `publish`,
    /// `testsuite` (Batch Tests Management), `testrun` (Batch Tests Execution).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether every token must carry a fresh `jti` and `exp` at most 1 h ahead.
    #[serde(default)]
    pub jti_enforced: bool,
    /// Fixed client id; derived from the name when absent.
    pub client_id: Option<String>,
    /// Fixed client secret; derived from the name when absent.
    pub client_secret: Option<String>,
    /// An App Builder app's own bot (a seed name or a bot id): the only bot
    /// it may reach. The first seed when absent.
    #[serde(default)]
    pub bot: Option<String>,
}

/// Everything that shapes the simulator's behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// How jobs finish.
    pub job_mode: JobMode,
    /// How long a job takes in `timed` mode.
    pub job_millis: u64,
    /// Rate limits.
    pub rate_limits: RateLimitConfig,
    /// Lifetime of a signed download link.
    pub link_ttl_secs: u64,
    /// Lifetime of an uploaded file id.
    pub file_ttl_secs: u64,
    /// Whether publishes end in `awaitingApproval`.
    pub approval: bool,
    /// The apps of the account; the four defaults when absent.
    pub apps: Vec<AppConfig>,
    /// Synthetic bots cloned from the first seed (for paging tests).
    pub extra_bots: usize,
    /// What exports report in `environmentVersionInfo`.
    pub platform_version: String,
    /// One job per bot at a time, whatever its kind (409 otherwise); off:
    /// one job per bot and kind. The documentation says only that a
    /// conflicting job answers 409, so the harsher reading is the default.
    pub exclusive_jobs: bool,
    /// How exports reorder sets.
    pub shuffle: ShuffleConfig,
    /// How much of the target bot's identity an import stamps (`identity.rs`).
    pub identity_rewrite: IdentityRewrite,
    /// Whether each seed is stamped with the simulator's id for it (as a real
    /// bot's export carries the bot's own ids), by `identity_rewrite`. Off by
    /// default, so a seed is served exactly as given.
    pub stamp_seeds: bool,
    /// How many of the latest calls the request log (`/_sim/requests`)
    /// keeps; older ones are forgotten so a simulator serving a daemon for
    /// hours does not grow without bound. The counters of `/_sim/stats`
    /// count every call whatever this is.
    pub request_log_entries: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            job_mode: JobMode::Timed,
            job_millis: 1500,
            rate_limits: RateLimitConfig::default(),
            link_ttl_secs: 300,
            file_ttl_secs: 4 * 3600,
            approval: false,
            apps: default_apps(),
            extra_bots: 0,
            platform_version: "9.1.7".to_owned(),
            exclusive_jobs: true,
            shuffle: ShuffleConfig::default(),
            identity_rewrite: IdentityRewrite::default(),
            stamp_seeds: false,
            request_log_entries: DEFAULT_REQUEST_LOG_ENTRIES,
        }
    }
}

impl SimConfig {
    /// A configuration whose jobs finish at once: what tests usually want.
    pub fn instant() -> Self {
        Self {
            job_mode: JobMode::Instant,
            ..Self::default()
        }
    }

    /// The job duration in `timed` mode.
    pub fn job_duration(&self) -> Duration {
        Duration::from_millis(self.job_millis)
    }
}

/// The request log's default length: every call of a test (the largest run
/// a few thousand) and over an hour of a 1000-bot idle daemon, in about 5 MB.
pub const DEFAULT_REQUEST_LOG_ENTRIES: usize = 20_000;

/// Every API scope the simulator knows.
pub const ALL_SCOPES: &[&str] = &[
    "bots",
    "export",
    "upload",
    "import",
    "train",
    "publish",
    "testsuite",
    "testrun",
];

fn app(name: &str, kind: &str, scopes: &[&str], jti_enforced: bool) -> AppConfig {
    AppConfig {
        name: name.to_owned(),
        kind: kind.to_owned(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        jti_enforced,
        client_id: None,
        client_secret: None,
        bot: None,
    }
}

/// The default apps: `admin`, `builder`, `jti` and `noscope`.
pub fn default_apps() -> Vec<AppConfig> {
    vec![
        app("admin", "admin", ALL_SCOPES, false),
        app(
            "builder",
            "builder",
            &["export", "upload", "train", "testsuite", "testrun"],
            false,
        ),
        app("jti", "admin", ALL_SCOPES, true),
        app("noscope", "admin", &[], false),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_log_length_is_read_from_the_file_and_generous_by_default() {
        let config: SimConfig = toml::from_str("request_log_entries = 50").unwrap();
        assert_eq!(config.request_log_entries, 50);
        assert_eq!(config.job_millis, SimConfig::default().job_millis);
        let default = SimConfig::default().request_log_entries;
        assert_eq!(default, DEFAULT_REQUEST_LOG_ENTRIES);
        assert!(default >= 10_000, "a test's calls all fit");
    }
}
