//! `bot.toml`: which live bot a folder defines and how kore-gitops treats it.
//!
//! Parsing is strict (unknown keys are rejected) and every problem carries the
//! line it is on, because a typo such as `ignroe = [...]` silently ignored would
//! make the daemon do something nobody asked for.

use serde::Deserialize;
use toml::Spanned;

use std::collections::BTreeMap;

use super::environments::{Environment, RawEnvironment, parse_environments};
use super::ignore::{IgnoreRules, parse_rule};
use super::problem::Problem;
use crate::ids::BotId;

/// Which live bot a folder defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotTarget {
    /// `bot_id = "st-…"`.
    Id(BotId),
    /// `bot_name = "…"`, resolved through Get Bots.
    Name(String),
}

/// What to do when the live bot drifts from the commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftPolicy {
    /// Import the commit again (the default).
    #[default]
    Revert,
    /// Only report the drift.
    Report,
    /// Report any difference and never import, not even a new commit: the
    /// live bot is edited elsewhere (a dev bot designers work in), and
    /// `kore-gitops pull --env` brings their edits into git.
    Observe,
}

/// How imported utterances meet the ones already on the platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UtteranceMode {
    /// The file's utterances replace the bot's (the default).
    #[default]
    Replace,
    /// The file's utterances are added to the bot's.
    Append,
}

/// Options passed to the platform's import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// `[import] utterances = "replace" | "append"`.
    pub utterances: UtteranceMode,
}

/// The validated contents of `bot.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotSettings {
    /// The live bot.
    pub target: BotTarget,
    /// Languages to train when they narrow the definition's on purpose; empty
    /// means every language the definition holds ([`super::DesiredBot::languages`]).
    pub languages: Vec<String>,
    /// The publish comment (a default is used when absent).
    pub publish_comment: Option<String>,
    /// Revert or report drift.
    pub drift: DriftPolicy,
    /// Paths both sides of a comparison leave out.
    pub ignore: IgnoreRules,
    /// `suspend = true`: leave the bot alone.
    pub suspend: bool,
    /// Import options.
    pub import: ImportOptions,
    /// `[environments.<name>]`: the targets of a folder with environments
    /// (empty: the folder is one target). Resolved settings are in each
    /// expanded target's own `BotSettings`.
    pub environments: BTreeMap<String, Environment>,
    /// `[gate]`: publish only when the suites in `tests/` pass.
    pub gate: Option<super::gate::GateSettings>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    bot_id: Option<Spanned<String>>,
    bot_name: Option<Spanned<String>>,
    #[serde(default)]
    languages: Vec<Spanned<String>>,
    publish_comment: Option<String>,
    #[serde(default)]
    drift: DriftPolicy,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    suspend: bool,
    #[serde(default)]
    import: RawImport,
    #[serde(default)]
    environments: BTreeMap<String, Spanned<RawEnvironment>>,
    gate: Option<super::gate::RawGate>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    utterances: Option<Spanned<UtteranceMode>>,
}

/// Why `[import] utterances = "append"` is refused: an append import is a
/// union with what the bot already has (platform-api.md, "Import options"),
/// so an utterance deleted in git would stay on the bot, the import could
/// never be verified, and the bot would be imported again on every pass.
pub const APPEND_REFUSED: &str = "[import] utterances = \"append\" cannot converge: an append \
import keeps every utterance the bot already has, so one deleted in git would never leave the \
bot; remove the line (the default, \"replace\", makes the bot hold exactly the commit's utterances)";

/// Parses `bot.toml` text; `file` names it in problems.
pub fn parse_settings(file: &str, text: &[u8]) -> Result<BotSettings, Vec<Problem>> {
    let raw: RawSettings = parse_toml(file, text)?;
    let mut problems = Vec::new();
    let at = |span: std::ops::Range<usize>, message: String| {
        Problem::at_offset(file, text, span.start, message)
    };
    let mut raw = raw;
    let environments =
        parse_environments(std::mem::take(&mut raw.environments), &at, &mut problems);
    let target = match (&raw.bot_id, &raw.bot_name, environments.is_empty()) {
        (None, None, false) => environment_target(&environments, file, &mut problems),
        _ => resolve_target(&raw, &mut problems, &at, file),
    };
    for language in &raw.languages {
        if !is_language_code(language.get_ref()) {
            problems.push(at(
                language.span(),
                format!(
                    "{:?} is not a language code such as \"en\"",
                    language.get_ref()
                ),
            ));
        }
    }
    if let Some(mode) = &raw.import.utterances
        && *mode.get_ref() == UtteranceMode::Append
    {
        problems.push(at(mode.span(), APPEND_REFUSED.to_owned()));
    }
    let whole = |message: String| Problem::in_file(file, message);
    let gate = raw
        .gate
        .map(|gate| gate.validate(&at, &whole, &mut problems));
    let mut ignore = IgnoreRules::default();
    for rule in &raw.ignore {
        if let Err(reason) = parse_rule(rule.get_ref(), &mut ignore) {
            problems.push(at(rule.span(), reason));
        }
    }
    match target {
        Some(target) if problems.is_empty() => Ok(BotSettings {
            target,
            languages: raw.languages.into_iter().map(Spanned::into_inner).collect(),
            publish_comment: raw.publish_comment,
            drift: raw.drift,
            ignore,
            suspend: raw.suspend,
            import: ImportOptions {
                utterances: raw
                    .import
                    .utterances
                    .map(Spanned::into_inner)
                    .unwrap_or_default(),
            },
            environments,
            gate: gate.flatten(),
        }),
        _ => Err(problems),
    }
}

