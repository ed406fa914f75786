//! Environments in `bot.toml` and their expansion into targets.

use std::path::Path;

use super::*;

const ID: &str = "st-00000000-0000-0000-0000-00000000000a";
const ID2: &str = "st-00000000-0000-0000-0000-00000000000b";
const CONFIG: &[u8] =
    br#"{"name":"b","envVariables":[{"key":"apiBase","value":"dev"},{"key":"apiKey","value":""}]}"#;

fn bot(settings: &str, variables: &[(&str, &str)]) -> BotEntry {
    let settings =
        parse_settings("bot.toml", settings.as_bytes()).map_err(|problems| BotError {
            folder: "travel".into(),
            problems,
        })?;
    let variables = variables
        .iter()
        .map(|(env, text)| {
            (
                env.to_string(),
                Variables::parse("v", text.as_bytes()).unwrap(),
            )
        })
        .collect();
    Ok(DesiredBot {
        name: BotName::parse("travel").unwrap(),
        settings,
        files: BotFiles {
            config: CONFIG.to_vec(),
            ..BotFiles::default()
        },
        variables,
        target: TargetOf::default(),
        suites: Vec::new(),
    })
}

const TWO: &str = r#"
drift = "report"
publish_comment = "folder"
[environments.staging]
platform = "dev"
bot_id = "st-00000000-0000-0000-0000-00000000000a"
[environments.prod]
platform = "prod"
bot_id = "st-00000000-0000-0000-0000-00000000000b"
after = "staging"
drift = "revert"
"#;

#[test]
fn a_folder_without_environments_is_one_target_keyed_by_its_name() {
    let targets = expand_targets(vec![bot(&format!("bot_id = \"{ID}\""), &[])], None);
    assert_eq!(targets.len(), 1);
    let (key, entry) = &targets[0];
    assert_eq!(key.to_string(), "travel");
    let bot = entry.as_ref().unwrap();
    assert_eq!(bot.target.platform, DEFAULT_PLATFORM);
    assert_eq!(bot.files.config, CONFIG, "the same bytes: nothing to apply");
}

#[test]
fn each_environment_is_a_target_with_its_settings_resolved() {
    let prod_vars = "[values]\napiBase = \"https://prod\"\n[secrets]\napiKey = \"travel-key\"\n";
    let entry = bot(TWO, &[("prod", prod_vars)]);
    let targets = expand_targets(vec![entry], None);
    let keys: Vec<String> = targets.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["travel/prod", "travel/staging"]);
    let prod = targets[0].1.as_ref().unwrap();
    assert_eq!(prod.settings.target, BotTarget::Id(ID2.parse().unwrap()));
    assert_eq!(prod.settings.drift, DriftPolicy::Revert);
    assert_eq!(prod.settings.publish_comment.as_deref(), Some("folder"));
    assert_eq!(prod.target.platform, "prod");
    assert_eq!(prod.target.after.as_deref(), Some("staging"));
    let config: serde_json::Value = serde_json::from_slice(&prod.files.config).unwrap();
    assert_eq!(config["envVariables"][0]["value"], "https://prod");
    assert_eq!(prod.variables["prod"].secrets["apiKey"], "travel-key");
    let staging = targets[1].1.as_ref().unwrap();
    assert_eq!(staging.settings.drift, DriftPolicy::Report);
    assert_eq!(staging.settings.target, BotTarget::Id(ID.parse().unwrap()));
    assert_eq!(staging.files.config, CONFIG);
}

#[test]
fn a_daemon_limited_to_some_environments_gets_only_those() {
    let targets = expand_targets(vec![bot(TWO, &[])], Some(&["prod".to_owned()]));
    let keys: Vec<String> = targets.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["travel/prod"]);
}

#[test]
fn bad_environments_are_refused_with_reasons() {
    let text = "[environments.prod]\nafter = \"nowhere\"\n[environments.qa]\nbot_id = \"st-x\"\n\
                [environments.\"a/b\"]\nbot_name = \"x\"\n";
    let problems = parse_settings("bot.toml", text.as_bytes()).unwrap_err();
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let all = all.join("\n");
    for expected in [
        "after = \"nowhere\": not another environment",
        "bot_id:",
        "an environment name is letters",
        "[environments.prod]: missing bot_id",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
    let cycle = format!(
        "[environments.a]\nbot_id = \"{ID}\"\nafter = \"b\"\n[environments.b]\nbot_id = \"{ID2}\"\nafter = \"a\"\n"
    );
    let problems = parse_settings("bot.toml", cycle.as_bytes()).unwrap_err();
    assert!(
        problems.iter().any(|p| p.message.contains("never ends")),
        "{problems:?}"
    );
}

#[test]
fn target_keys_read_back() {
    for text in ["travel", "travel/prod"] {
        assert_eq!(TargetKey::parse(text).to_string(), text);
    }
    assert_eq!(TargetKey::parse("travel/prod").environment(), Some("prod"));
}

#[test]
fn an_environment_follows_a_branch_but_not_with_after() {
    let text = format!("[environments.prod]\nbot_id = \"{ID}\"\nbranch = \"release\"\n");
    let settings = parse_settings("bot.toml", text.as_bytes()).unwrap();
    assert_eq!(
        settings.environments["prod"].branch.as_deref(),
        Some("release")
    );
    let both = format!(
        "[environments.staging]\nbot_id = \"{ID}\"\n\n\
         [environments.prod]\nbot_id = \"{ID}\"\nbranch = \"release\"\nafter = \"staging\"\n"
    );
    let problems = parse_settings("bot.toml", both.as_bytes()).unwrap_err();
    assert!(
        problems[0]
            .message
            .contains("branch and after cannot be combined"),
        "{problems:?}"
    );
    for bad in ["", "a..b", "refs/heads/x", "with space"] {
        let text = format!("[environments.prod]\nbot_id = \"{ID}\"\nbranch = {bad:?}\n");
        let problems = parse_settings("bot.toml", text.as_bytes()).unwrap_err();
        assert!(
            problems[0].message.contains("not a branch or tag name"),
            "{bad}: {problems:?}"
        );
    }
}

/// `validate` (which reads folders this way) refuses an override of a
/// variable the definition lacks, and a variable file for an environment
/// the folder does not declare, naming each file.
#[test]
fn unknown_variables_and_environments_are_refused_offline() {
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/environments/bots/travel-desk");
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("bots/travel-desk");
    std::fs::create_dir_all(&folder).unwrap();
    for entry in std::fs::read_dir(&example).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
    }
    std::fs::write(
        folder.join("variables.prod.toml"),
        "[values]\nAPI_BASE_ULR = \"x\"\n",
    )
    .unwrap();
    std::fs::write(folder.join("variables.qa.toml"), "[values]\n").unwrap();
    let entries = read_folder(dir.path()).unwrap();
    let error = entries[0].as_ref().unwrap_err().to_string();
    assert!(
        error.contains("variables.prod.toml") && error.contains("API_BASE_ULR"),
        "{error}"
    );
    assert!(
        error.contains("variables.qa.toml") && error.contains("no [environments.qa]"),
        "{error}"
    );
}
