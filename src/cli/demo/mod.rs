//! `kore-gitops demo`: the simulator, an example repository and the daemon,
//! together, with no network and from any directory.
//!
//! A thin orchestration of existing pieces: [`scratch`] lays out a bare
//! "remote" and a clone holding the embedded [`examples`], the simulator
//! starts in-process seeded from that clone, the daemon runs exactly as `run`
//! runs it (same signal handling, same HTTP endpoints), and [`follow`] turns
//! its `/status` reports into the [`guide`]'s sentences on standard output.

mod examples;
mod follow;
mod guide;
mod scratch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::{Config, ConfigError, Env};
use crate::observe::ObserveState;
use crate::sim::{JobMode, RunningSim, SimConfig, SimOptions};

pub use examples::MissingKey;
pub use scratch::ScratchError;

use guide::{Guide, say};
use scratch::{Endpoints, Scratch};

/// How long a simulated platform job takes: long enough to see the import,
/// training and publish go by in the log, short enough not to wait.
const JOB_MILLIS: u64 = 300;

/// The flags of `kore-gitops demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The scratch directory, new or empty; a fresh temporary directory when
    /// absent. It is kept when the demo stops.
    #[arg(long, value_name = "PATH", env = "KORE_GITOPS_DEMO_DIR")]
    pub dir: Option<PathBuf>,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The scratch directory could not be prepared.
    #[error(transparent)]
    Scratch(#[from] ScratchError),
    /// The simulator did not start.
    #[error("the platform simulator: {0}")]
    Sim(#[from] crate::sim::SimError),
    /// No loopback port for the HTTP endpoints.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(std::io::Error),
    /// The configuration the demo wrote does not load (an environment
    /// override may be at fault).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A blocking task died.
    #[error("internal: {0}")]
    Internal(#[from] tokio::task::JoinError),
}

impl DemoError {
    /// 2 when `--dir` is not empty, 64 for a configuration that does not
    /// load, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            DemoError::Scratch(ScratchError::NotEmpty(_)) => ExitCode::from(2),
            DemoError::Config(_) => ExitCode::from(64),
            _ => ExitCode::FAILURE,
        }
    }
}

/// The running simulator and what the daemon needs to start against it.
struct Started {
    sim: RunningSim,
    config: Config,
    listener: tokio::net::TcpListener,
}

/// Runs the demo until SIGINT or SIGTERM: 0 after a graceful stop, otherwise
/// the [`DemoError::exit_code`] of what went wrong.
pub fn run_demo(args: &DemoArgs) -> ExitCode {
    let scratch = match scratch::prepare(args.dir.as_deref()) {
        Ok(scratch) => scratch,
        Err(e) => return fail(e.into()),
    };
    let mut guide = Guide::new(scratch.clone());
    say(&guide.scratch_ready());
    super::daemon::block_on(async move {
        let started = match start(&scratch, &mut guide).await {
            Ok(started) => started,
            Err(e) => return fail(e),
        };
        let code = run_daemon(started.config, started.listener, &scratch, &guide).await;
        started.sim.shutdown().await;
        say(&guide.stopped());
        code
    })
}

fn fail(error: DemoError) -> ExitCode {
    eprintln!("error: {error}");
    error.exit_code()
}

/// Starts the simulator seeded from the clone's bots, binds the HTTP port,
/// and writes and loads the configuration for both.
async fn start(scratch: &Scratch, guide: &mut Guide) -> Result<Started, DemoError> {
    let seeds = examples::bot_names()
        .iter()
        .map(|name| scratch.bot(name))
        .chain([scratch.prod_seed()])
        .collect();
    let config = SimConfig {
        job_mode: JobMode::Timed,
        job_millis: JOB_MILLIS,
        ..SimConfig::default()
    };
    let listen = ([127, 0, 0, 1], 0).into();
    let sim = crate::sim::start(SimOptions {
        listen,
        seeds,
        config,
        tls: None,
    })
    .await?;
    say(&guide.platform_ready(&sim.base_url, &sim.credentials.bots));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(DemoError::Listen)?;
    let address = listener.local_addr().map_err(DemoError::Listen)?;
    guide.http = Some(address);
    let admin = sim.credentials.app("admin");
    let endpoints = Endpoints {
        platform: sim.base_url.clone(),
        client_id: admin.client_id.clone(),
        listen: address,
    };
    let secret = secrecy::SecretString::from(admin.client_secret.clone());
    let scratch = scratch.clone();
    let config = tokio::task::spawn_blocking(move || {
        let path = scratch::write_config(&scratch, &endpoints, &secret)?;
        Ok::<_, DemoError>(Config::load(&path, &Env::from_process())?)
    })
    .await??;
    Ok(Started {
        sim,
        config,
        listener,
    })
}

/// The daemon as `run` runs it, with the guide following its passes.
async fn run_daemon(
    config: Config,
    listener: tokio::net::TcpListener,
    scratch: &Scratch,
    guide: &Guide,
) -> ExitCode {
    say(&guide.daemon_starting());
    let observe = ObserveState::for_config(&config, env!("CARGO_PKG_VERSION"));
    // The targets of the first commit: the promoted folder is two.
    let bots = examples::bot_names()
        .into_iter()
        .flat_map(|name| match name == scratch::PROMOTED_FOLDER {
            true => vec![format!("{name}/staging"), format!("{name}/prod")],
            false => vec![name.to_owned()],
        })
        .collect();
    let follower = tokio::spawn(follow::follow(
        observe.0.clone(),
        guide.clone(),
        scratch.remote.clone(),
        bots,
    ));
    let code = super::daemon::serve_daemon(config, observe, Some(listener)).await;
    follower.abort();
    code
}
