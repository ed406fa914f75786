//! The validated configuration, and how it is built from the raw table.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

pub use crate::desired::DriftPolicy;

use super::network::{EnvProxies, build_network};
use super::outcomes::{NotifySettings, StatusSettings, build_notify, build_statuses};
use super::reader::{Overrides, Section, unknown_sections};
use super::{Env, Purpose};
use crate::network::NetworkSettings;

/// Default interval between two fetches of the repository.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// Default interval after which every bot is reconciled even without a change.
pub const DEFAULT_RESYNC_INTERVAL: Duration = Duration::from_secs(600);
/// How often an idle bot is exported in full although its change log shows
/// nothing (each bot at its own moment within the last quarter of it).
pub const DEFAULT_FULL_RESYNC_INTERVAL: Duration = Duration::from_secs(6 * 3600);

/// How long a stop signal waits for passes in flight: under the 60 s
/// `terminationGracePeriodSeconds` of `deploy/kubernetes`.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Default cap on open HTTP connections: probes, a scraper and webhook
/// deliveries need a handful, and each one holds a file descriptor.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// Default platform request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default platform connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default first wait between two polls of a job's status.
pub const DEFAULT_JOB_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default deadline for one platform job (export, import, training, publish).
pub const DEFAULT_JOB_TIMEOUT: Duration = Duration::from_secs(600);

/// The name the one-platform shorthand `[platform]` stands for: the platform
/// of every folder and environment that names none.
pub use crate::desired::DEFAULT_PLATFORM;

/// The whole, validated configuration.
#[derive(Debug)]
pub struct Config {
    /// Where the bot definitions come from.
    pub git: GitConfig,
    /// The Kore.ai platforms by name: `[platforms.<name>]`, and `[platform]`
    /// as [`DEFAULT_PLATFORM`]. Never empty.
    pub platforms: BTreeMap<String, PlatformSettings>,
    /// How the daemon runs.
    pub daemon: DaemonConfig,
    /// Commit statuses on the git host (`[statuses]`), when configured.
    pub statuses: Option<StatusSettings>,
    /// Notifications (`[notify]`), when configured.
    pub notify: NotifySettings,
    /// App Builder apps that run batch test suites, by name (`[test_apps.x]`).
    pub test_apps: std::collections::BTreeMap<String, super::TestApp>,
}

/// The bot repository.
#[derive(Debug, Clone)]
pub struct GitConfig {
    /// Remote URL (https, ssh, file://) or local path.
    pub url: String,
    /// The branch whose head is reconciled.
    pub branch: String,
    /// The folder that holds one folder per bot.
    pub bots_dir: String,
    /// How often the remote is fetched.
    pub poll_interval: Duration,
    /// How to authenticate to the remote.
    pub auth: GitAuth,
    /// `ca_file` and the proxy (explicit, or from the environment).
    pub network: NetworkSettings,
}

/// Credentials for the git remote.
#[derive(Debug, Clone)]
pub enum GitAuth {
    /// None needed (local path, file://, public https).
    None,
    /// An https token (sent as the password).
    Token(SecretString),
    /// An ssh private key file.
    SshKey(PathBuf),
}

/// The platform connection.
#[derive(Debug)]
pub struct PlatformSettings {
    /// e.g. `https://bots.kore.ai`, or the simulator's address.
    pub host: String,
    /// `/api/public` unless the host uses `/api/1.1/public`.
    pub api_prefix: String,
    /// The app's client id (`cs-…`).
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// The app enforces JWE-wrapped tokens (not supported; refused clearly).
    pub jwe: bool,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Deadline for one asynchronous job.
    pub job_timeout: Duration,
    /// First wait between two polls of a job's status (it doubles from there).
    pub job_poll_interval: Duration,
    /// `ca_file` and the proxy (explicit, or from the environment).
    pub network: NetworkSettings,
}

