//! What a pull writes of `config.json`'s variables: never a secret.
//!
//! - A secured variable is exported blank (the platform never gives it
//!   back): the folder keeps the value its previous `config.json` had (the
//!   commit's), and the pull says which secret to provide.
//! - A variable whose key looks like a credential (`…KEY`, `…TOKEN`,
//!   `…SECRET`, `…PASSWORD`) but is not secured: its live value is not
//!   written either (the previous file's, or blank), and the pull says so.
//! - With `--env`, a variable the environment's `variables.<env>.toml` sets
//!   keeps the definition's value when the live bot holds the environment's:
//!   the shared definition does not take one environment's values.

use serde_json::Value;

use super::PullError;
use crate::desired::Variables;

/// Words that make a variable's key look like a credential.
const SECRET_WORDS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"];

/// `exported` as the folder should hold it (`None`: the exported bytes, as
/// they are), and what the person pulling must know (no value in them).
pub fn captured(
    exported: &[u8],
    previous: Option<&[u8]>,
    environment: Option<&str>,
    file: Option<&Variables>,
) -> Result<(Option<Vec<u8>>, Vec<String>), PullError> {
    let not_json = |e: serde_json::Error| PullError::NotJson {
        file: "config.json".to_owned(),
        reason: crate::desired::json_error_reason(&e),
    };
    let mut config: Value = serde_json::from_slice(exported).map_err(not_json)?;
    let previous: Option<Value> = previous.and_then(|p| serde_json::from_slice(p).ok());
    let previous_value = |key: &str| -> Option<Value> {
        previous
            .as_ref()?
            .get("envVariables")?
            .as_array()?
            .iter()
            .find(|v| v.get("key").and_then(Value::as_str) == Some(key))?
            .get("value")
            .cloned()
    };
    let (mut changed, mut notices) = (false, Vec::new());
    let variables = config
        .get_mut("envVariables")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for variable in variables {
        let Some(key) = variable
            .get("key")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            continue;
        };
        let secured = variable.get("isSecured").and_then(Value::as_bool) == Some(true);
        let value = variable.get("value").cloned().unwrap_or(Value::Null);
        let keep = previous_value(&key).unwrap_or_else(|| Value::String(String::new()));
        let named = file.is_some_and(|v| v.secrets.contains_key(&key));
        if secured || looks_secret(&key) {
            if value != keep {
                variable["value"] = keep;
                changed = true;
            }
            if !named && (secured || value.as_str().is_some_and(|v| !v.is_empty())) {
                notices.push(secret_notice(&key, secured, environment));
            }
            continue;
        }
        let (Some(env), Some(vars)) = (environment, file) else {
            continue;
        };
        if let Some(theirs) = vars.values.get(&key) {
            if value.as_str() != Some(theirs) {
                notices.push(format!(
                    "{key}: the {env} bot holds another value than variables.{env}.toml; \
                     config.json keeps the definition's (edit variables.{env}.toml to change {env}'s)"
                ));
            }
            if value != keep && previous.is_some() {
                variable["value"] = keep;
                changed = true;
            }
        }
    }
    let bytes = match changed {
        true => Some(serde_json::to_vec(&config).map_err(not_json)?),
        false => None,
    };
    Ok((bytes, notices))
}

fn looks_secret(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|word| upper.contains(word))
}

fn secret_notice(key: &str, secured: bool, environment: Option<&str>) -> String {
    let why = match secured {
        true => "is secured (the platform never exports its value)",
        false => "looks like a credential: its live value was not written",
    };
    let file = Variables::file_name(environment);
    format!(
        "{key} {why}; provide it as a secret: add `{key} = \"<name>\"` under [secrets] in {file} \
         and put the value in <secrets_dir>/<name> of the daemon"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORTED: &[u8] = br#"{"name":"b","envVariables":[
        {"key":"API_KEY","value":"","isSecured":true},
        {"key":"SERVICE_TOKEN","value":"live-token-123"},
        {"key":"API_BASE_URL","value":"https://dev"}]}"#;
    const PREVIOUS: &[u8] = br#"{"name":"b","envVariables":[
        {"key":"API_KEY","value":"","isSecured":true},
        {"key":"SERVICE_TOKEN","value":""},
        {"key":"API_BASE_URL","value":"https://base"}]}"#;

    #[test]
    fn no_secret_is_written_and_each_is_named() {
        let (bytes, notices) = captured(EXPORTED, None, None, None).unwrap();
        let text = String::from_utf8(bytes.unwrap()).unwrap();
        assert!(!text.contains("live-token-123"), "{text}");
        assert!(text.contains("https://dev"), "{text}");
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices.iter().all(|n| !n.contains("live-token-123")));
        assert!(notices[0].starts_with("API_KEY is secured"), "{notices:?}");
    }

    #[test]
    fn an_environments_value_does_not_replace_the_definitions() {
        let vars = Variables::parse("v", b"[values]\nAPI_BASE_URL = \"https://dev\"\n[secrets]\nAPI_KEY = \"k\"\nSERVICE_TOKEN = \"t\"\n").unwrap();
        let (bytes, notices) =
            captured(EXPORTED, Some(PREVIOUS), Some("dev"), Some(&vars)).unwrap();
        let config: Value = serde_json::from_slice(&bytes.unwrap()).unwrap();
        assert_eq!(config["envVariables"][2]["value"], "https://base");
        assert_eq!(config["envVariables"][1]["value"], "");
        assert!(notices.is_empty(), "{notices:?}");
    }
}
