//! Batch test suites (platform-api.md, "Batch tests"): suites imported from
//! an uploaded file, listed, exported and deleted (App Builder or Admin
//! Console apps), and run against the in-development or published copy of
//! one language (App Builder apps only). A run is a job like the others
//! (instant, timed or manual, scripted failures); its result is computed
//! with the deterministic model of [`model`] when the run is accepted.
//!
//! ASSUMED where the documentation is silent (the harsher reading):
//! - a run of a suite while another run of the same suite is in progress is
//!   refused with 409; runs never block other jobs of the bot;
//! - importing `new` over an existing name is 409, `update` of an unknown
//!   name 404; a malformed file is 400 naming the test case;
//! - the run's result is fixed when it is accepted, against the model the
//!   copy had then (in-development: the last training of that language;
//!   published: the published copy);
//! - a failed run answers `"status": "failed"`; the report link expires like
//!   export links and every status read issues a fresh one;
//! - the list answers `{"testSuites": [...], "total": n}`.

pub mod api;
pub mod model;
pub mod report;

use std::sync::Arc;

use serde_json::Value;

use model::Model;

use super::seed::BotFiles;

/// Most test cases a suite may hold.
pub const MAX_CASES: usize = 1000;
/// Longest input, in characters.
pub const MAX_INPUT_CHARS: usize = 3000;
/// Most accepted intents of one case (`"A | B | C"`).
pub const MAX_INTENTS: usize = 3;

/// One test case: an utterance and the intents accepted for it (none: the
/// utterance must match no intent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub input: String,
    pub intents: Vec<String>,
    /// The `intent` field as written.
    pub expected: String,
}

/// A suite of a bot.
#[derive(Debug, Clone)]
pub struct Suite {
    pub id: String,
    pub name: String,
    pub description: String,
    pub language: String,
    pub file_id: String,
    pub created_on: String,
    pub cases: Arc<Vec<Case>>,
    /// The file as imported, for export.
    pub file: Arc<Vec<u8>>,
}

impl Suite {
    /// The suite as the list and import answer it.
    pub fn view(&self, bot: &str) -> Value {
        serde_json::json!({
            "_id": self.id,
            "name": self.name,
            "description": self.description,
            "streamId": bot,
            "language": self.language,
            "fileId": self.file_id,
            "testCasesCount": self.cases.len(),
            "createdOn": self.created_on,
        })
    }
}

/// Reads a suite file (the JSON form), refusing what the platform refuses.
pub fn parse_cases(bytes: &[u8]) -> Result<Vec<Case>, String> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("The test suite file is not valid JSON: {e}"))?;
    let cases = value
        .get("testCases")
        .and_then(Value::as_array)
        .ok_or("The test suite file has no testCases list")?;
    if cases.is_empty() {
        return Err("The test suite has no test cases".into());
    }
    if cases.len() > MAX_CASES {
        return Err(format!(
            "The test suite has {} test cases; at most {MAX_CASES} are allowed",
            cases.len()
        ));
    }
    cases
        .iter()
        .enumerate()
        .map(|(i, c)| parse_case(i, c))
        .collect()
}

fn parse_case(index: usize, case: &Value) -> Result<Case, String> {
    let at = |what: &str| format!("testCases[{index}]: {what}");
    let input = case
        .get("input")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| at("input is missing or empty"))?;
    if input.chars().count() > MAX_INPUT_CHARS {
        return Err(at(&format!("input is over {MAX_INPUT_CHARS} characters")));
    }
    let expected = match case.get("intent") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(at("intent must be a string")),
    };
    let intents: Vec<String> = expected
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if intents.len() > MAX_INTENTS {
        return Err(at(&format!(
            "at most {MAX_INTENTS} intents may be accepted"
        )));
    }
    Ok(Case {
        input: input.to_owned(),
        intents,
        expected: expected.to_owned(),
    })
}

/// How one test case came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    TruePositive,
    TrueNegative,
    FalsePositive,
    FalseNegative,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::TruePositive => "True Positive",
            Outcome::TrueNegative => "True Negative",
            Outcome::FalsePositive => "False Positive",
            Outcome::FalseNegative => "False Negative",
        }
    }

    fn of(case: &Case, matched: Option<&str>) -> Outcome {
        match matched {
            Some(m) if case.intents.iter().any(|i| i == m) => Outcome::TruePositive,
            Some(_) => Outcome::FalsePositive,
            None if case.intents.is_empty() => Outcome::TrueNegative,
            None => Outcome::FalseNegative,
        }
    }
}

/// One test case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub case: Case,
    pub matched: Option<String>,
    pub outcome: Outcome,
}

/// Counts and figures of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub tp: usize,
    pub tn: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Figures {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// Two decimals, as the platform writes figures.
pub fn two_decimals(x: f64) -> String {
    format!("{x:.2}")
}

/// A run of a suite, with its result computed when it was accepted.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: String,
    pub suite: String,
    pub language: String,
    /// `inDevelopment` or `published`.
    pub version: String,
    /// The digest of the copy whose model ran.
    pub digest: String,
    pub results: Vec<CaseResult>,
    pub figures: Figures,
    /// The report file's id once the run completed.
    pub report: Option<String>,
    pub started_on: String,
    pub ended_on: Option<String>,
}

/// Runs `cases` against the model of `language` of `copy`.
pub fn evaluate(copy: &BotFiles, language: &str, cases: &[Case]) -> (Vec<CaseResult>, Figures) {
    let model = Model::of(copy, language);
    let mut figures = Figures::default();
    let results = cases
        .iter()
        .map(|case| {
            let matched = model.detect(&case.input);
            let outcome = Outcome::of(case, matched.as_deref());
            match outcome {
                Outcome::TruePositive => figures.tp += 1,
                Outcome::TrueNegative => figures.tn += 1,
                Outcome::FalsePositive => figures.fp += 1,
                Outcome::FalseNegative => figures.fn_ += 1,
            }
            CaseResult {
                case: case.clone(),
                matched,
                outcome,
            }
        })
        .collect();
    (results, figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_refused_as_the_platform_refuses_it() {
        let ok = br#"{"testCases":[{"input":"hi","intent":"A | B"},{"input":"x","intent":""}]}"#;
        let cases = parse_cases(ok).unwrap();
        assert_eq!(cases[0].intents, ["A", "B"]);
        assert!(cases[1].intents.is_empty());
        let long = format!(
            r#"{{"testCases":[{{"input":"{}","intent":"A"}}]}}"#,
            "a".repeat(3001)
        );
        assert!(
            parse_cases(long.as_bytes())
                .unwrap_err()
                .contains("over 3000")
        );
        let many = format!(
            r#"{{"testCases":[{}]}}"#,
            vec![r#"{"input":"a","intent":"A"}"#; 1001].join(",")
        );
        assert!(parse_cases(many.as_bytes()).unwrap_err().contains("1001"));
        assert!(parse_cases(br#"{"cases":[]}"#).is_err());
        let no_input = br#"{"testCases":[{"intent":"A"}]}"#;
        assert!(parse_cases(no_input).unwrap_err().contains("testCases[0]"));
    }

    #[test]
    fn figures_follow_the_documented_formulas() {
        let f = Figures {
            tp: 8,
            tn: 1,
            fp: 1,
            fn_: 2,
        };
        assert_eq!(two_decimals(f.precision()), "0.89");
        assert_eq!(two_decimals(f.recall()), "0.80");
        assert_eq!(two_decimals(f.f1()), "0.84");
        assert_eq!(Figures::default().f1(), 0.0);
    }
}
