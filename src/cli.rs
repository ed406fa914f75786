//! The command line. Each subcommand is a thin adapter: it parses its flags
//! (every flag also reads a `KORE_GITOPS_...` environment variable), calls the
//! library, and maps the outcome to an exit code (0 success, 1 failure of the
//! work, 2 usage or input error, 64 configuration error).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Run the Kore.ai platform simulator (for tests, demos and trying things out).
    Sim(crate::sim::cli::SimArgs),
}

/// Runs a parsed command line to completion.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Sim(args) => crate::sim::cli::run(args),
    }
}
