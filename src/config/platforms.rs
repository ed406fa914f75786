//! `[platforms.<name>]`: any number of Kore.ai platforms (accounts, regions),
//! each with its own host and credentials. `[platform]` stays the
//! one-platform shorthand: it is the platform named [`DEFAULT_PLATFORM`], so a
//! configuration written before environments existed loads unchanged.

use std::collections::BTreeMap;

use super::Env;
use super::model::{DEFAULT_PLATFORM, Origin, PlatformSettings, build_platform};
use super::network::EnvProxies;
use super::reader::Section;

/// Every configured platform by name; `None` when a problem was recorded.
pub(super) fn build(
    root: &toml::Table,
    origin: Origin<'_>,
    (env, from_env): (&Env, &EnvProxies),
    problems: &mut Vec<String>,
) -> Option<BTreeMap<String, PlatformSettings>> {
    let mut platforms = BTreeMap::new();
    let mut complete = true;
    let named = named_tables(root, origin.0, problems);
    // Without `[platforms.*]`, `[platform]` is required (its keys are
    // reported missing as they always were).
    if root.contains_key("platform") || named.is_empty() {
        let mut section = Section::new(root, "platform", origin, problems);
        let platform = build_platform(&mut section, env, from_env);
        section.finish();
        match platform {
            Some(platform) => drop(platforms.insert(DEFAULT_PLATFORM.to_owned(), platform)),
            None => complete = false,
        }
    }
    for (name, table) in named {
        if name == DEFAULT_PLATFORM && platforms.contains_key(DEFAULT_PLATFORM) {
            problems.push(format!(
                "{}: [platforms.{name}]: [platform] already is the platform named \
                 {DEFAULT_PLATFORM:?}; rename one",
                origin.0
            ));
            complete = false;
            continue;
        }
        let label = format!("platforms.{name}");
        let mut section = Section::nested(table, "platform", label, origin, problems);
        let platform = build_platform(&mut section, env, from_env);
        section.finish();
        match platform {
            Some(platform) => drop(platforms.insert(name.to_owned(), platform)),
            None => complete = false,
        }
    }
    complete.then_some(platforms)
}

/// The `[platforms.<name>]` tables, each name checked.
fn named_tables<'a>(
    root: &'a toml::Table,
    origin: &str,
    problems: &mut Vec<String>,
) -> Vec<(&'a str, &'a toml::Table)> {
    let Some(value) = root.get("platforms") else {
        return Vec::new();
    };
    let Some(tables) = value.as_table() else {
        problems.push(format!(
            "{origin}: [platforms] must hold [platforms.<name>] tables"
        ));
        return Vec::new();
    };
    let mut named = Vec::new();
    for (name, value) in tables {
        match value.as_table() {
            Some(_) if !is_platform_name(name) => problems.push(format!(
                "{origin}: [platforms.{name}]: a platform name is letters, digits, '-' and '_'"
            )),
            Some(table) => named.push((name.as_str(), table)),
            None => problems.push(format!(
                "{origin}: [platforms] {name}: expected a [platforms.{name}] table"
            )),
        }
    }
    named
}

/// Letters, digits, `-` and `_`: safe in log fields, metric labels and paths.
pub fn is_platform_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use crate::config::{Config, Env};

    fn env() -> Env {
        Env::from_pairs(
            [
                ("DEV_SECRET", "d"),
                ("PROD_SECRET", "p"),
                ("KORE_SECRET", "k"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
    }

    #[test]
    fn named_platforms_load_each_with_its_own_credentials() {
        let text = r#"
[git]
url = "https://git.example.com/bots.git"
[platforms.dev]
host = "https://bots.kore.ai"
client_id = "cs-dev"
client_secret_env = "DEV_SECRET"
[platforms.prod]
host = "https://eu-bots.kore.ai/"
api_prefix = "/api/1.1/public"
client_id = "cs-prod"
client_secret_env = "PROD_SECRET"
[daemon]
environments = ["prod"]
"#;
        let config = Config::parse(text, "c.toml", &env()).unwrap();
        let names: Vec<&str> = config.platforms.keys().map(String::as_str).collect();
        assert_eq!(names, ["dev", "prod"]);
        let prod = &config.platforms["prod"];
        assert_eq!(prod.host, "https://eu-bots.kore.ai");
        assert_eq!(prod.api_prefix, "/api/1.1/public");
        assert_eq!(prod.client_secret.expose_secret(), "p");
        assert_eq!(config.platforms["dev"].client_secret.expose_secret(), "d");
        assert_eq!(config.daemon.environments, Some(vec!["prod".to_owned()]));
    }

    #[test]
    fn the_single_platform_table_is_the_default_platform() {
        let text = "[git]\nurl = \"u\"\n[platform]\nhost = \"https://h\"\nclient_id = \"cs-1\"\n\
                    client_secret_env = \"KORE_SECRET\"\n";
        let config = Config::parse(text, "c.toml", &env()).unwrap();
        assert_eq!(config.platforms.len(), 1);
        assert_eq!(config.platforms["default"].client_id, "cs-1");
        assert_eq!(config.daemon.environments, None);
    }

    #[test]
    fn problems_in_named_platforms_name_the_table() {
        let text = r#"
[git]
url = "u"
[platform]
host = "https://h"
client_id = "cs-1"
client_secret_env = "KORE_SECRET"
[platforms.default]
host = "https://x"
[platforms.prod]
host = "prod.example.com"
client_id = "cs-2"
client_secret_env = "UNSET"
colour = "red"
[platforms."bad name"]
"#;
        let err = Config::parse(text, "c.toml", &env()).unwrap_err();
        let all = err.to_string();
        for expected in [
            "c.toml: [platforms.default]: [platform] already is the platform named \"default\"",
            "c.toml: [platforms.prod] host: \"prod.example.com\" must start with https://",
            "c.toml: [platforms.prod] client_secret_env: environment variable UNSET is not set",
            "c.toml: [platforms.prod] colour: unknown setting",
            "c.toml: [platforms.bad name]: a platform name is",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
        }
    }
}

#[cfg(test)]
mod environments_example_tests {
    use std::path::Path;

    use crate::config::{Config, Env};
    use crate::desired::{expand_targets, read_folder};

    /// The environments example: its configuration loads, and its bot folder
    /// reads without a problem into one target per environment.
    #[test]
    fn the_environments_example_is_valid() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/environments");
        let env = Env::from_pairs(
            ["KORE_DEV_CLIENT_SECRET", "KORE_PROD_CLIENT_SECRET"]
                .map(|k| (k.to_owned(), "x".to_owned())),
        );
        let config = Config::load(&root.join("kore-gitops.toml"), &env).unwrap();
        let platforms: Vec<&str> = config.platforms.keys().map(String::as_str).collect();
        assert_eq!(platforms, ["dev", "prod"]);
        let entries = read_folder(&root).unwrap();
        let targets = expand_targets(entries, None);
        let keys: Vec<String> = targets.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(
            keys,
            ["travel-desk/dev", "travel-desk/prod", "travel-desk/staging"]
        );
        for (key, entry) in &targets {
            let bot = entry.as_ref().unwrap_or_else(|e| panic!("{key}: {e}"));
            let platform = &bot.target.platform;
            assert!(config.platform(platform).is_some(), "{key}: {platform}");
        }
    }
}
