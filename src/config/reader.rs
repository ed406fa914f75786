//! Typed reading of the raw TOML table, collecting every problem instead of
//! stopping at the first.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{ENV_PREFIX, Env};

/// The `section.key` settings an environment variable set, so that a bad value
/// is blamed on the variable rather than on the file.
pub(super) type Overrides = BTreeSet<(String, String)>;

/// The sections and the keys each may hold.
pub(super) const SECTIONS: &[(&str, &[&str])] = &[
    (
        "git",
        &[
            "url",
            "branch",
            "bots_dir",
            "poll_interval",
            "token_env",
            "token_file",
            "ssh_key_file",
            "ca_file",
            "proxy",
            "proxy_env",
            "proxy_file",
        ],
    ),
    (
        "platform",
        &[
            "host",
            "api_prefix",
            "client_id",
            "client_secret_env",
            "client_secret_file",
            "jwe",
            "request_timeout",
            "connect_timeout",
            "job_timeout",
            "job_poll_interval",
            "ca_file",
            "proxy",
            "proxy_env",
            "proxy_file",
        ],
    ),
    (
        "daemon",
        &[
            "state_dir",
            "concurrency",
            "resync_interval",
            "full_resync_interval",
            "shutdown_grace",
            "drift",
            "dry_run",
            "listen",
            "max_connections",
            "webhook_secret_env",
            "webhook_secret_file",
            "trigger_token_env",
            "trigger_token_file",
            "environments",
            "secrets_dir",
        ],
    ),
    (
        "statuses",
        &[
            "provider",
            "api_url",
            "repository",
            "token_env",
            "token_file",
            "target_url",
            "min_interval",
        ],
    ),
    (
        "notify",
        &[
            "webhook_url_env",
            "webhook_url_file",
            "slack_url_env",
            "slack_url_file",
        ],
    ),
];

/// Top-level tables of named sub-tables, each read like the section named
/// second: `[platforms.<name>]` holds the keys of `[platform]`.
pub(super) const NAMED_SECTIONS: &[(&str, &str)] = &[("platforms", "platform")];

/// A TOML syntax error with the line it is on.
pub(super) fn toml_problem(origin: &str, text: &str, error: &toml::de::Error) -> String {
    let line = error
        .span()
        .map(|span| text[..span.start].lines().count().max(1));
    match line {
        Some(line) => format!("{origin}:{line}: {}", error.message()),
        None => format!("{origin}: {}", error.message()),
    }
}

/// Writes every `KORE_GITOPS_<SECTION>_<KEY>` variable over the table. Values
/// are read as TOML (`8`, `true`) and otherwise taken as strings. Returns the
/// problems and the settings the environment set.
pub(super) fn apply_env(table: &mut toml::Table, env: &Env) -> (Vec<String>, Overrides) {
    let mut problems = Vec::new();
    let mut overrides = Overrides::new();
    for (rest, value) in env.with_prefix() {
        let lower = rest.to_ascii_lowercase();
        let Some((section, key)) = lower.split_once('_') else {
            continue;
        };
        let Some((_, keys)) = SECTIONS.iter().find(|(name, _)| *name == section) else {
            continue; // not a configuration variable (e.g. KORE_GITOPS_LOG)
        };
        if !keys.contains(&key) {
            problems.push(format!(
                "{ENV_PREFIX}{rest}: no such setting [{section}] {key}"
            ));
            continue;
        }
        let entry = table
            .entry(section)
            .or_insert_with(|| toml::Table::new().into());
        if let Some(section_table) = entry.as_table_mut() {
            section_table.insert(key.to_owned(), env_value(value));
            overrides.insert((section.to_owned(), key.to_owned()));
        }
    }
    (problems, overrides)
}

/// Whether `KORE_GITOPS_<rest>` names a configuration setting.
pub(super) fn is_setting_variable(rest: &str) -> bool {
    let lower = rest.to_ascii_lowercase();
    lower.split_once('_').is_some_and(|(section, key)| {
        SECTIONS
            .iter()
            .any(|(name, keys)| *name == section && keys.contains(&key))
    })
}

fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

/// Reads one section, recording problems; unknown keys are reported by
/// [`Section::finish`].
pub(super) struct Section<'a> {
    name: &'static str,
    /// How messages name the table (`platform`, `platforms.prod`).
    label: String,
    table: Option<&'a toml::Table>,
    origin: &'a str,
    overrides: &'a Overrides,
    problems: &'a mut Vec<String>,
}

