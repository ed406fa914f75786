//! What a note says about a bot's publish gate: each suite's figures per
//! language, whether it passed, and the utterances it failed on.

use serde::{Deserialize, Serialize};

/// The gate of one pass (`[bots.<bot>.gate]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateNote {
    /// The digest of what was gated: the suites, thresholds and languages
    /// (with the definition's digest in `desired`, it says whether a later
    /// pass at the same content needs to run the gate again).
    pub digest: String,
    /// Whether every suite met its thresholds.
    pub passed: bool,
    /// One entry per suite and language.
    #[serde(default)]
    pub runs: Vec<SuiteRun>,
}

/// One suite's run in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteRun {
    pub suite: String,
    pub language: String,
    /// The platform's id of the run of the in-development copy (`tr-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The in-development copy's F1 score, as the platform wrote it ("0.84").
    pub f1: String,
    pub precision: String,
    pub recall: String,
    /// The published copy's F1 score, when a drop threshold needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_f1: Option<String>,
    pub passed: bool,
    /// Why not, in words ("F1 0.50 < 0.90").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The worst utterances of the report (failed cases), quoted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
}
