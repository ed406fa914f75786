//! The publish gate of a bot folder: `[gate]` in `bot.toml` (thresholds, the
//! test app, languages) and the batch test suites in `tests/<suite>.json`,
//! in the platform's own suite format (platform-api.md, "Batch tests"):
//!
//! ```json
//! {"testCases": [{"input": "reset my password", "intent": "Reset Password"}]}
//! ```
//!
//! A suite is checked offline as the platform would refuse it (shape, at most
//! 1000 cases, inputs of at most 3000 characters, at most three accepted
//! intents `"A | B"`), and every intent it expects must exist in the
//! definition: a misspelt intent would fail the gate on every commit.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use super::problem::{Problem, json_error_reason};

/// Most test cases of a suite.
pub const MAX_CASES: usize = 1000;
/// Longest test input, in characters.
pub const MAX_INPUT_CHARS: usize = 3000;
/// Largest suite file.
pub const MAX_SUITE_BYTES: u64 = 8 * 1024 * 1024;
/// The folder of a bot folder that holds its suites.
pub const TESTS_FOLDER: &str = "tests";

/// `[gate]` of `bot.toml`: publish only when every suite meets these.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSettings {
    /// The `[test_apps.<app>]` of the daemon configuration that runs the suites.
    pub app: String,
    /// The least F1 score of every suite in every language.
    pub min_f1: f64,
    /// At most this much below the published copy's F1 (runs it too).
    pub max_f1_drop: Option<f64>,
    /// The languages to run; empty: the languages the pass trains.
    pub languages: Vec<String>,
}

impl Eq for GateSettings {}

/// `[gate]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGate {
    app: Option<Spanned<String>>,
    min_f1: Option<Spanned<f64>>,
    max_f1_drop: Option<Spanned<f64>>,
    #[serde(default)]
    languages: Vec<Spanned<String>>,
}

impl RawGate {
    /// The settings, or problems via `at(span, message)` / `whole(message)`.
    pub(super) fn validate(
        self,
        at: &dyn Fn(std::ops::Range<usize>, String) -> Problem,
        whole: &dyn Fn(String) -> Problem,
        problems: &mut Vec<Problem>,
    ) -> Option<GateSettings> {
        let fraction = |value: &Option<Spanned<f64>>, key: &str, problems: &mut Vec<Problem>| {
            let value = value.as_ref()?;
            let x = *value.get_ref();
            if (0.0..=1.0).contains(&x) {
                Some(x)
            } else {
                problems.push(at(
                    value.span(),
                    format!("{key} must be between 0 and 1, not {x}"),
                ));
                None
            }
        };
        let min_f1 = fraction(&self.min_f1, "min_f1", problems);
        let max_f1_drop = fraction(&self.max_f1_drop, "max_f1_drop", problems);
        if self.min_f1.is_none() {
            problems.push(whole(
                "[gate] needs min_f1 = 0.9 (the least F1 score a suite must reach)".into(),
            ));
        }
        let app = match &self.app {
            Some(app) if !app.get_ref().trim().is_empty() => Some(app.get_ref().clone()),
            Some(app) => {
                problems.push(at(
                    app.span(),
                    "app must name a [test_apps.<name>] of the daemon".into(),
                ));
                None
            }
            None => {
                problems.push(whole(NO_APP.into()));
                None
            }
        };
        Some(GateSettings {
            app: app?,
            min_f1: min_f1?,
            max_f1_drop: self.max_f1_drop.as_ref().and(max_f1_drop),
            languages: self
                .languages
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
        })
    }
}

/// Why a gate needs an app: run and run status are App Builder APIs.
pub const NO_APP: &str = "[gate] needs app = \"<name>\", a [test_apps.<name>] of the daemon \
configuration: the platform runs test suites for App Builder apps only, so the daemon's Admin \
Console app cannot run them";

