//! `kore-gitops pull --config FILE --bot NAME [--into DIR]`: export a live
//! bot's in-development copy into its bot folder, so a team can start from
//! what is live.
//!
//! A new file is re-indented (4 spaces, as in `examples/bots/`) without being
//! re-serialised, so key order, numbers, escapes and volatile fields stay
//! exactly as exported. Over an existing file, every part the diff sees as
//! equal keeps the previous bytes (`keep`): the git diff of a pull shows what
//! changed on the live bot, not what the export regenerated. Every file is written atomically; `bot.toml` records
//! every language the live bot has, and an existing one keeps its other
//! settings (see `settings.rs`). `config.json` may hold secret values: its
//! content is never printed.
//!
//! Exit codes: 0 pulled; 1 the platform refused or failed, or the folder could
//! not be written; 2 usage (a bad folder name, an invalid `bot.toml`); 64 the
//! configuration.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::daemon::{ConfigArg, load_config_for};
use crate::config::{Config, PlatformSettings, Purpose};
use crate::desired::{
    BotName, BotSettings, BotTarget, DEFAULT_PLATFORM, IgnoreRules, Variables,
    definition_languages, parse_settings,
};
use crate::ids::BotId;
use crate::platform::{BotSummary, ExportArchive, ExportKind, PlatformClient, PlatformError};
use crate::reconcile::daemon::platform_config;
use crate::reconcile::identity::{IdentityError, resolve};

mod keep;
mod settings;
mod variables;
mod write;

/// The flags of `kore-gitops pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The bot folder name. When the folder has a `bot.toml`, it says which
    /// live bot; otherwise NAME is the live bot's name and a `bot.toml` is written.
    #[arg(long = "bot", value_name = "NAME", env = "KORE_GITOPS_BOT")]
    pub bot: String,
    /// The folder to write (default: `<git.bots_dir>/NAME`, relative to the
    /// current directory).
    #[arg(long, value_name = "DIR", env = "KORE_GITOPS_INTO")]
    pub into: Option<PathBuf>,
    /// Pull from this environment's bot (`[environments.ENV]` of the
    /// folder's `bot.toml`), on its platform.
    #[arg(long = "env", value_name = "ENV", env = "KORE_GITOPS_ENV")]
    pub env: Option<String>,
}

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// NAME cannot be a folder name and no `--into` was given.
    #[error("{0}; give the folder with --into DIR")]
    FolderName(String),
    /// The folder's `bot.toml` is invalid.
    #[error("{0}")]
    Settings(String),
    /// The platform settings do not make a client.
    #[error("platform: {0}")]
    Client(String),
    /// A platform call failed.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// No live bot has the name given (and the folder has no `bot.toml`).
    #[error("no live bot is named {0:?} (Get Bots lists none by that name)")]
    NoSuchBot(String),
    /// `bot.toml` names no live bot, or several.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// An exported JSON file is not JSON.
    #[error("the exported {file} is not valid JSON: {reason}")]
    NotJson {
        /// The file.
        file: String,
        /// Where it went wrong (no content).
        reason: String,
    },
    /// The folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl PullError {
    /// The exit code: 2 for usage and input errors, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            PullError::FolderName(_) | PullError::Settings(_) => 2,
            _ => 1,
        }
    }
}

/// What a pull did.
#[derive(Debug)]
pub struct Pulled {
    /// The live bot.
    pub bot: BotSummary,
    /// The folder written.
    pub folder: PathBuf,
    /// The files written, `bot.toml` included when it was new or changed.
    pub written: Vec<String>,
    /// Stale files removed (functions the export no longer has).
    pub removed: Vec<String>,
    /// What the person pulling must do (a secret to provide); no value.
    pub notices: Vec<String>,
}

