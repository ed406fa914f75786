//! The `bot.toml` a pull writes: it records every language the live bot has
//! (`languages`), so the folder says what a pass trains, and it keeps
//! everything else of an existing file — settings, comments, layout — as it
//! was. A new file names the bot by its id.

use std::collections::BTreeSet;

use toml_edit::{Array, DocumentMut, Item, Value};

use super::PullError;
use crate::ids::BotId;

/// The `bot.toml` to write: `existing` with `languages` set to `languages`,
/// or a new one naming `id`. `None` when `existing` already lists exactly
/// those languages (in any order), so an up-to-date file is not rewritten.
pub fn recorded(
    existing: Option<&[u8]>,
    id: &BotId,
    languages: &[String],
) -> Result<Option<Vec<u8>>, PullError> {
    let mut document = match existing {
        Some(text) => parse(text)?,
        None => {
            let mut document = DocumentMut::new();
            document.insert("bot_id", toml_edit::value(id.as_str()));
            document
        }
    };
    let listed = document.get("languages").and_then(Item::as_array);
    if existing.is_some() && listed.is_some_and(|listed| same_languages(listed, languages)) {
        return Ok(None);
    }
    let array: Array = languages.iter().map(String::as_str).collect();
    match document.get_mut("languages").and_then(Item::as_value_mut) {
        // Replaced in place: the comments before and after the value stay.
        Some(value) => {
            let decor = value.decor().clone();
            *value = Value::Array(array);
            *value.decor_mut() = decor;
        }
        None => drop(document.insert("languages", toml_edit::value(array))),
    }
    Ok(Some(document.to_string().into_bytes()))
}

fn parse(text: &[u8]) -> Result<DocumentMut, PullError> {
    let refuse = |reason: String| PullError::Settings(format!("bot.toml: {reason}"));
    let text = std::str::from_utf8(text).map_err(|e| refuse(e.to_string()))?;
    text.parse::<DocumentMut>()
        .map_err(|e| refuse(e.message().to_owned()))
}

fn same_languages(listed: &Array, languages: &[String]) -> bool {
    let listed: BTreeSet<&str> = listed.iter().filter_map(Value::as_str).collect();
    listed == languages.iter().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "st-d80da043-d205-5297-85dd-08e4fdd86ba0";

    fn langs(list: &[&str]) -> Vec<String> {
        list.iter().map(|l| (*l).to_owned()).collect()
    }

    fn recorded_text(existing: Option<&str>, list: &[&str]) -> Option<String> {
        let id: BotId = ID.parse().unwrap();
        recorded(existing.map(str::as_bytes), &id, &langs(list))
            .unwrap()
            .map(|bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn a_new_file_names_the_bot_and_its_languages() {
        let text = recorded_text(None, &["en", "es"]).unwrap();
        assert_eq!(
            text,
            format!("bot_id = \"{ID}\"\nlanguages = [\"en\", \"es\"]\n")
        );
    }

    #[test]
    fn an_existing_file_keeps_its_settings_and_comments() {
        let existing = "# the helpdesk\nbot_name = \"IT Helpdesk\" # by name\ndrift = \"report\"\n\n\
                        [import]\nutterances = \"replace\"\n";
        let text = recorded_text(Some(existing), &["en", "es"]).unwrap();
        assert_eq!(
            text,
            "# the helpdesk\nbot_name = \"IT Helpdesk\" # by name\ndrift = \"report\"\n\
             languages = [\"en\", \"es\"]\n\n[import]\nutterances = \"replace\"\n"
        );
        let settings = crate::desired::parse_settings("bot.toml", text.as_bytes()).unwrap();
        assert_eq!(settings.languages, ["en", "es"]);
    }

    #[test]
    fn a_narrower_list_is_replaced_keeping_its_comment() {
        let existing = "bot_name = \"x\"\nlanguages = [\"en\"] # trained\n";
        let text = recorded_text(Some(existing), &["en", "es"]).unwrap();
        assert_eq!(
            text,
            "bot_name = \"x\"\nlanguages = [\"en\", \"es\"] # trained\n"
        );
    }

    #[test]
    fn a_file_listing_the_languages_is_left_alone() {
        let existing = "bot_name = \"x\"\nlanguages = [\"es\", \"en\"]\n";
        assert_eq!(recorded_text(Some(existing), &["en", "es"]), None);
    }
}
