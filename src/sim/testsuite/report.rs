//! The CSV report of a completed run: a summary block, a blank line, then
//! one row per test case (utterance, expected intent, matched intent, result
//! type), fields quoted as CSV quotes them.

use super::{Run, two_decimals};

/// The header of the per-case rows (UNCONFIRMED spelling on the platform).
pub const CASE_HEADER: &[&str] = &[
    "Utterance",
    "Expected Intent",
    "Matched Intent",
    "Result Type",
];

/// The report's bytes.
pub fn csv(run: &Run) -> Vec<u8> {
    let f = &run.figures;
    let mut out = String::new();
    let summary = [
        ("Test Suite", run.suite.clone()),
        ("Run Type", run.version.clone()),
        ("Language", run.language.clone()),
        ("F1 Score", two_decimals(f.f1())),
        ("Precision", two_decimals(f.precision())),
        ("Recall", two_decimals(f.recall())),
        ("True Positives", f.tp.to_string()),
        ("True Negatives", f.tn.to_string()),
        ("False Positives", f.fp.to_string()),
        ("False Negatives", f.fn_.to_string()),
    ];
    for (key, value) in summary {
        line(&mut out, &[key, &value]);
    }
    out.push('\n');
    line(&mut out, CASE_HEADER);
    for result in &run.results {
        let matched = result.matched.as_deref().unwrap_or("");
        let row = [
            result.case.input.as_str(),
            result.case.expected.as_str(),
            matched,
            result.outcome.name(),
        ];
        line(&mut out, &row);
    }
    out.into_bytes()
}

fn line(out: &mut String, fields: &[&str]) {
    let quoted: Vec<String> = fields.iter().map(|f| quote(f)).collect();
    out.push_str(&quoted.join(","));
    out.push('\n');
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}
