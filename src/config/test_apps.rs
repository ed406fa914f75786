//! `[test_apps.<name>]`: App Builder apps that run a bot's batch test suites.
//! The platform documents running a suite and reading its status for App
//! Builder apps only, so a bot whose `bot.toml` has a `[gate]` names one of
//! these (`app = "<name>"`); the secret stays here, never in git.
//!
//! ```toml
//! [test_apps.helpdesk]
//! client_id = "cs-…"                      # the App Builder app of the bot
//! client_secret_env = "HELPDESK_TESTS_SECRET"   # or client_secret_file
//! ```

use std::collections::BTreeMap;

use secrecy::SecretString;

use super::Env;

/// The section's name.
pub(super) const SECTION: &str = "test_apps";

/// One App Builder app.
#[derive(Debug, Clone)]
pub struct TestApp {
    /// The app's client id (`cs-…`).
    pub client_id: String,
    /// The app's client secret (never printed).
    pub client_secret: SecretString,
}

const KEYS: &[&str] = &["client_id", "client_secret_env", "client_secret_file"];

/// Reads every test app, recording problems as `origin: [test_apps.x] key: …`.
pub(super) fn build(
    root: &toml::Table,
    origin: &str,
    env: &Env,
    problems: &mut Vec<String>,
) -> BTreeMap<String, TestApp> {
    let mut apps = BTreeMap::new();
    let Some(value) = root.get(SECTION) else {
        return apps;
    };
    let Some(table) = value.as_table() else {
        problems.push(format!("{origin}: [{SECTION}] must be a table of apps"));
        return apps;
    };
    for (name, app) in table {
        let mut problem = |key: &str, what: String| {
            problems.push(format!("{origin}: [{SECTION}.{name}] {key}: {what}"));
        };
        let Some(app) = app.as_table() else {
            problem("", "must be a table".into());
            continue;
        };
        for key in app.keys().filter(|k| !KEYS.contains(&k.as_str())) {
            problem(key, "unknown setting".into());
        }
        let text = |key: &str| app.get(key).and_then(toml::Value::as_str);
        let client_id = match text("client_id") {
            Some(id) if id.starts_with("cs-") => Some(id.to_owned()),
            Some(_) => {
                problem(
                    "client_id",
                    "must start with \"cs-\" (the app's Client ID)".into(),
                );
                None
            }
            None => {
                problem("client_id", "is required".into());
                None
            }
        };
        let secret = match (text("client_secret_env"), text("client_secret_file")) {
            (Some(var), None) => match env.get(var) {
                Some(value) if !value.is_empty() => Some(SecretString::from(value.to_owned())),
                _ => {
                    let what = format!("environment variable {var} is not set");
                    problem("client_secret_env", what);
                    None
                }
            },
            (None, Some(path)) => match std::fs::read_to_string(path) {
                Ok(text) if !text.trim().is_empty() => {
                    Some(SecretString::from(text.trim().to_owned()))
                }
                Ok(_) => {
                    problem("client_secret_file", format!("{path} is empty"));
                    None
                }
                Err(e) => {
                    problem("client_secret_file", format!("cannot read {path}: {e}"));
                    None
                }
            },
            (Some(_), Some(_)) => {
                let what = "give either client_secret_env or client_secret_file, not both";
                problem("client_secret_env", what.into());
                None
            }
            (None, None) => {
                problem(
                    "client_secret_env",
                    "is required (or client_secret_file)".into(),
                );
                None
            }
        };
        if let (Some(client_id), Some(client_secret)) = (client_id, secret) {
            let app = TestApp {
                client_id,
                client_secret,
            };
            apps.insert(name.clone(), app);
        }
    }
    apps
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn apps_are_read_and_every_problem_is_named() {
        let root: toml::Table = r#"
[test_apps.good]
client_id = "cs-1"
client_secret_env = "GOOD_SECRET"
[test_apps.bad]
client_id = "nope"
colour = "red"
"#
        .parse()
        .unwrap();
        let env = Env::from_pairs([("GOOD_SECRET".to_owned(), "s3cret".to_owned())]);
        let mut problems = Vec::new();
        let apps = build(&root, "c.toml", &env, &mut problems);
        assert_eq!(apps["good"].client_secret.expose_secret(), "s3cret");
        assert!(!apps.contains_key("bad"));
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems
                .iter()
                .all(|p| p.starts_with("c.toml: [test_apps.bad]"))
        );
        assert!(!format!("{:?}", apps["good"]).contains("s3cret"));
    }
}
