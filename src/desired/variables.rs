//! Per-environment variable values: a small reviewed file beside the
//! definition, `variables.<environment>.toml` (`variables.toml` for a folder
//! without environments).
//!
//! ```toml
//! keep = ["otpSeed"]                 # the target bot keeps its own value
//!
//! [values]                           # reviewed values, in git
//! apiBase = "https://staging.travel.example"
//!
//! [secrets]                          # never in git: the daemon reads the
//! apiKey = "travel-api-key"          # secret named here from its secrets_dir
//! ```
//!
//! Each key must be a variable of `config.json` (`validate` refuses one that
//! is not). Values are written into `config.json` before the upload and
//! before the comparison, so the import of an environment carries its values
//! and its diff compares against them. A secret's value is added at pass time
//! and its variable marked `isSecured` (the platform then exports it blank);
//! a kept variable is left out of the import (`botVariables.ignore`) and of
//! the comparison's values.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::problem::Problem;
use super::settings::parse_toml;

/// One variable file, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    /// Reviewed values, by variable key.
    pub values: BTreeMap<String, String>,
    /// Secrets, by variable key: the name of the secret the daemon provides.
    pub secrets: BTreeMap<String, String>,
    /// Variables whose target-side values the import leaves untouched.
    pub keep: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariables {
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
    #[serde(default)]
    keep: Vec<String>,
}

const PREFIX: &str = "variables";
const SUFFIX: &str = ".toml";

impl Variables {
    /// The file of `environment` (`None`: a folder without environments).
    pub fn file_name(environment: Option<&str>) -> String {
        match environment {
            Some(env) => format!("{PREFIX}.{env}{SUFFIX}"),
            None => format!("{PREFIX}{SUFFIX}"),
        }
    }

    /// The environment a file name is for (`""`: `variables.toml`).
    pub fn environment_of(file_name: &str) -> Option<&str> {
        let middle = file_name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
        match middle {
            "" => Some(""),
            _ => middle
                .strip_prefix('.')
                .filter(|e| !e.is_empty() && !e.contains('.')),
        }
    }

    /// Parses one file; `file` names it in problems.
    pub fn parse(file: &str, text: &[u8]) -> Result<Variables, Vec<Problem>> {
        let raw: RawVariables = parse_toml(file, text)?;
        let mut problems = Vec::new();
        for key in raw.secrets.keys().chain(&raw.keep) {
            if raw.values.contains_key(key) {
                problems.push(Problem::in_file(
                    file,
                    format!("variable {key:?} is given a value and also a secret or keep"),
                ));
            }
        }
        for key in &raw.keep {
            if raw.secrets.contains_key(key) {
                problems.push(Problem::in_file(
                    file,
                    format!("variable {key:?} is both a secret and kept"),
                ));
            }
        }
        for name in raw.secrets.values() {
            if !is_secret_name(name) {
                problems.push(Problem::in_file(
                    file,
                    format!(
                        "secret name {name:?}: letters, digits, '-', '_' and '.' (not leading)"
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Variables {
            values: raw.values,
            secrets: raw.secrets,
            keep: raw.keep,
        })
    }

    /// Every key this file names.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.values
            .keys()
            .chain(self.secrets.keys())
            .chain(&self.keep)
    }

    /// The keys that `config.json` does not have, one message each.
    pub fn unknown_keys(&self, config: &[u8]) -> Vec<String> {
        let known = config_keys(config);
        self.keys()
            .filter(|key| !known.contains(key))
            .map(|key| {
                format!(
                    "variable {key:?} is not in config.json's envVariables (an environment \
                     can only give its own value to a variable the definition has)"
                )
            })
            .collect()
    }

    /// `config.json` with this file's values; the same bytes when it sets none.
    pub fn apply_values(&self, config: &[u8]) -> Result<Vec<u8>, String> {
        if self.values.is_empty() {
            return Ok(config.to_vec());
        }
        let values = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str(), false));
        set_values(config, values)
    }
}

/// `config.json` with `values` set (`(key, value, secured)`); a secured
/// variable is marked `isSecured`, as the platform marks one.
pub fn set_values<'a>(
    config: &[u8],
    values: impl IntoIterator<Item = (&'a str, &'a str, bool)>,
) -> Result<Vec<u8>, String> {
    let mut json: Value =
        serde_json::from_slice(config).map_err(|e| format!("config.json: {e}"))?;
    let variables = json
        .get_mut("envVariables")
        .and_then(Value::as_array_mut)
        .ok_or("config.json has no envVariables")?;
    for (key, value, secured) in values {
        let slot = variables
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .find(|v| v.get("key").and_then(Value::as_str) == Some(key))
            .ok_or_else(|| format!("variable {key:?} is not in config.json's envVariables"))?;
        slot.insert("value".into(), Value::String(value.to_owned()));
        if secured {
            slot.insert("isSecured".into(), Value::Bool(true));
        }
    }
    serde_json::to_vec_pretty(&json).map_err(|e| format!("config.json: {e}"))
}

fn config_keys(config: &[u8]) -> Vec<String> {
    let json: Value = serde_json::from_slice(config).unwrap_or(Value::Null);
    json.get("envVariables")
        .and_then(Value::as_array)
        .map(|vars| {
            vars.iter()
                .filter_map(|v| v.get("key").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Safe as a file name inside the secrets folder: no path, no hidden file.
pub fn is_secret_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &[u8] = br#"{"name":"b","envVariables":[{"key":"apiBase","value":"dev"},{"key":"apiKey","value":""}]}"#;

    #[test]
    fn file_names_map_to_environments() {
        assert_eq!(
            Variables::environment_of("variables.prod.toml"),
            Some("prod")
        );
        assert_eq!(Variables::environment_of("variables.toml"), Some(""));
        assert_eq!(Variables::environment_of("variables..toml"), None);
        assert_eq!(Variables::environment_of("bot.toml"), None);
        assert_eq!(Variables::file_name(Some("prod")), "variables.prod.toml");
    }

    #[test]
    fn values_are_applied_and_unknown_keys_refused() {
        let text = b"keep = [\"apiKey\"]\n[values]\napiBase = \"prod\"\n";
        let vars = Variables::parse("variables.prod.toml", text).unwrap();
        let config = vars.apply_values(CONFIG).unwrap();
        let json: Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(json["envVariables"][0]["value"], "prod");
        assert!(vars.unknown_keys(CONFIG).is_empty());
        let bad = Variables::parse("v", b"[values]\nnope = \"x\"\n").unwrap();
        assert_eq!(bad.unknown_keys(CONFIG).len(), 1);
        assert!(bad.apply_values(CONFIG).unwrap_err().contains("\"nope\""));
    }

    #[test]
    fn a_key_given_twice_and_a_path_as_secret_name_are_refused() {
        let text = b"keep = [\"a\"]\n[values]\na = \"1\"\n[secrets]\nb = \"../../etc/passwd\"\n";
        let problems = Variables::parse("v", text).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(Variables::parse("v", b"colour = 1\n").is_err());
    }

    #[test]
    fn a_secret_is_set_and_marked_secured() {
        let config = set_values(CONFIG, [("apiKey", "s3cret", true)]).unwrap();
        let json: Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(json["envVariables"][1]["value"], "s3cret");
        assert_eq!(json["envVariables"][1]["isSecured"], true);
    }
}