/// Runs `kore-gitops pull`: a summary on `out`, problems on `err`.
pub fn run_pull(args: &PullArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let config = match load_config_for(&args.config.config, Purpose::OneShot) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let source = Source {
        environment: args.env.as_deref(),
    };
    match pull_from(&config, &args.bot, args.into.as_deref(), source) {
        Ok(pulled) => {
            let _ = writeln!(
                out,
                "pulled {:?} ({}) into {}: wrote {}{}",
                pulled.bot.name,
                pulled.bot.id,
                pulled.folder.display(),
                pulled.written.join(", "),
                removed_note(&pulled.removed),
            );
            for notice in &pulled.notices {
                let _ = writeln!(out, "note: {notice}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn removed_note(removed: &[String]) -> String {
    match removed {
        [] => String::new(),
        names => format!("; removed {}", names.join(", ")),
    }
}

/// Which bot of a folder a pull exports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source<'a> {
    /// The environment (`None`: the folder's own bot, on `[platform]`).
    pub environment: Option<&'a str>,
}

/// Exports the live bot `name` means into `into` (default `<bots_dir>/<name>`).
pub fn pull(config: &Config, name: &str, into: Option<&Path>) -> Result<Pulled, PullError> {
    pull_from(config, name, into, Source::default())
}

/// [`pull`] from `source`.
pub fn pull_from(
    config: &Config,
    name: &str,
    into: Option<&Path>,
    source: Source<'_>,
) -> Result<Pulled, PullError> {
    let folder = match into {
        Some(dir) => dir.to_owned(),
        None => {
            BotName::parse(name).map_err(PullError::FolderName)?;
            Path::new(&config.git.bots_dir).join(name)
        }
    };
    let existing = read_settings(&folder)?;
    let has_settings = existing.is_some();
    let (target, platform) = source_of(existing.as_ref(), name, source)?;
    let platform = config.platform(&platform).ok_or_else(|| {
        PullError::Client(format!(
            "the configuration has no platform named {platform:?}"
        ))
    })?;
    let runtime = super::runtime().map_err(|source| PullError::Io {
        path: "the async runtime".to_owned(),
        source,
    })?;
    let (bot, mut archive) = runtime.block_on(export(platform, &target, has_settings))?;
    let mut notices = capture_variables(&folder, &mut archive, source.environment)?;
    let languages = definition_languages(&archive.definition);
    let existing_text = existing.as_ref().map(|(text, _)| text.as_slice());
    let settings = settings::recorded(existing_text, &bot.id, &languages)?;
    let ignore = ignore_rules(existing.as_ref().map(|(_, s)| s), source);
    let laid_out = keep::lay_out(&folder, &archive, &ignore)?;
    archive.definition = laid_out.definition;
    archive.config = laid_out.config;
    let keep = laid_out.unchanged;
    notices.extend(laid_out.notices);
    let (written, removed) = write::write_bot(&folder, &archive, settings.as_deref(), &keep)?;
    Ok(Pulled {
        bot,
        folder,
        written,
        removed,
        notices,
    })
}

/// Keeps secrets (and, with `--env`, the environment's own values) out of
/// the `config.json` a pull writes; what to do about them, in words.
fn capture_variables(
    folder: &Path,
    archive: &mut ExportArchive,
    environment: Option<&str>,
) -> Result<Vec<String>, PullError> {
    let previous = std::fs::read(folder.join("config.json")).ok();
    let file = Variables::file_name(environment);
    let vars = match std::fs::read(folder.join(&file)) {
        Ok(text) => Some(Variables::parse(&file, &text).map_err(|problems| {
            PullError::Settings(
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?),
        Err(_) => None,
    };
    let (config, notices) = variables::captured(
        &archive.config,
        previous.as_deref(),
        environment,
        vars.as_ref(),
    )?;
    if let Some(config) = config {
        archive.config = config;
    }
    Ok(notices)
}

/// The live bot a pull exports, and its platform.
fn source_of(
    existing: Option<&(Vec<u8>, BotSettings)>,
    name: &str,
    source: Source<'_>,
) -> Result<(BotTarget, String), PullError> {
    let Some((_, settings)) = existing else {
        if let Some(env) = source.environment {
            return Err(PullError::Settings(format!(
                "--env {env}: the folder has no bot.toml naming environments"
            )));
        }
        return Ok((
            BotTarget::Name(name.to_owned()),
            DEFAULT_PLATFORM.to_owned(),
        ));
    };
    match source.environment {
        None => Ok((settings.target.clone(), DEFAULT_PLATFORM.to_owned())),
        Some(env) => {
            let environment = settings.environments.get(env).ok_or_else(|| {
                PullError::Settings(format!("bot.toml has no [environments.{env}]"))
            })?;
            let resolved = settings.in_environment(environment);
            Ok((resolved.target, environment.platform.clone()))
        }
    }
}

/// The rules under which a pulled file equals the previous one: those of
/// the environment pulled from (the folder's own, without `--env`).
fn ignore_rules(settings: Option<&BotSettings>, source: Source<'_>) -> IgnoreRules {
    let Some(settings) = settings else {
        return IgnoreRules::default();
    };
    match source
        .environment
        .and_then(|env| settings.environments.get(env))
    {
        Some(environment) => settings.in_environment(environment).ignore,
        None => settings.ignore.clone(),
    }
}

/// The folder's `bot.toml`, when it has one: its text and its settings.
fn read_settings(folder: &Path) -> Result<Option<(Vec<u8>, BotSettings)>, PullError> {
    let path = folder.join("bot.toml");
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PullError::Io {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let label = path.display().to_string();
    match parse_settings(&label, &text) {
        Ok(settings) => Ok(Some((text, settings))),
        Err(problems) => Err(PullError::Settings(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )),
    }
}

/// Resolves the target through Get Bots and exports its in-development copy.
async fn export(
    settings: &PlatformSettings,
    target: &BotTarget,
    from_settings: bool,
) -> Result<(BotSummary, ExportArchive), PullError> {
    let config = platform_config(settings).map_err(|e| PullError::Client(e.to_string()))?;
    let client = PlatformClient::new(config).map_err(|e| PullError::Client(e.to_string()))?;
    let bots = client.list_bots().await?;
    let id = match resolve(target, &bots) {
        Err(IdentityError::UnknownName(name)) if !from_settings => {
            return Err(PullError::NoSuchBot(name));
        }
        result => result?,
    };
    let bot = summary_of(&bots, &id);
    let archive = client.export(&id, ExportKind::Latest).await?;
    Ok((bot, archive))
}

fn summary_of(bots: &[BotSummary], id: &BotId) -> BotSummary {
    bots.iter()
        .find(|b| &b.id == id)
        .cloned()
        .expect("resolve returns an id Get Bots listed")
}
