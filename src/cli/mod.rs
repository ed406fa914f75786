//! The command line. Each subcommand is a thin adapter: it parses its flags
//! (every flag also reads a `KORE_GITOPS_...` environment variable), calls the
//! library, and maps the outcome to an exit code (0 success, 1 failure of the
//! work, 2 usage or input error, 64 configuration error).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod daemon;
mod demo;
mod diff;
mod log_level;
mod oneshot;
mod pull;
mod remote;
mod status;
mod validate;

pub use demo::{DemoArgs, DemoError, MissingKey, ScratchError};
pub use diff::{DiffReport, LoadError, Side, diff_paths, load_side};
pub use log_level::parse_log_level;
pub use pull::{PullArgs, PullError, Pulled, pull};
pub use status::{StatusArgs, StatusError, read_status, render_human};

use crate::config::{ConfigError, Env};
use crate::observe::logging::LogFormat;

/// GitOps for Kore.ai XO bots.
#[derive(Debug, Parser)]
#[command(name = "kore-gitops", version, about, long_about = None)]
pub struct Cli {
    /// Log format.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        env = "KORE_GITOPS_LOG_FORMAT"
    )]
    pub log_format: LogFormat,

    /// Log filter: a level (error, warn or warning, info, debug, trace, off),
    /// optionally per target, e.g. `info,kore_gitops=debug`.
    #[arg(
        long,
        global = true,
        default_value = "info",
        env = "KORE_GITOPS_LOG",
        value_parser = parse_log_level
    )]
    pub log_level: String,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: watch the repository and keep every bot in step with it.
    Run {
        #[command(flatten)]
        config: daemon::ConfigArg,
        #[command(flatten)]
        dry_run: daemon::DryRunArg,
    },
    /// One pass over the bots, then exit: 0 when all are synced, 1 otherwise,
    /// 2 when `--bot` matches no bot.
    Sync {
        #[command(flatten)]
        config: daemon::ConfigArg,
        #[command(flatten)]
        bots: daemon::BotsArg,
        #[command(flatten)]
        dry_run: daemon::DryRunArg,
    },
    /// What a pass would do, per bot, with the differences: exit 0 in sync,
    /// 1 changes, 2 error.
    Plan {
        #[command(flatten)]
        config: daemon::ConfigArg,
        #[command(flatten)]
        bots: daemon::BotsArg,
        /// `markdown`: a pull-request comment (see deploy/ci).
        #[arg(long, value_enum, default_value = "text", env = "KORE_GITOPS_FORMAT")]
        format: oneshot::PlanFormat,
    },
    /// Export a live bot's in-development copy into its bot folder (bootstrap).
    /// Exit 0 pulled, 1 platform or write failure, 2 usage, 64 configuration.
    Pull(PullArgs),
    /// The status notes kore-gitops wrote on a commit. Exit 0 note shown,
    /// 1 no note, 2 not a repository, unknown revision or a foreign note.
    Status(StatusArgs),
    /// Run the Kore.ai platform simulator (for tests, demos and trying things out).
    Sim(crate::sim::cli::SimArgs),
    /// The simulator, an example repository and the daemon, together: a guided
    /// tour with no network. Ctrl-C stops it; the scratch directory stays.
    Demo(DemoArgs),
    /// Compare two bots offline (bot folders, export folders or export zips).
    /// Exit 0 equivalent, 1 different, 2 error.
    Diff {
        /// The left side (before).
        left: PathBuf,
        /// The right side (after).
        right: PathBuf,
        /// Print the result as JSON.
        #[arg(long, env = "KORE_GITOPS_JSON")]
        json: bool,
    },
    /// Lint a bot repository (or one bot folder) offline: every problem with its file.
    /// Exit 0 clean, 2 problems.
    Validate {
        /// A repository root (with bots/) or a bot folder.
        path: PathBuf,
    },
    /// Ask the running daemon: every bot's phase, commit, last sync and summary.
    Get {
        #[command(flatten)]
        server: remote::ServerArgs,
        /// Output format.
        #[arg(
            long,
            short,
            value_enum,
            default_value = "table",
            env = "KORE_GITOPS_OUTPUT"
        )]
        output: remote::Output,
    },
    /// Ask the running daemon for a pass of BOT now. With --wait, return once
    /// that pass has ended: exit 0 when it left the bot Synced, 1 otherwise.
    Reconcile {
        /// The bot folder.
        bot: String,
        /// Wait for the pass that handles the request.
        #[arg(long, env = "KORE_GITOPS_WAIT")]
        wait: bool,
        /// How long --wait waits.
        #[arg(long, default_value = "10m", value_parser = humantime::parse_duration, env = "KORE_GITOPS_TIMEOUT")]
        timeout: std::time::Duration,
        #[command(flatten)]
        server: remote::ServerArgs,
    },
    /// Pause BOT in the running daemon without a commit (an emergency stop):
    /// no pass touches it until `resume`; the note and `get` say so.
    Suspend {
        /// The bot folder.
        bot: String,
        #[command(flatten)]
        server: remote::ServerArgs,
    },
    /// Undo `suspend`: BOT is reconciled again, at once.
    Resume {
        /// The bot folder.
        bot: String,
        #[command(flatten)]
        server: remote::ServerArgs,
    },
    /// Print the version.
    Version,
    /// Print a shell completion script: `kore-gitops completions bash >
    /// /etc/bash_completion.d/kore-gitops` (also zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

