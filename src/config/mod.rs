//! Configuration: one TOML file plus `KORE_GITOPS_<SECTION>_<KEY>` environment
//! overrides, validated into a [`Config`] with every problem reported at once.
//!
//! This is the only module that reads the environment. Secrets are never in
//! the file itself: it names the environment variable or file that holds them.
//!
//! ```toml
//! [git]
//! url = "https://git.example.com/team/bots.git"   # or ssh://, file://, a local path
//! branch = "main"
//! bots_dir = "bots"
//! poll_interval = "30s"
//! token_env = "GIT_TOKEN"          # https: token from this variable (or token_file)
//! # ssh_key_file = "/etc/kore-gitops/id_ed25519"
//! # ca_file = "/etc/kore-gitops-ca/ca.pem"   # also in [platform]: see config::network
//! # proxy = "http://proxy.corp:3128"          # or proxy_env/proxy_file; default: HTTPS_PROXY
//!
//! [platform]
//! host = "https://bots.kore.ai"
//! client_id = "cs-…"
//! client_secret_env = "KORE_CLIENT_SECRET"   # or client_secret_file
//!
//! # [platforms.<name>]: more platforms, each with the keys of [platform]
//! # (which is the platform named "default"), for bot environments.
//!
//! [daemon]
//! state_dir = "/var/lib/kore-gitops"
//! concurrency = 4
//! resync_interval = "10m"
//! full_resync_interval = "6h"     # in-sync bots are exported at least this often
//! shutdown_grace = "30s"
//! drift = "revert"                 # or "report"
//! dry_run = false
//! ```

mod model;
mod network;
mod outcomes;
mod platforms;
mod reader;
mod test_apps;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

pub use platforms::is_platform_name;

pub use model::{
    Config, DEFAULT_MAX_CONNECTIONS, DEFAULT_PLATFORM, DaemonConfig, DriftPolicy, GitAuth,
    GitConfig, PlatformSettings,
};
pub use outcomes::{NotifySettings, StatusProvider, StatusSettings};
pub use test_apps::TestApp;

/// The prefix of every environment variable kore-gitops reads.
pub const ENV_PREFIX: &str = "KORE_GITOPS_";

/// A snapshot of the environment, so that loading is testable and the process
/// environment is read in one place.
#[derive(Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl fmt::Debug for Env {
    // Values may be secrets: show names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Env {
    /// The current process environment.
    pub fn from_process() -> Env {
        Env(std::env::vars().collect())
    }

    /// An environment made of the given pairs (tests, embedding).
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Env {
        Env(pairs.into_iter().collect())
    }

    /// One variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn with_prefix(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(ENV_PREFIX).map(|rest| (rest, v.as_str())))
    }
}

/// What the configuration is loaded for: the daemon needs every secret, a
/// one-shot command (`sync`, `plan`, `pull`) not the daemon's own (the webhook
/// secret, the trigger token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `run` and `demo`.
    Daemon,
    /// `sync`, `plan`, `pull`.
    OneShot,
}

impl Env {
    /// Every `KORE_GITOPS_*` variable that is neither in `flags` (the command
    /// line's variables), nor a configuration setting, nor `named` by the
    /// configuration (a secret's `…_env`), one problem each: refused like an
    /// unknown key, because a misspelt variable silently ignored
    /// (`KORE_GITOPS_DRYRUN=true`) would make kore-gitops do what nobody
    /// asked for.
    pub fn unknown_variables(&self, flags: &[String], named: &[String]) -> Vec<String> {
        self.with_prefix()
            .filter(|(rest, _)| !reader::is_setting_variable(rest))
            .map(|(rest, _)| format!("{ENV_PREFIX}{rest}"))
            .filter(|name| !flags.contains(name) && !named.contains(name))
            .map(|name| {
                format!(
                    "{name}: unknown variable (kore-gitops reads {} and \
                     {ENV_PREFIX}<SECTION>_<KEY> for a configuration setting)",
                    flags.join(", ")
                )
            })
            .collect()
    }
}

