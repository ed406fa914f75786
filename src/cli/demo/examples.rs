//! The example bot repository and the documented example configuration,
//! embedded in the binary so that `demo` works from any directory (the
//! container image has no `examples/`). A test checks that the embedded copy
//! is exactly `examples/`, so the two cannot drift.

/// One file of `examples/`, embedded.
#[derive(Debug)]
pub(super) struct Embedded {
    /// Its path under `examples/`, with `/` separators.
    pub path: &'static str,
    /// Its content.
    pub bytes: &'static [u8],
}

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(Embedded {
            path: $path,
            bytes: include_bytes!(concat!("../../../examples/", $path)),
        }),*]
    };
}

/// The example bot repository: the files under `examples/bots/`.
pub(super) const BOT_FILES: &[Embedded] = embed!(
    "bots/it-helpdesk/bot.toml",
    "bots/it-helpdesk/botDefinition.json",
    "bots/it-helpdesk/config.json",
    "bots/it-helpdesk/icon.png",
    "bots/travel-desk/bot.toml",
    "bots/travel-desk/botDefinition.json",
    "bots/travel-desk/config.json",
    "bots/travel-desk/icon.png",
    "bots/travel-desk/travelDeskFunctions.js",
);

/// `examples/kore-gitops.toml`: every key, documented. The demo's
/// configuration is this file with the demo's values filled in, so the user
/// reads the same explanations the README points to.
pub(super) const CONFIG_TEMPLATE: Embedded = Embedded {
    path: "kore-gitops.toml",
    bytes: include_bytes!("../../../examples/kore-gitops.toml"),
};

/// The bot folder names of the example repository, in order.
pub(super) fn bot_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = BOT_FILES
        .iter()
        .filter_map(|file| file.path.strip_prefix("bots/")?.split('/').next())
        .collect();
    names.dedup();
    names
}

/// A value for one key of the example configuration.
#[derive(Debug)]
pub(super) struct Setting {
    /// The `[section]` the key is in.
    pub section: &'static str,
    /// The key, as the example spells it (set or commented out).
    pub key: &'static str,
    /// The value to set (written as a TOML string); `None` comments it out.
    pub value: Option<String>,
}

/// The example has no line for a key the demo fills in.
#[derive(Debug, thiserror::Error)]
#[error("examples/kore-gitops.toml has no [{section}] {key} line to fill in")]
pub struct MissingKey {
    /// The section.
    pub section: &'static str,
    /// The key.
    pub key: &'static str,
}

/// The example configuration with `settings` applied line by line, keeping
/// every comment: a set key replaces its line (commented or not), an unset one
/// is commented out.
pub(super) fn fill_config(settings: &[Setting]) -> Result<String, MissingKey> {
    let template = String::from_utf8_lossy(CONFIG_TEMPLATE.bytes);
    let mut lines: Vec<String> = template.lines().map(str::to_owned).collect();
    for setting in settings {
        let missing = || MissingKey {
            section: setting.section,
            key: setting.key,
        };
        let index = key_line(&lines, setting.section, setting.key).ok_or_else(missing)?;
        let uncommented = lines[index].trim_start_matches(['#', ' ']).to_owned();
        lines[index] = match &setting.value {
            Some(value) => format!("{} = {}", setting.key, toml::Value::from(value.as_str())),
            None => format!("# {uncommented}"),
        };
    }
    let mut text = lines.join("\n");
    text.push('\n');
    Ok(text)
}

/// The index of the line that sets (or shows commented out) `key` in `[section]`.
fn key_line(lines: &[String], section: &str, key: &str) -> Option<usize> {
    let mut current = "";
    lines.iter().position(|line| {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name;
            return false;
        }
        let setting = line.trim_start_matches(['#', ' ']);
        current == section
            && setting
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn files_under(dir: &Path, prefix: &str, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
            if entry.file_type().unwrap().is_dir() {
                files_under(&entry.path(), &format!("{name}/"), found);
            } else {
                found.push(name);
            }
        }
    }

    /// `examples/` and the copy in the binary are the same files, byte for byte.
    #[test]
    fn the_embedded_copy_is_exactly_examples() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut on_disk = Vec::new();
        files_under(&root, "", &mut on_disk);
        // The environments example is read from disk by its own test, not
        // part of the demo.
        on_disk.retain(|path| !path.starts_with("environments/"));
        on_disk.sort();
        let embedded: Vec<&Embedded> = BOT_FILES.iter().chain([&CONFIG_TEMPLATE]).collect();
        let mut names: Vec<String> = embedded.iter().map(|f| f.path.to_owned()).collect();
        names.sort();
        assert_eq!(
            names, on_disk,
            "embed every file of examples/, and only those"
        );
        for file in embedded {
            let disk = std::fs::read(root.join(file.path)).unwrap();
            assert!(disk == file.bytes, "{} differs from examples/", file.path);
        }
        assert_eq!(bot_names(), ["it-helpdesk", "travel-desk"]);
    }

    #[test]
    fn filling_sets_commented_keys_comments_out_unset_ones_and_keeps_the_rest() {
        let set = |section, key, value: &str| Setting {
            section,
            key,
            value: Some(value.to_owned()),
        };
        let text = fill_config(&[
            set("git", "url", "/tmp/a \"b\"/remote.git"),
            set("daemon", "listen", "127.0.0.1:4321"),
            set("platform", "client_secret_file", "/tmp/secret"),
            Setting {
                section: "platform",
                key: "client_secret_env",
                value: None,
            },
        ])
        .unwrap();
        let table: toml::Table = text.parse().unwrap();
        assert_eq!(
            table["git"]["url"].as_str(),
            Some("/tmp/a \"b\"/remote.git")
        );
        assert_eq!(table["daemon"]["listen"].as_str(), Some("127.0.0.1:4321"));
        assert_eq!(
            table["platform"]["client_secret_file"].as_str(),
            Some("/tmp/secret")
        );
        assert!(table["platform"].get("client_secret_env").is_none());
        assert!(text.contains("# client_secret_env = \"KORE_CLIENT_SECRET\"\n"));
        assert!(text.contains("# Every key can be overridden by an environment variable"));
        assert_eq!(table["git"]["branch"].as_str(), Some("main"));
    }

    #[test]
    fn a_key_the_example_lacks_is_an_error_naming_it() {
        let error = fill_config(&[Setting {
            section: "git",
            key: "colour",
            value: Some("blue".to_owned()),
        }])
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "examples/kore-gitops.toml has no [git] colour line to fill in"
        );
    }
}