/// How the daemon runs.
#[derive(Debug)]
pub struct DaemonConfig {
    /// The mirror, and anything else kept between runs.
    pub state_dir: PathBuf,
    /// How many bots are reconciled at once.
    pub concurrency: usize,
    /// Every bot is reconciled at least this often.
    pub resync_interval: Duration,
    /// An in-sync bot whose change log shows nothing is still exported in
    /// full at least this often (a resync in between costs one change-log call).
    pub full_resync_interval: Duration,
    /// How long a stop signal waits for passes in flight before stopping them.
    pub shutdown_grace: Duration,
    /// The default drift policy (a bot's `bot.toml` may override it).
    pub drift: DriftPolicy,
    /// Compute and report, but never import or publish.
    pub dry_run: bool,
    /// Address of the HTTP endpoints (health, metrics, webhook), if any.
    pub listen: Option<SocketAddr>,
    /// Most connections the HTTP endpoints keep open at once.
    pub max_connections: usize,
    /// The push-webhook secret; the webhook is refused without one.
    pub webhook_secret: Option<SecretString>,
    /// The bearer token of `POST /trigger/{bot}`; refused without one.
    pub trigger_token: Option<SecretString>,
    /// Only these environments are reconciled (`None`: every one); a folder
    /// without environments counts as the platform it targets being named.
    pub environments: Option<Vec<String>>,
    /// Where bot variable secrets are read from (`<dir>/<name>`); the
    /// repository names a secret, never holds its value.
    pub secrets_dir: Option<PathBuf>,
}

/// Where the raw settings came from: the file's name and the settings the
/// environment set.
pub(super) type Origin<'a> = (&'a str, &'a Overrides);

/// Builds the configuration for `purpose`, recording every problem.
pub(super) fn build(
    root: &toml::Table,
    origin: Origin<'_>,
    (env, purpose): (&Env, Purpose),
    problems: &mut Vec<String>,
) -> Option<Config> {
    unknown_sections(root, origin.0, problems);
    let from_env = EnvProxies::read(env, problems);
    let mut section = Section::new(root, "git", origin, problems);
    let git = build_git(&mut section, env, &from_env);
    section.finish();
    let platforms = super::platforms::build(root, origin, (env, &from_env), problems);
    let mut section = Section::new(root, "daemon", origin, problems);
    let daemon = build_daemon(&mut section, env, purpose);
    section.finish();
    let mut section = Section::new(root, "statuses", origin, problems);
    let statuses = build_statuses(&mut section, env, purpose);
    section.finish();
    let mut section = Section::new(root, "notify", origin, problems);
    let notify = build_notify(&mut section, env, purpose);
    section.finish();
    let test_apps = super::test_apps::build(root, origin.0, env, problems);
    Some(Config {
        git: git?,
        platforms: platforms?,
        daemon: daemon?,
        statuses: statuses?,
        notify: notify?,
        test_apps,
    })
}

fn build_git(s: &mut Section<'_>, env: &Env, from_env: &EnvProxies) -> Option<GitConfig> {
    let url = s.required("url");
    let branch = s.string("branch").unwrap_or_else(|| "main".to_owned());
    let bots_dir = s.string("bots_dir").unwrap_or_else(|| "bots".to_owned());
    let poll_interval = s.duration("poll_interval").unwrap_or(DEFAULT_POLL_INTERVAL);
    let token = secret_from(s, env, "token_env", "token_file", false);
    let ssh_key = s.string("ssh_key_file").map(PathBuf::from);
    let network = build_network(s, env, from_env);
    let auth = match (token, ssh_key) {
        (Some(Some(token)), None) => GitAuth::Token(token),
        (Some(None), None) => GitAuth::None,
        (Some(None), Some(path)) => GitAuth::SshKey(path),
        (Some(Some(_)), Some(_)) => {
            s.problem(
                "ssh_key_file",
                "give either a token or an ssh key, not both",
            );
            return None;
        }
        (None, _) => return None,
    };
    Some(GitConfig {
        url: url?,
        branch,
        bots_dir,
        poll_interval,
        auth,
        network: network?,
    })
}

pub(super) fn build_platform(
    s: &mut Section<'_>,
    env: &Env,
    from_env: &EnvProxies,
) -> Option<PlatformSettings> {
    let host = s.required("host");
    if let Some(h) = &host
        && !(h.starts_with("https://") || h.starts_with("http://"))
    {
        s.problem(
            "host",
            format!("{h:?} must start with https:// (or http:// for a simulator)"),
        );
    }
    let api_prefix = s
        .string("api_prefix")
        .unwrap_or_else(|| "/api/public".to_owned());
    let client_id = s.required("client_id");
    if client_id
        .as_deref()
        .is_some_and(|id| !id.starts_with("cs-"))
    {
        s.problem("client_id", "must start with \"cs-\" (the app's Client ID)");
    }
    let secret = secret_from(s, env, "client_secret_env", "client_secret_file", true);
    let jwe = s.bool("jwe").unwrap_or(false);
    let request_timeout = s
        .duration("request_timeout")
        .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
    let connect_timeout = s
        .duration("connect_timeout")
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let job_timeout = s.duration("job_timeout").unwrap_or(DEFAULT_JOB_TIMEOUT);
    let job_poll_interval = s
        .duration_at_least("job_poll_interval", Duration::from_millis(10))
        .unwrap_or(DEFAULT_JOB_POLL_INTERVAL);
    let network = build_network(s, env, from_env);
    Some(PlatformSettings {
        host: host?.trim_end_matches('/').to_owned(),
        api_prefix,
        client_id: client_id?,
        client_secret: secret??,
        jwe,
        request_timeout,
        connect_timeout,
        job_timeout,
        job_poll_interval,
        network: network?,
    })
}

