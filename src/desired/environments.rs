//! Environments: one reviewed definition, several live bots.
//!
//! ```toml
//! # bots/travel-desk/bot.toml
//! drift = "revert"                  # defaults every environment may override
//!
//! [environments.staging]
//! platform = "dev"                  # a [platforms.<name>] of the daemon
//! bot_id = "st-…"
//!
//! [environments.prod]
//! platform = "prod"
//! bot_name = "Travel Desk"
//! after = "staging"                 # only commits staging is Synced at
//! ```
//!
//! A folder without `[environments.*]` keeps its meaning: one target, on the
//! daemon's `[platform]` (the platform named [`DEFAULT_PLATFORM`]). A folder
//! with environments is expanded into one [`DesiredBot`] per environment
//! (settings resolved, variable values applied), each known by its
//! [`TargetKey`], `folder/environment`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::ignore::{IgnoreRules, parse_rule};
use super::problem::Problem;
use super::settings::{BotSettings, BotTarget, DriftPolicy};
use super::target::{TargetKey, TargetOf};
use super::variables::Variables;
use super::{BotEntry, BotError, DesiredBot};

/// The platform of a folder without environments, and of an environment that
/// names none: the daemon's `[platform]` table.
pub const DEFAULT_PLATFORM: &str = "default";

/// One `[environments.<name>]` of `bot.toml`, validated; what it leaves out
/// comes from the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// The daemon's platform the live bot is on.
    pub platform: String,
    /// The live bot (`None`: the folder's own `bot_id`/`bot_name`).
    pub target: Option<BotTarget>,
    /// Moves only to commits at which this other environment is Synced.
    pub after: Option<String>,
    /// Follows this branch or tag instead of the daemon's branch.
    pub branch: Option<String>,
    /// Overrides of the folder's settings.
    pub languages: Option<Vec<String>>,
    /// The publish comment.
    pub publish_comment: Option<String>,
    /// The drift policy.
    pub drift: Option<DriftPolicy>,
    /// Ignore rules (replacing the folder's).
    pub ignore: Option<IgnoreRules>,
    /// Leave this environment's bot alone.
    pub suspend: Option<bool>,
}

/// One environment as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnvironment {
    platform: Option<Spanned<String>>,
    bot_id: Option<Spanned<String>>,
    bot_name: Option<Spanned<String>>,
    after: Option<Spanned<String>>,
    branch: Option<String>,
    languages: Option<Vec<Spanned<String>>>,
    publish_comment: Option<String>,
    drift: Option<DriftPolicy>,
    ignore: Option<Vec<Spanned<String>>>,
    suspend: Option<bool>,
}

/// Where a problem is: a span of `bot.toml`.
pub(super) type At<'a> = &'a dyn Fn(std::ops::Range<usize>, String) -> Problem;

/// Validates every environment; problems are recorded and the bad ones left out.
pub(super) fn parse_environments(
    raw: BTreeMap<String, Spanned<RawEnvironment>>,
    at: At<'_>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, Environment> {
    let names: Vec<String> = raw.keys().cloned().collect();
    let mut environments = BTreeMap::new();
    for (name, raw) in raw {
        let span = raw.span();
        let raw = raw.into_inner();
        if !is_environment_name(&name) {
            let message = format!(
                "[environments.{name}]: an environment name is letters, digits, '-' and '_'"
            );
            problems.push(at(span.clone(), message));
        }
        let target = match (raw.bot_id, raw.bot_name) {
            (Some(_), Some(n)) => {
                problems.push(at(
                    n.span(),
                    "give either bot_id or bot_name, not both".into(),
                ));
                None
            }
            (Some(id), None) => match id.get_ref().parse() {
                Ok(id) => Some(BotTarget::Id(id)),
                Err(e) => {
                    problems.push(at(id.span(), format!("bot_id: {e}")));
                    None
                }
            },
            (None, Some(n)) if n.get_ref().trim().is_empty() => {
                problems.push(at(n.span(), "bot_name must not be empty".into()));
                None
            }
            (None, Some(n)) => Some(BotTarget::Name(n.into_inner())),
            (None, None) => None,
        };
        if let Some(after) = &raw.after
            && (after.get_ref() == &name || !names.contains(after.get_ref()))
        {
            let message = format!(
                "after = {:?}: not another environment of this folder ({})",
                after.get_ref(),
                names.join(", ")
            );
            problems.push(at(after.span(), message));
        }
        if let Some(problem) = branch_problem(&name, raw.branch.as_deref(), raw.after.is_some()) {
            problems.push(at(span.clone(), problem));
        }
        let platform = match raw.platform {
            Some(p) if !is_environment_name(p.get_ref()) => {
                problems.push(at(
                    p.span(),
                    format!("platform {:?}: not a platform name", p.get_ref()),
                ));
                String::new()
            }
            Some(p) => p.into_inner(),
            None => DEFAULT_PLATFORM.to_owned(),
        };
        let ignore = raw.ignore.map(|rules| {
            let mut ignore = IgnoreRules::default();
            for rule in &rules {
                if let Err(reason) = parse_rule(rule.get_ref(), &mut ignore) {
                    problems.push(at(rule.span(), reason));
                }
            }
            ignore
        });
        let environment = Environment {
            platform,
            target,
            after: raw.after.map(Spanned::into_inner),
            branch: raw.branch,
            languages: raw
                .languages
                .map(|list| list.into_iter().map(Spanned::into_inner).collect()),
            publish_comment: raw.publish_comment,
            drift: raw.drift,
            ignore,
            suspend: raw.suspend,
        };
        environments.insert(name, environment);
    }
    refuse_cycles(&environments, problems);
    environments
}

