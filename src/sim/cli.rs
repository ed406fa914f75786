//! `kore-gitops sim`: start the simulator, print (or write) the credentials,
//! run until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{SimConfig, SimOptions};

/// Flags of `kore-gitops sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8700", env = "KORE_GITOPS_SIM_LISTEN")]
    pub listen: SocketAddr,

    /// An export folder or export zip to seed a bot from (repeatable).
    #[arg(
        long = "seed",
        value_name = "DIR",
        env = "KORE_GITOPS_SIM_SEED",
        value_delimiter = ','
    )]
    pub seeds: Vec<PathBuf>,

    /// A TOML file with simulator settings (job mode, rate limits, apps, ...).
    #[arg(long, value_name = "FILE", env = "KORE_GITOPS_SIM_CONFIG")]
    pub config: Option<PathBuf>,

    /// Write the credentials JSON here instead of printing it.
    #[arg(long, value_name = "FILE", env = "KORE_GITOPS_SIM_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,
}

/// Reads a simulator configuration file.
pub fn load_config(path: &Path) -> Result<SimConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("invalid simulator config {}: {e}", path.display()))
}

/// Runs the simulator until a termination signal.
pub fn run(args: SimArgs) -> ExitCode {
    let config = match args.config.as_deref().map(load_config).transpose() {
        Ok(config) => config.unwrap_or_default(),
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(64);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = SimOptions {
        listen: args.listen,
        seeds: args.seeds,
        config,
        tls: None,
    };
    runtime.block_on(serve(options, args.credentials_file))
}

async fn serve(options: SimOptions, credentials_file: Option<PathBuf>) -> ExitCode {
    let sim = match super::start(options).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let json = match serde_json::to_string_pretty(&sim.credentials) {
        Ok(json) => json,
        Err(error) => {
            eprintln!("error: cannot serialise the credentials: {error}");
            return ExitCode::FAILURE;
        }
    };
    match &credentials_file {
        Some(path) => {
            if let Err(error) = write_private(path, &json) {
                eprintln!("error: cannot write {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        }
        None => println!("{json}"),
    }
    tracing::info!(base_url = %sim.base_url, bots = sim.credentials.bots.len(), "simulator listening");
    wait_for_signal().await;
    tracing::info!("simulator stopping");
    sim.shutdown().await;
    ExitCode::SUCCESS
}

/// Writes the credentials readable by the owner only (they hold secrets).
fn write_private(path: &Path, json: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, json)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(tmp, path)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