fn build_daemon(s: &mut Section<'_>, env: &Env, purpose: Purpose) -> Option<DaemonConfig> {
    let state_dir = s
        .string("state_dir")
        .map_or_else(|| PathBuf::from(".kore-gitops"), PathBuf::from);
    let concurrency = s.count("concurrency", 64).unwrap_or(4);
    let max_connections = s
        .count("max_connections", 10_000)
        .unwrap_or(DEFAULT_MAX_CONNECTIONS);
    let resync_interval = s
        .duration("resync_interval")
        .unwrap_or(DEFAULT_RESYNC_INTERVAL);
    let full_resync_interval = s
        .duration("full_resync_interval")
        .unwrap_or(DEFAULT_FULL_RESYNC_INTERVAL);
    let shutdown_grace = s
        .duration("shutdown_grace")
        .unwrap_or(DEFAULT_SHUTDOWN_GRACE);
    let drift = match s.string("drift").as_deref() {
        None | Some("revert") => DriftPolicy::Revert,
        Some("report") => DriftPolicy::Report,
        Some(other) => {
            s.problem(
                "drift",
                format!("{other:?} is not \"revert\" or \"report\""),
            );
            DriftPolicy::Revert
        }
    };
    let dry_run = s.bool("dry_run").unwrap_or(false);
    // The webhook and trigger endpoints are the daemon's: a one-shot command
    // checks the keys' form but never needs their secrets.
    let daemon_secret = |s: &mut Section<'_>, env_key: &str, file_key: &str| match purpose {
        Purpose::Daemon => secret_from(s, env, env_key, file_key, false),
        Purpose::OneShot => {
            let _ = (s.string(env_key), s.string(file_key));
            Some(None)
        }
    };
    // Both before giving up, so that every problem is reported at once.
    let webhook_secret = daemon_secret(s, "webhook_secret_env", "webhook_secret_file");
    let trigger_token = daemon_secret(s, "trigger_token_env", "trigger_token_file");
    let environments = s.strings("environments");
    let secrets_dir = s.string("secrets_dir").map(PathBuf::from);
    let listen = s.string("listen").and_then(|text| match text.parse() {
        Ok(addr) => Some(addr),
        Err(_) => {
            s.problem(
                "listen",
                format!("{text:?} is not an address such as 127.0.0.1:8080"),
            );
            None
        }
    });
    Some(DaemonConfig {
        state_dir,
        concurrency,
        resync_interval,
        full_resync_interval,
        shutdown_grace,
        drift,
        dry_run,
        listen,
        max_connections,
        webhook_secret: webhook_secret?,
        trigger_token: trigger_token?,
        environments,
        secrets_dir,
    })
}

/// A secret named by an environment variable (`env_key`) or a file
/// (`file_key`). Outer `None`: a problem was recorded. Inner `None`: neither
/// key given (a problem too when `required`).
pub(super) fn secret_from(
    s: &mut Section<'_>,
    env: &Env,
    env_key: &str,
    file_key: &str,
    required: bool,
) -> Option<Option<SecretString>> {
    match (s.string(env_key), s.string(file_key)) {
        (Some(_), Some(_)) => {
            s.problem(
                env_key,
                format!("give either {env_key} or {file_key}, not both"),
            );
            None
        }
        (Some(var), None) => match env.get(&var) {
            Some(value) if !value.is_empty() => Some(Some(SecretString::from(value.to_owned()))),
            _ => {
                s.problem(env_key, format!("environment variable {var} is not set"));
                None
            }
        },
        (None, Some(path)) => match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => {
                Some(Some(SecretString::from(text.trim().to_owned())))
            }
            Ok(_) => {
                s.problem(file_key, format!("{path} is empty"));
                None
            }
            Err(e) => {
                s.problem(file_key, format!("cannot read {path}: {e}"));
                None
            }
        },
        (None, None) if required => {
            s.problem(env_key, format!("is required (or {file_key})"));
            None
        }
        (None, None) => Some(None),
    }
}