fn resolve_target(
    raw: &RawSettings,
    problems: &mut Vec<Problem>,
    at: &dyn Fn(std::ops::Range<usize>, String) -> Problem,
    file: &str,
) -> Option<BotTarget> {
    match (&raw.bot_id, &raw.bot_name) {
        (Some(id), None) => match id.get_ref().parse::<BotId>() {
            Ok(id) => Some(BotTarget::Id(id)),
            Err(e) => {
                problems.push(at(id.span(), format!("bot_id: {e}")));
                None
            }
        },
        (None, Some(name)) if name.get_ref().trim().is_empty() => {
            problems.push(at(name.span(), "bot_name must not be empty".to_owned()));
            None
        }
        (None, Some(name)) => Some(BotTarget::Name(name.get_ref().clone())),
        (Some(_), Some(name)) => {
            problems.push(at(
                name.span(),
                "give either bot_id or bot_name, not both".to_owned(),
            ));
            None
        }
        (None, None) => {
            problems.push(Problem::in_file(
                file,
                "missing bot_id = \"st-…\" (or bot_name = \"…\")",
            ));
            None
        }
    }
}

/// A folder with environments and no `bot_id`/`bot_name` of its own: each
/// environment names its bot, and the first one stands for the folder where a
/// command takes one bot per folder (`pull` without `--env`).
fn environment_target(
    environments: &BTreeMap<String, Environment>,
    file: &str,
    problems: &mut Vec<Problem>,
) -> Option<BotTarget> {
    for (name, environment) in environments {
        if environment.target.is_none() {
            problems.push(Problem::in_file(
                file,
                format!("[environments.{name}]: missing bot_id = \"st-…\" (or bot_name = \"…\"), and the file names no bot for every environment"),
            ));
        }
    }
    environments.values().find_map(|e| e.target.clone())
}

pub(crate) fn is_language_code(code: &str) -> bool {
    (2..=10).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
}

/// Reads a reviewed TOML file (`bot.toml`, a variables file) into `T`: text
/// that is not UTF-8 or not TOML is one problem, on the line it is on.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &[u8],
) -> Result<T, Vec<Problem>> {
    let source = std::str::from_utf8(text).map_err(|e| vec![not_utf8(file, text, &e)])?;
    toml::from_str(source).map_err(|e| {
        let message = e.message().trim().to_owned();
        vec![match e.span() {
            Some(span) => Problem::at_offset(file, text, span.start, message),
            None => Problem::in_file(file, message),
        }]
    })
}

/// The problem for text that is not UTF-8, pointing at the first bad byte.
pub(crate) fn not_utf8(file: &str, text: &[u8], error: &std::str::Utf8Error) -> Problem {
    Problem::at_offset(file, text, error.valid_up_to(), "not valid UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "st-d80da043-d205-5297-85dd-08e4fdd86ba0";

    #[test]
    fn full_settings_parse() {
        let text = format!(
            "bot_id = \"{ID}\"\nlanguages = [\"en\", \"es\"]\npublish_comment = \"c\"\ndrift = \"report\"\n\
             ignore = [\"/widgets\", \"config:/envVariables/*/hint\"]\nsuspend = true\n[import]\nutterances = \"replace\"\n"
        );
        let settings = parse_settings("bot.toml", text.as_bytes()).unwrap();
        assert_eq!(settings.target, BotTarget::Id(ID.parse().unwrap()));
        assert_eq!(settings.languages, ["en", "es"]);
        assert_eq!(settings.drift, DriftPolicy::Report);
        assert!(settings.suspend);
        assert_eq!(settings.import.utterances, UtteranceMode::Replace);
        assert_eq!(settings.ignore.definition.len(), 1);
        assert_eq!(settings.ignore.config.len(), 1);
    }

    #[test]
    fn appending_utterances_is_refused_on_its_line_with_the_reason() {
        let text = format!("bot_id = \"{ID}\"\n[import]\nutterances = \"append\"\n");
        let problems = parse_settings("bot.toml", text.as_bytes()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(3), "{problems:?}");
        assert_eq!(problems[0].message, APPEND_REFUSED);
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_line() {
        let text = format!("bot_id = \"{ID}\"\nignroe = []\n");
        let problems = parse_settings("b/bot.toml", text.as_bytes()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(2), "{problems:?}");
        assert!(problems[0].message.contains("ignroe"), "{problems:?}");
    }

    #[test]
    fn semantic_problems_are_all_reported_with_lines() {
        let text = "bot_id = \"st-nope\"\nlanguages = [\"EN!\"]\nignore = [\"widgets\"]\n";
        let problems = parse_settings("bot.toml", text.as_bytes()).unwrap_err();
        let lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(1), Some(2), Some(3)], "{problems:?}");
    }

    #[test]
    fn both_or_neither_target_is_refused() {
        let both = format!("bot_id = \"{ID}\"\nbot_name = \"x\"\n");
        assert!(
            parse_settings("bot.toml", both.as_bytes()).unwrap_err()[0]
                .message
                .contains("not both")
        );
        assert!(
            parse_settings("bot.toml", b"suspend = true\n").unwrap_err()[0]
                .message
                .contains("missing bot_id")
        );
    }
}
