//! The simulator's model of intent detection, deterministic and small enough
//! to reason about, yet strict enough that a test suite fails for a real
//! reason.
//!
//! **The model.** An utterance is recognised in language `L` of a trained
//! copy as follows:
//!
//! 1. Text is normalised to tokens: lower-cased (Unicode), every character
//!    that is not alphanumeric becomes a space, split on whitespace. So case
//!    and punctuation never matter: `"Reset my password!"` = `"reset my
//!    password"`.
//! 2. The candidates are the copy's ML training utterances (`sentences[]`)
//!    of language `L` (an utterance without a `language` belongs to the
//!    bot's default language). An utterance's intent is its `taskName`, else
//!    the intent name (`localeData.L.intent`, else `name`) of the
//!    `dialogComponents[]` entry its `taskId` names. Patterns are not used.
//! 3. Each candidate scores the Jaccard index of the two token sets
//!    (|A ∩ B| / |A ∪ B|; identical token lists score 1).
//! 4. The best score wins when it is at least [`MATCH_THRESHOLD`] (0.5);
//!    ties go to the intent name first in byte order. Below it, no intent.
//!
//! Removing every training utterance of an intent therefore makes its test
//! cases unrecognised (false negatives), unless they resemble another
//! intent's utterances (false positives): either way its suite fails.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::sim::seed::BotFiles;

/// The least Jaccard index at which an utterance is recognised.
pub const MATCH_THRESHOLD: f64 = 0.5;

/// Lower case, non-alphanumerics as spaces, split on whitespace.
pub fn tokens(text: &str) -> Vec<String> {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().map(str::to_owned).collect()
}

/// How close two token lists are: 1 when equal, else the Jaccard index.
pub fn similarity(a: &[String], b: &[String]) -> f64 {
    if a == b {
        return 1.0;
    }
    let (a, b): (BTreeSet<&String>, BTreeSet<&String>) = (a.iter().collect(), b.iter().collect());
    let union = a.union(&b).count();
    match union {
        0 => 0.0,
        n => a.intersection(&b).count() as f64 / n as f64,
    }
}

/// One training utterance: its tokens and its intent.
#[derive(Debug, Clone)]
struct Example {
    tokens: Vec<String>,
    intent: String,
}

/// A trained model of one language of one copy of a bot.
#[derive(Debug, Clone)]
pub struct Model {
    examples: Vec<Example>,
}

impl Model {
    /// The model of `language` of a copy, as the platform trained it.
    pub fn of(files: &BotFiles, language: &str) -> Model {
        let definition = &files.definition;
        let default_language = files.default_language();
        let sentences = definition.get("sentences").and_then(Value::as_array);
        let examples = sentences
            .into_iter()
            .flatten()
            .filter(|s| {
                let lang = s.get("language").and_then(Value::as_str);
                lang.unwrap_or(&default_language) == language
            })
            .filter_map(|s| {
                let text = s.get("sentence").and_then(Value::as_str)?;
                let intent = intent_of(definition, s, language)?;
                Some(Example {
                    tokens: tokens(text),
                    intent,
                })
            })
            .collect();
        Model { examples }
    }

    /// The intent recognised for `input`, if any.
    pub fn detect(&self, input: &str) -> Option<String> {
        let input = tokens(input);
        let mut best: Option<(f64, &str)> = None;
        for example in &self.examples {
            let score = similarity(&input, &example.tokens);
            let better = match best {
                None => true,
                Some((s, intent)) => score > s || (score == s && example.intent.as_str() < intent),
            };
            if better {
                best = Some((score, &example.intent));
            }
        }
        best.filter(|(score, _)| *score >= MATCH_THRESHOLD)
            .map(|(_, intent)| intent.to_owned())
    }
}

/// A sentence's intent: its `taskName`, else its dialog component's name.
fn intent_of(definition: &Value, sentence: &Value, language: &str) -> Option<String> {
    if let Some(name) = sentence.get("taskName").and_then(Value::as_str) {
        return Some(name.to_owned());
    }
    let task = sentence.get("taskId").and_then(Value::as_str)?;
    let components = definition
        .get("dialogComponents")
        .and_then(Value::as_array)?;
    let component = components
        .iter()
        .find(|c| c.get("_id").and_then(Value::as_str) == Some(task))?;
    component["localeData"][language]["intent"]
        .as_str()
        .or_else(|| component.get("name").and_then(Value::as_str))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn files(sentences: Value) -> BotFiles {
        BotFiles {
            definition_name: "botDefinition.json".into(),
            definition: json!({"defaultLanguage": "en", "sentences": sentences}),
            config: json!({}),
            icon: None,
            functions: None,
        }
    }

    #[test]
    fn close_variants_are_recognised_and_strangers_are_not() {
        let bot = files(json!([
            {"sentence": "reset my password", "taskName": "Reset Password", "language": "en"},
            {"sentence": "the VPN is down", "taskName": "Report Outage", "language": "en"},
            {"sentence": "la VPN no funciona", "taskName": "Report Outage", "language": "es"},
        ]));
        let en = Model::of(&bot, "en");
        assert_eq!(
            en.detect("Reset my password!").as_deref(),
            Some("Reset Password")
        );
        assert_eq!(
            en.detect("please reset my password").as_deref(),
            Some("Reset Password")
        );
        assert_eq!(en.detect("order a pizza"), None);
        assert_eq!(en.detect("la VPN no funciona"), None, "not in English");
        let es = Model::of(&bot, "es");
        assert_eq!(
            es.detect("La VPN no funciona.").as_deref(),
            Some("Report Outage")
        );
    }

    #[test]
    fn removing_an_intents_utterances_unrecognises_it() {
        let bot = files(json!([
            {"sentence": "the VPN is down", "taskName": "Report Outage"},
        ]));
        assert!(Model::of(&bot, "en").detect("the vpn is down").is_some());
        assert_eq!(
            Model::of(&files(json!([])), "en").detect("the vpn is down"),
            None
        );
    }

    #[test]
    fn ties_go_to_the_first_intent_name() {
        let bot = files(json!([
            {"sentence": "check status", "taskName": "B"},
            {"sentence": "check status", "taskName": "A"},
        ]));
        assert_eq!(
            Model::of(&bot, "en").detect("check status").as_deref(),
            Some("A")
        );
    }
}
