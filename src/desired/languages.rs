//! The languages of a bot: the keys of its definition's `localeData`, where
//! the platform keeps each enabled language's names (the notion the platform,
//! the simulator and `pull` share). A definition without `localeData` has
//! its `defaultLanguage`, else English (the platform's default).
//!
//! A pass trains every one of them unless `bot.toml`'s `languages` narrows
//! them on purpose; a listed language the definition lacks is a definition
//! problem, because training it would fail on every pass.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::problem::Problem;
use super::settings::BotSettings;
use super::{BotFiles, DesiredBot};

/// The platform's language when a definition names none.
pub const DEFAULT_LANGUAGE: &str = "en";

/// The languages a definition holds, sorted; never empty.
pub fn definition_languages(definition: &[u8]) -> Vec<String> {
    held_languages(definition).unwrap_or_else(|| vec![DEFAULT_LANGUAGE.to_owned()])
}

/// [`definition_languages`], `None` when the definition is not a JSON object.
fn held_languages(definition: &[u8]) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(rename = "localeData")]
        locale_data: Option<BTreeMap<String, IgnoredAny>>,
        #[serde(rename = "defaultLanguage")]
        default_language: Option<String>,
    }
    let head = serde_json::from_slice::<Head>(definition).ok()?;
    let languages: Vec<String> = head.locale_data.unwrap_or_default().into_keys().collect();
    Some(match languages.is_empty() {
        false => languages,
        true => vec![
            head.default_language
                .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned()),
        ],
    })
}

impl BotFiles {
    /// The languages the definition holds (see [`definition_languages`]).
    pub fn languages(&self) -> Vec<String> {
        definition_languages(&self.definition)
    }
}

impl DesiredBot {
    /// The languages a pass trains: `bot.toml`'s `languages` when it lists
    /// some (checked to be languages of the definition when the folder was
    /// read), else every language the definition holds.
    pub fn languages(&self) -> Vec<String> {
        match self.settings.languages.is_empty() {
            true => self.files.languages(),
            false => self.settings.languages.clone(),
        }
    }
}

/// The problem of a `languages` list naming languages the definition lacks.
pub(crate) fn check_listed(
    settings_file: &str,
    settings: &BotSettings,
    definition_file: &str,
    definition: &[u8],
) -> Option<Problem> {
    // A definition that is not JSON is reported as such already.
    let held = held_languages(definition)?;
    let missing: BTreeSet<&str> = settings
        .languages
        .iter()
        .map(String::as_str)
        .filter(|language| !held.iter().any(|h| h == language))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let quoted: Vec<String> = missing.iter().map(|l| format!("{l:?}")).collect();
    Some(Problem::in_file(
        settings_file,
        format!(
            "languages lists {}, which {definition_file} does not hold (its localeData has {}): \
             such a language could never be trained; remove it from languages, or add it to the bot",
            quoted.join(", "),
            held.join(", "),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_the_locale_data_keys_sorted() {
        let definition = br#"{"defaultLanguage":"en","localeData":{"es":{},"en":{"name":"x"}}}"#;
        assert_eq!(definition_languages(definition), ["en", "es"]);
    }

    #[test]
    fn without_locale_data_the_default_language_then_english() {
        assert_eq!(definition_languages(br#"{"defaultLanguage":"de"}"#), ["de"]);
        assert_eq!(definition_languages(br#"{"localeData":{}}"#), ["en"]);
        assert_eq!(definition_languages(b"not json"), ["en"]);
    }
}