impl Command {
    /// The configuration file the command loads, if it loads one.
    fn config_file(&self) -> Option<&std::path::Path> {
        match self {
            Command::Run { config, .. }
            | Command::Sync { config, .. }
            | Command::Plan { config, .. } => Some(&config.config),
            Command::Pull(args) => Some(&args.config.config),
            _ => None,
        }
    }
}

/// Runs a parsed command line to completion.
pub fn run(cli: Cli) -> ExitCode {
    // Before any runtime starts its threads (see `observe::memory`).
    crate::observe::memory::cap_arenas();
    // Unlocked handles: the log writer takes the stderr lock from runtime
    // worker threads, sometimes while a library (hyper's pool) holds a mutex
    // the main thread waits for; holding the lock here for the whole command
    // deadlocked `sync` and `pull` intermittently.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let named = cli
        .command
        .config_file()
        .map(crate::config::variables_named_in)
        .unwrap_or_default();
    let unknown = Env::from_process().unknown_variables(&flag_variables(), &named);
    if !unknown.is_empty() {
        let _ = write!(err, "{}", ConfigError { problems: unknown });
        return ExitCode::from(64);
    }
    match cli.command {
        Command::Run { config, dry_run } => daemon::run(&config.config, dry_run.dry_run),
        Command::Sync {
            config,
            bots,
            dry_run,
        } => oneshot::sync(&config.config, &bots.bots, dry_run.dry_run, &mut out),
        Command::Plan {
            config,
            bots,
            format,
        } => oneshot::plan(&config.config, &bots.bots, format, &mut out),
        Command::Pull(args) => pull::run_pull(&args, &mut out, &mut err),
        Command::Status(args) => status::run_status(&args, &mut out, &mut err),
        Command::Sim(args) => crate::sim::cli::run(args),
        Command::Demo(args) => demo::run_demo(&args),
        Command::Diff { left, right, json } => {
            diff::run_diff(&left, &right, json, &mut out, &mut err)
        }
        Command::Validate { path } => validate::run_validate(&path, &mut out),
        Command::Get { server, output } => remote::get(&server, output, &mut out, &mut err),
        Command::Reconcile {
            bot,
            wait,
            timeout,
            server,
        } => {
            let wait = wait.then_some(timeout);
            remote::reconcile(&server, &bot, wait, &mut out, &mut err)
        }
        Command::Suspend { bot, server } => {
            remote::suspend(&server, &bot, true, &mut out, &mut err)
        }
        Command::Resume { bot, server } => {
            remote::suspend(&server, &bot, false, &mut out, &mut err)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "kore-gitops", &mut out);
            ExitCode::SUCCESS
        }
        Command::Version => {
            let _ = writeln!(out, "kore-gitops {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}

/// Every environment variable a flag of any command reads, sorted: with the
/// configuration's `KORE_GITOPS_<SECTION>_<KEY>`, the only `KORE_GITOPS_*`
/// names kore-gitops accepts.
pub fn flag_variables() -> Vec<String> {
    fn collect(command: &clap::Command, names: &mut Vec<String>) {
        let flags = command.get_arguments().filter_map(clap::Arg::get_env);
        names.extend(flags.map(|name| name.to_string_lossy().into_owned()));
        command
            .get_subcommands()
            .for_each(|sub| collect(sub, names));
    }
    let mut names = Vec::new();
    collect(&<Cli as clap::CommandFactory>::command(), &mut names);
    names.sort();
    names.dedup();
    names
}

/// A multi-threaded runtime for a command that talks to the platform or git.
pub(crate) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new()
}