/// `after` chains must end: `a` after `b` after `a` would wait forever.
fn refuse_cycles(environments: &BTreeMap<String, Environment>, problems: &mut Vec<Problem>) {
    for start in environments.keys() {
        let mut seen = vec![start.as_str()];
        let mut at = start.as_str();
        while let Some(next) = environments.get(at).and_then(|e| e.after.as_deref()) {
            if seen.contains(&next) {
                if next == start {
                    let message = format!(
                        "[environments.{start}] after: the chain {} → {next} never ends",
                        seen.join(" → ")
                    );
                    problems.push(Problem::in_file("bot.toml", message));
                }
                break;
            }
            seen.push(next);
            at = next;
        }
    }
}

fn is_environment_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl BotSettings {
    /// The settings of `environment`: its own where it sets them, the
    /// folder's otherwise.
    pub fn in_environment(&self, environment: &Environment) -> BotSettings {
        BotSettings {
            target: environment.target.clone().unwrap_or(self.target.clone()),
            languages: environment
                .languages
                .clone()
                .unwrap_or(self.languages.clone()),
            publish_comment: environment
                .publish_comment
                .clone()
                .or(self.publish_comment.clone()),
            drift: environment.drift.unwrap_or(self.drift),
            ignore: environment.ignore.clone().unwrap_or(self.ignore.clone()),
            suspend: environment.suspend.unwrap_or(self.suspend),
            import: self.import,
            environments: BTreeMap::new(),
            gate: self.gate.clone(),
        }
    }
}

/// What is wrong with an environment's `branch`, if anything. An
/// environment that follows another branch or tag cannot also follow
/// another environment (`after`): the commits `after` promotes to are those
/// of the daemon's branch, where the followed environment's notes are.
fn branch_problem(name: &str, branch: Option<&str>, after: bool) -> Option<String> {
    let branch = branch?;
    let valid = !branch.is_empty()
        && !branch.starts_with("refs/")
        && git2::Reference::is_valid_name(&format!("refs/heads/{branch}"));
    if !valid {
        return Some(format!(
            "[environments.{name}] branch = {branch:?}: not a branch or tag name"
        ));
    }
    after.then(|| {
        format!(
            "[environments.{name}]: branch and after cannot be combined: after promotes along \
             the daemon's branch, where the followed environment's notes are; promote to \
             {branch:?} by merging into it instead"
        )
    })
}

/// Every target of every folder: a folder without environments is one
/// target; a folder with environments one per environment, each with its
/// settings resolved and its variable values in `config.json`. A folder that
/// cannot be read stays one (failed) entry under its folder name. `wanted`
/// limits the targets to some environments (a folder without environments
/// counts as named when `wanted` names its platform's [`DEFAULT_PLATFORM`]
/// or when `wanted` is `None`).
pub fn expand_targets(
    entries: Vec<BotEntry>,
    wanted: Option<&[String]>,
) -> Vec<(TargetKey, BotEntry)> {
    let mut targets = Vec::new();
    for entry in entries {
        let bot = match entry {
            Ok(bot) => bot,
            Err(error) => {
                targets.push((TargetKey::new(&error.folder, None), Err(error)));
                continue;
            }
        };
        let environments = bot.settings.environments.clone();
        if environments.is_empty() {
            if wanted.is_none_or(|w| w.iter().any(|e| e == DEFAULT_PLATFORM)) {
                let key = bot.key();
                targets.push((key, with_variables(bot, None)));
            }
            continue;
        }
        for (name, environment) in environments {
            if wanted.is_some_and(|w| !w.contains(&name)) {
                continue;
            }
            let mut target = bot.clone();
            target.settings = bot.settings.in_environment(&environment);
            target.target = TargetOf {
                environment: Some(name.clone()),
                platform: environment.platform.clone(),
                after: environment.after.clone(),
                branch: environment.branch.clone(),
            };
            targets.push((target.key(), with_variables(target, Some(&name))));
        }
    }
    targets
}

/// Applies the environment's variable file (values into `config.json`); the
/// target keeps only its own file (secrets are read at pass time).
fn with_variables(mut bot: DesiredBot, environment: Option<&str>) -> BotEntry {
    let file = environment.unwrap_or("");
    let variables = bot.variables.remove(file).unwrap_or_default();
    bot.variables.clear();
    match variables.apply_values(&bot.files.config) {
        Ok(config) => bot.files.config = config,
        Err(message) => {
            return Err(BotError {
                folder: bot.key().to_string(),
                problems: vec![Problem::in_file(
                    format!("{}/{}", bot.name, Variables::file_name(environment)),
                    message,
                )],
            });
        }
    }
    for key in &variables.keep {
        bot.settings.ignore.variable_values.push(key.clone());
    }
    for key in variables.secrets.keys() {
        bot.settings.ignore.variable_values.retain(|k| k != key);
    }
    bot.variables.insert(file.to_owned(), variables);
    Ok(bot)
}

/// The environments a folder's `bot.toml` names, for problems of
/// `variables.<env>.toml` files that name none of them.
pub(super) fn unknown_variable_files(
    settings: &BotSettings,
    variables: &BTreeMap<String, Variables>,
    label: &str,
) -> Vec<Problem> {
    variables
        .keys()
        .filter(|env| match env.is_empty() {
            true => !settings.environments.is_empty(),
            false => !settings.environments.contains_key(env.as_str()),
        })
        .map(|env| {
            let file = format!(
                "{label}/{}",
                Variables::file_name(Some(env).filter(|e| !e.is_empty()).map(String::as_str))
            );
            let message = match env.is_empty() {
                true => "this folder has environments: name the file variables.<environment>.toml"
                    .to_owned(),
                false => format!("bot.toml has no [environments.{env}]"),
            };
            Problem::in_file(file, message)
        })
        .collect()
}