/// One suite of a bot folder.
#[derive(Clone, PartialEq, Eq)]
pub struct SuiteFile {
    /// The file stem: the suite's name on the platform.
    pub name: String,
    /// The file as committed (imported as it is).
    pub bytes: Vec<u8>,
    /// How many test cases it holds.
    pub cases: usize,
}

impl std::fmt::Debug for SuiteFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiteFile")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .field("cases", &self.cases)
            .finish()
    }
}

/// Whether `name` (a path in the bot folder) is a suite file.
pub fn is_suite_path(name: &str) -> bool {
    name.strip_prefix("tests/")
        .is_some_and(|rest| rest.ends_with(".json") && !rest.contains('/'))
}

/// Reads a suite file; `file` names it in problems; `intents` are the
/// definition's (`None`: the definition could not be read).
pub fn parse_suite(
    file: &str,
    path: &str,
    bytes: &[u8],
    intents: Option<&BTreeSet<String>>,
) -> Result<SuiteFile, Vec<Problem>> {
    let name = path
        .trim_start_matches("tests/")
        .trim_end_matches(".json")
        .to_owned();
    let mut problems = Vec::new();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ');
    if name.is_empty() || name.len() > 100 || !name.chars().all(allowed) {
        problems.push(Problem::in_file(
            file,
            "a suite's file name (its name on the platform) takes letters, digits, ' ', '-', '_', '.'; at most 100",
        ));
    }
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => {
            let message = format!("invalid JSON: {}", json_error_reason(&e));
            problems.push(Problem {
                file: file.into(),
                line: Some(e.line()),
                column: Some(e.column()),
                message,
            });
            return Err(problems);
        }
    };
    let cases = check_cases(file, &value, intents, &mut problems);
    match problems.is_empty() {
        true => Ok(SuiteFile {
            name,
            bytes: bytes.to_vec(),
            cases,
        }),
        false => Err(problems),
    }
}

fn check_cases(
    file: &str,
    value: &Value,
    intents: Option<&BTreeSet<String>>,
    problems: &mut Vec<Problem>,
) -> usize {
    let Some(cases) = value.get("testCases").and_then(Value::as_array) else {
        problems.push(Problem::in_file(
            file,
            "a test suite is {\"testCases\": [{\"input\": \"…\", \"intent\": \"…\"}, …]}",
        ));
        return 0;
    };
    let mut say = |message: String| problems.push(Problem::in_file(file, message));
    if cases.is_empty() {
        say("testCases is empty: a suite with no case tests nothing".into());
    }
    if cases.len() > MAX_CASES {
        say(format!(
            "{} test cases; the platform takes at most {MAX_CASES}",
            cases.len()
        ));
    }
    let mut unknown = BTreeSet::new();
    for (i, case) in cases.iter().enumerate() {
        let input = case.get("input").and_then(Value::as_str);
        match input {
            None => say(format!("testCases[{i}]: input is missing or not a string")),
            Some(s) if s.trim().is_empty() => say(format!("testCases[{i}]: input is empty")),
            Some(s) if s.chars().count() > MAX_INPUT_CHARS => say(format!(
                "testCases[{i}]: input is over {MAX_INPUT_CHARS} characters, which the platform refuses"
            )),
            Some(_) => {}
        }
        let expected = match case.get("intent") {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                say(format!("testCases[{i}]: intent must be a string"));
                continue;
            }
        };
        let listed: Vec<&str> = expected
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if listed.len() > 3 {
            say(format!(
                "testCases[{i}]: at most 3 accepted intents (\"A | B | C\")"
            ));
        }
        if let Some(intents) = intents {
            unknown.extend(
                listed
                    .into_iter()
                    .filter(|l| !intents.contains(*l))
                    .map(str::to_owned),
            );
        }
    }
    if !unknown.is_empty() {
        let quoted: Vec<String> = unknown.iter().map(|i| format!("{i:?}")).collect();
        say(format!(
            "expects intents the definition does not have: {} (such a case could never pass)",
            quoted.join(", ")
        ));
    }
    cases.len()
}

