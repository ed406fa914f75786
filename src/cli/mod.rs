//! The command line. Each subcommand is a thin adapter: it parses its flags
//! (every flag also reads a `KORE_GITOPS_...` environment variable), calls the
//! library, and maps the outcome to an exit code (0 success, 1 failure of the
//! work, 2 usage or input error, 64 configuration error).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod daemon;
mod demo;
mod diff;
mod pull;
mod status;
mod validate;

pub use demo::{DemoArgs, DemoError, MissingKey, ScratchError};
pub use diff::{DiffReport, LoadError, Side, diff_paths, load_side};
pub use pull::{PullArgs, PullError, Pulled, pull};
pub use status::{StatusArgs, StatusError, read_status, render_human};

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

    /// Log filter, e.g. `info` or `kore_gitops=debug`.
    #[arg(long, global = true, default_value = "info", env = "KORE_GITOPS_LOG")]
    pub log_level: String,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: watch the repository and keep every bot in step with it.
    Run(daemon::ConfigArg),
    /// One pass over the bots, then exit: 0 when all are synced, 1 otherwise.
    Sync {
        #[command(flatten)]
        config: daemon::ConfigArg,
        #[command(flatten)]
        bots: daemon::BotsArg,
        /// Compute and report, but never import or publish.
        #[arg(long, env = "KORE_GITOPS_DRY_RUN")]
        dry_run: bool,
    },
    /// What a pass would do, per bot, with the differences: exit 0 in sync,
    /// 1 changes, 2 error.
    Plan {
        #[command(flatten)]
        config: daemon::ConfigArg,
        #[command(flatten)]
        bots: daemon::BotsArg,
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
}

/// Runs a parsed command line to completion.
pub fn run(cli: Cli) -> ExitCode {
    // Unlocked handles: the log writer takes the stderr lock from runtime
    // worker threads, sometimes while a library (hyper's pool) holds a mutex
    // the main thread waits for; holding the lock here for the whole command
    // deadlocked `sync` and `pull` intermittently.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    match cli.command {
        Command::Run(config) => daemon::run(&config.config),
        Command::Sync {
            config,
            bots,
            dry_run,
        } => daemon::sync(&config.config, &bots.bots, dry_run, &mut out),
        Command::Plan { config, bots } => daemon::plan(&config.config, &bots.bots, &mut out),
        Command::Pull(args) => pull::run_pull(&args, &mut out, &mut err),
        Command::Status(args) => status::run_status(&args, &mut out, &mut err),
        Command::Sim(args) => crate::sim::cli::run(args),
        Command::Demo(args) => demo::run_demo(&args),
        Command::Diff { left, right, json } => {
            diff::run_diff(&left, &right, json, &mut out, &mut err)
        }
        Command::Validate { path } => validate::run_validate(&path, &mut out),
    }
}

/// A multi-threaded runtime for a command that talks to the platform or git.
pub(crate) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new()
}