/// The environment variables a configuration file names for its secrets
/// (every `…_env` value); empty when the file cannot be read or parsed (its
/// loading reports that).
pub fn variables_named_in(path: &Path) -> Vec<String> {
    let table: toml::Table = match std::fs::read_to_string(path).map(|t| t.parse()) {
        Ok(Ok(table)) => table,
        _ => return Vec::new(),
    };
    // Sections, and the tables within them (`[test_apps.<name>]`).
    let sections: Vec<&toml::Table> = table.values().filter_map(toml::Value::as_table).collect();
    let nested: Vec<&toml::Table> = sections
        .iter()
        .flat_map(|section| section.values().filter_map(toml::Value::as_table))
        .collect();
    sections
        .into_iter()
        .chain(nested)
        .flat_map(|section| section.iter())
        .filter(|(key, _)| key.ends_with("_env"))
        .filter_map(|(_, value)| value.as_str().map(str::to_owned))
        .collect()
}

/// Every problem found in a configuration.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// One line each, naming the file or variable and the key.
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid configuration ({} problems):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl Config {
    /// The platform named `name`.
    pub fn platform(&self, name: &str) -> Option<&PlatformSettings> {
        self.platforms.get(name)
    }

    /// Reads `path` for the daemon, applies the environment overrides and
    /// validates the result.
    pub fn load(path: &Path, env: &Env) -> Result<Config, ConfigError> {
        Config::load_for(path, env, Purpose::Daemon)
    }

    /// Like [`Config::load`], for `purpose`.
    pub fn load_for(path: &Path, env: &Env, purpose: Purpose) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            problems: vec![format!("{}: cannot read: {e}", path.display())],
        })?;
        Config::parse_for(&text, &path.display().to_string(), env, purpose)
    }

    /// Parses configuration text for the daemon; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str, env: &Env) -> Result<Config, ConfigError> {
        Config::parse_for(text, origin, env, Purpose::Daemon)
    }

    /// Like [`Config::parse`], for `purpose`.
    pub fn parse_for(
        text: &str,
        origin: &str,
        env: &Env,
        purpose: Purpose,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            problems: vec![reader::toml_problem(origin, text, &e)],
        })?;
        let (mut problems, overrides) = reader::apply_env(&mut table, env);
        let config = model::build(&table, (origin, &overrides), (env, purpose), &mut problems);
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(ConfigError { problems }),
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const MINIMAL: &str = r#"
[git]
url = "https://git.example.com/bots.git"
[platform]
host = "https://bots.kore.ai/"
client_id = "cs-1"
client_secret_env = "KORE_SECRET"
"#;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn a_minimal_file_gets_the_documented_defaults() {
        let config = Config::parse(MINIMAL, "c.toml", &env(&[("KORE_SECRET", "s3cret")])).unwrap();
        assert_eq!(config.git.branch, "main");
        assert_eq!(config.git.bots_dir, "bots");
        assert_eq!(config.git.poll_interval, model::DEFAULT_POLL_INTERVAL);
        assert_eq!(
            config.platforms[DEFAULT_PLATFORM].host,
            "https://bots.kore.ai"
        );
        assert_eq!(
            config.platforms[DEFAULT_PLATFORM]
                .client_secret
                .expose_secret(),
            "s3cret"
        );
        assert_eq!(config.daemon.concurrency, 4);
        assert_eq!(
            config.daemon.full_resync_interval,
            model::DEFAULT_FULL_RESYNC_INTERVAL
        );
        assert_eq!(config.daemon.drift, DriftPolicy::Revert);
        assert_eq!(config.daemon.shutdown_grace, model::DEFAULT_SHUTDOWN_GRACE);
        assert_eq!(config.daemon.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert!(
            !format!("{config:?}").contains("s3cret"),
            "Debug must not show the secret"
        );
    }

    #[test]
    fn environment_overrides_win_and_are_typed() {
        let vars = env(&[
            ("KORE_SECRET", "x"),
            ("KORE_GITOPS_DAEMON_CONCURRENCY", "9"),
            ("KORE_GITOPS_DAEMON_DRY_RUN", "true"),
            ("KORE_GITOPS_GIT_BRANCH", "release"),
            ("KORE_GITOPS_DAEMON_SHUTDOWN_GRACE", "5s"),
            ("KORE_GITOPS_DAEMON_MAX_CONNECTIONS", "12"),
            ("KORE_GITOPS_LOG", "debug"),
        ]);
        let config = Config::parse(MINIMAL, "c.toml", &vars).unwrap();
        assert_eq!(
            config.daemon.shutdown_grace,
            std::time::Duration::from_secs(5)
        );
        assert_eq!(config.daemon.concurrency, 9);
        assert_eq!(config.daemon.max_connections, 12);
        assert!(config.daemon.dry_run);
        assert_eq!(config.git.branch, "release");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = r#"
[git]
branch = 3
poll_interval = "soon"
colour = "blue"
[platform]
host = "bots.kore.ai"
client_id = "1234"
client_secret_env = "MISSING"
[daemon]
concurrency = 0
drift = "sometimes"
[extra]
"#;
        let vars = env(&[("KORE_GITOPS_GIT_SURPRISE", "1")]);
        let err = Config::parse(text, "c.toml", &vars).unwrap_err();
        let all = err.to_string();
        for expected in [
            "KORE_GITOPS_GIT_SURPRISE: no such setting [git] surprise",
            "c.toml: [extra]: unknown section",
            "c.toml: [git] url: is required",
            "c.toml: [git] branch: expected a string, found integer",
            "c.toml: [git] poll_interval: \"soon\" is not a duration",
            "c.toml: [git] colour: unknown setting",
            "c.toml: [platform] host: \"bots.kore.ai\" must start with https://",
            "c.toml: [platform] client_id: must start with \"cs-\"",
            "c.toml: [platform] client_secret_env: environment variable MISSING is not set",
            "c.toml: [daemon] concurrency: must be between 1 and 64, found 0",
            "c.toml: [daemon] drift: \"sometimes\" is not",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
        }
        assert_eq!(err.problems.len(), 11, "{all}");
    }

    #[test]
    fn a_bad_environment_value_is_blamed_on_the_variable() {
        let vars = env(&[
            ("KORE_SECRET", "x"),
            ("KORE_GITOPS_DAEMON_CONCURRENCY", "abc"),
        ]);
        let err = Config::parse(MINIMAL, "c.toml", &vars).unwrap_err();
        assert_eq!(
            err.problems,
            [
                "KORE_GITOPS_DAEMON_CONCURRENCY: [daemon] concurrency: expected a whole number, found string"
            ],
        );
    }

    #[test]
    fn one_shot_commands_do_not_need_the_daemons_secrets() {
        let text = format!(
            "{MINIMAL}[daemon]\nwebhook_secret_env = \"UNSET_HOOK\"\ntrigger_token_file = \"/nonexistent/token\"\n"
        );
        let vars = env(&[("KORE_SECRET", "x")]);
        let config = Config::parse_for(&text, "c.toml", &vars, Purpose::OneShot).unwrap();
        assert!(config.daemon.webhook_secret.is_none());
        let err = Config::parse(&text, "c.toml", &vars).unwrap_err();
        assert_eq!(err.problems.len(), 2, "the daemon needs both: {err}");
    }

    #[test]
    fn unknown_variables_are_refused_and_known_ones_pass() {
        let vars = env(&[
            ("KORE_GITOPS_DRYRUN", "true"),
            ("KORE_GITOPS_DRY_RUN", "true"),
            ("KORE_GITOPS_DAEMON_DRY_RUN", "true"),
            ("KORE_GITOPS_GIT_COLOUR", "blue"),
            ("OTHER", "1"),
        ]);
        let problems = vars.unknown_variables(&["KORE_GITOPS_DRY_RUN".to_owned()], &[]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("KORE_GITOPS_DRYRUN: unknown variable"));
        assert!(problems[1].starts_with("KORE_GITOPS_GIT_COLOUR: unknown variable"));
        let named = ["KORE_GITOPS_DRYRUN".to_owned()];
        let problems = vars.unknown_variables(&[], &named);
        assert_eq!(
            problems.len(),
            2,
            "a secret's variable passes: {problems:?}"
        );
        assert!(problems[0].starts_with("KORE_GITOPS_DRY_RUN: unknown variable"));
        assert!(problems[1].starts_with("KORE_GITOPS_GIT_COLOUR: unknown variable"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = Config::parse("[git]\nurl = \n", "c.toml", &Env::default()).unwrap_err();
        assert!(err.problems[0].starts_with("c.toml:2:"), "{err}");
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    /// The documented example must stay valid as keys are added.
    #[test]
    fn the_example_configuration_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kore-gitops.toml");
        let env = Env::from_pairs([("KORE_CLIENT_SECRET".to_owned(), "example".to_owned())]);
        let config = Config::load(&path, &env).unwrap();
        assert_eq!(
            config.platforms[DEFAULT_PLATFORM].job_timeout,
            std::time::Duration::from_secs(600)
        );
        assert_eq!(config.daemon.state_dir, Path::new("/var/lib/kore-gitops"));
        assert_eq!(
            config.daemon.full_resync_interval,
            model::DEFAULT_FULL_RESYNC_INTERVAL
        );
    }
}
