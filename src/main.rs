//! The `kore-gitops` binary: parse the command line, start logging, hand over to
//! the library and turn its outcome into an exit code. Everything else lives in
//! the library so that tests can reach it.

use std::process::ExitCode;

use clap::Parser;
use kore_gitops::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    kore_gitops::observe::logging::init(cli.log_format, &cli.log_level);
    kore_gitops::cli::run(cli)
}