impl<'a> Section<'a> {
    pub(super) fn new(
        root: &'a toml::Table,
        name: &'static str,
        (origin, overrides): (&'a str, &'a Overrides),
        problems: &'a mut Vec<String>,
    ) -> Section<'a> {
        let table = match root.get(name) {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => {
                problems.push(format!("{origin}: [{name}] must be a table"));
                None
            }
        };
        Section {
            name,
            label: name.to_owned(),
            table,
            origin,
            overrides,
            problems,
        }
    }

    /// A named sub-table (`[platforms.prod]`) read with the keys of the
    /// section `name`; environment overrides do not reach it.
    pub(super) fn nested(
        table: &'a toml::Table,
        name: &'static str,
        label: String,
        (origin, overrides): (&'a str, &'a Overrides),
        problems: &'a mut Vec<String>,
    ) -> Section<'a> {
        Section {
            name,
            label,
            table: Some(table),
            origin,
            overrides,
            problems,
        }
    }

    /// Whether the section sets `key`.
    pub(super) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Whether the file (or the environment) holds this section.
    pub(super) fn is_present(&self) -> bool {
        self.table.is_some()
    }

    /// Records a problem about `key`, blamed on the environment variable
    /// when one set it, on the file otherwise.
    pub(super) fn problem(&mut self, key: &str, what: impl std::fmt::Display) {
        let origin = if self.label == self.name
            && self
                .overrides
                .contains(&(self.name.to_owned(), key.to_owned()))
        {
            let variable = format!("{}_{key}", self.name).to_ascii_uppercase();
            format!("{ENV_PREFIX}{variable}")
        } else {
            self.origin.to_owned()
        };
        self.problems
            .push(format!("{origin}: [{}] {key}: {what}", self.label));
    }

    fn get(&self, key: &str) -> Option<&'a toml::Value> {
        self.table.and_then(|t| t.get(key))
    }

    fn typed<T>(
        &mut self,
        key: &str,
        expected: &str,
        f: impl Fn(&toml::Value) -> Option<T>,
    ) -> Option<T> {
        let value = self.get(key)?;
        let typed = f(value);
        if typed.is_none() {
            self.problem(
                key,
                format!("expected {expected}, found {}", value.type_str()),
            );
        }
        typed
    }

    /// An optional string.
    pub(super) fn string(&mut self, key: &str) -> Option<String> {
        self.typed(key, "a string", |v| v.as_str().map(str::to_owned))
    }

    /// A required string.
    pub(super) fn required(&mut self, key: &str) -> Option<String> {
        if self.get(key).is_none() {
            self.problem(key, "is required");
            return None;
        }
        self.string(key)
    }

    /// An optional list of strings.
    pub(super) fn strings(&mut self, key: &str) -> Option<Vec<String>> {
        self.typed(key, "a list of strings", |v| {
            v.as_array()?
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
    }

    /// An optional boolean.
    pub(super) fn bool(&mut self, key: &str) -> Option<bool> {
        self.typed(key, "true or false", toml::Value::as_bool)
    }

    /// An optional whole number in `1..=max`.
    pub(super) fn count(&mut self, key: &str, max: i64) -> Option<usize> {
        let n = self.typed(key, "a whole number", toml::Value::as_integer)?;
        if !(1..=max).contains(&n) {
            self.problem(key, format!("must be between 1 and {max}, found {n}"));
            return None;
        }
        usize::try_from(n).ok()
    }

    /// An optional duration such as `"30s"` or `"10m"` (at least one second).
    pub(super) fn duration(&mut self, key: &str) -> Option<Duration> {
        self.duration_at_least(key, Duration::from_secs(1))
    }

    /// An optional duration of at least `min`.
    pub(super) fn duration_at_least(&mut self, key: &str, min: Duration) -> Option<Duration> {
        let text = self.typed(key, "a duration such as \"30s\"", |v| {
            v.as_str().map(str::to_owned)
        })?;
        match humantime::parse_duration(&text) {
            Ok(d) if d >= min => Some(d),
            Ok(_) => {
                self.problem(
                    key,
                    format!("must be at least {}", humantime::format_duration(min)),
                );
                None
            }
            Err(e) => {
                self.problem(key, format!("{text:?} is not a duration ({e})"));
                None
            }
        }
    }

    /// Reports keys this section does not know.
    pub(super) fn finish(self) {
        let known = SECTIONS
            .iter()
            .find(|(n, _)| *n == self.name)
            .map_or(&[][..], |(_, k)| k);
        for key in self.table.into_iter().flat_map(|t| t.keys()) {
            if !known.contains(&key.as_str()) {
                self.problems.push(format!(
                    "{}: [{}] {key}: unknown setting",
                    self.origin, self.label
                ));
            }
        }
    }
}

/// Reports top-level keys that are not sections.
pub(super) fn unknown_sections(root: &toml::Table, origin: &str, problems: &mut Vec<String>) {
    for key in root.keys() {
        let known = SECTIONS.iter().any(|(name, _)| name == key)
            || NAMED_SECTIONS.iter().any(|(name, _)| name == key);
        if !known && key != super::test_apps::SECTION {
            problems.push(format!("{origin}: [{key}]: unknown section"));
        }
    }
}