/// The problem of a `[gate] languages` list naming languages the
/// definition lacks (`held`): such a run is refused by the platform.
pub fn check_gate_languages(file: &str, gate: &GateSettings, held: &[String]) -> Option<Problem> {
    let missing: Vec<String> = gate
        .languages
        .iter()
        .filter(|l| !held.contains(l))
        .map(|l| format!("{l:?}"))
        .collect();
    (!missing.is_empty()).then(|| {
        Problem::in_file(
            file,
            format!(
                "[gate] languages lists {}, which the definition does not hold (it has {}): \
                 a suite could never run there",
                missing.join(", "),
                held.join(", ")
            ),
        )
    })
}

/// The intent names of a definition: its utterances' `taskName`s and its
/// intent components' names in every language. `None`: not a JSON object.
pub fn definition_intents(definition: &[u8]) -> Option<BTreeSet<String>> {
    let value: Value = serde_json::from_slice(definition).ok()?;
    let mut intents = BTreeSet::new();
    for sentence in value["sentences"].as_array().into_iter().flatten() {
        if let Some(name) = sentence["taskName"].as_str() {
            intents.insert(name.to_owned());
        }
    }
    let components = value["dialogComponents"].as_array().into_iter().flatten();
    for component in components.filter(|c| c["type"] == "intent") {
        if let Some(name) = component["name"].as_str() {
            intents.insert(name.to_owned());
        }
        let locales = component["localeData"].as_object().into_iter().flatten();
        for (_, locale) in locales {
            if let Some(name) = locale["intent"].as_str() {
                intents.insert(name.to_owned());
            }
        }
    }
    Some(intents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intents() -> BTreeSet<String> {
        ["Reset Password".to_owned()].into()
    }

    #[test]
    fn a_good_suite_reads() {
        let text = br#"{"testCases":[{"input":"reset my password","intent":"Reset Password"},{"input":"hi","intent":""}]}"#;
        let suite = parse_suite(
            "b/tests/smoke.json",
            "tests/smoke.json",
            text,
            Some(&intents()),
        )
        .unwrap();
        assert_eq!((suite.name.as_str(), suite.cases), ("smoke", 2));
    }

    #[test]
    fn what_the_platform_refuses_is_named() {
        let long = "a".repeat(3001);
        let text = format!(
            r#"{{"testCases":[{{"input":"{long}","intent":"Reset Password"}},{{"intent":"Nope | Other"}}]}}"#
        );
        let problems =
            parse_suite("f", "tests/s.json", text.as_bytes(), Some(&intents())).unwrap_err();
        let all = problems
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(all.contains("over 3000"), "{all}");
        assert!(all.contains("testCases[1]: input is missing"), "{all}");
        assert!(all.contains("\"Nope\", \"Other\""), "{all}");
        let many = format!(
            r#"{{"testCases":[{}]}}"#,
            vec![r#"{"input":"a","intent":""}"#; 1001].join(",")
        );
        let problems = parse_suite("f", "tests/s.json", many.as_bytes(), None).unwrap_err();
        assert!(problems[0].message.contains("at most 1000"), "{problems:?}");
        let problems = parse_suite("f", "tests/s.json", b"{\"testCases\": [", None).unwrap_err();
        assert!(
            problems[0].message.starts_with("invalid JSON"),
            "{problems:?}"
        );
    }

    #[test]
    fn intents_come_from_utterances_and_intent_components() {
        let definition = br#"{"sentences":[{"taskName":"A"}],"dialogComponents":[{"type":"intent","name":"B_x","localeData":{"en":{"intent":"B"}}},{"type":"message","name":"M"}]}"#;
        let intents = definition_intents(definition).unwrap();
        assert_eq!(intents, ["A", "B", "B_x"].map(String::from).into());
    }
}
