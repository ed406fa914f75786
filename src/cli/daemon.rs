//! `run`, `sync` and `plan`: the commands that load a configuration and talk
//! to git and the platform.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::sync::{Notify, mpsc};

use crate::config::{Config, Env, Purpose};
use crate::observe::{ObserveState, Trigger};
use crate::reconcile::Daemon;

/// The configuration file flag, shared by the commands that need one.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The configuration file (see examples/kore-gitops.toml).
    #[arg(long, env = "KORE_GITOPS_CONFIG")]
    pub config: PathBuf,
}

/// `--dry-run`: the same flag, and the same variable, for `run` and `sync`.
#[derive(Debug, Args)]
pub struct DryRunArg {
    /// Compute and report, but never import or publish.
    #[arg(long, env = "KORE_GITOPS_DRY_RUN")]
    pub dry_run: bool,
}

/// Which bots a one-off command covers.
#[derive(Debug, Args)]
pub struct BotsArg {
    /// Only this bot (repeatable): a folder name, a `bot_name`, or the live
    /// bot's name; every bot when absent.
    #[arg(
        long = "bot",
        value_name = "NAME",
        env = "KORE_GITOPS_BOTS",
        value_delimiter = ','
    )]
    pub bots: Vec<String>,
}

const EXIT_CONFIG: u8 = 64;

/// `kore-gitops run`: the daemon, until SIGTERM or SIGINT, with the HTTP
/// endpoints when `[daemon] listen` is set; `dry_run` as `[daemon] dry_run`.
/// SIGHUP reloads the configuration file: a valid one restarts the daemon
/// with it once passes in flight finish; an invalid one is refused (every
/// problem logged) and the running configuration stays.
pub fn run(path: &Path, dry_run: bool) -> ExitCode {
    let mut config = match load_config_for(path, Purpose::Daemon) {
        Ok(config) => config,
        Err(code) => return code,
    };
    config.daemon.dry_run |= dry_run;
    let reload = Reload {
        path: path.to_owned(),
        dry_run,
    };
    block_on(async move {
        loop {
            let listener = match config.daemon.listen {
                Some(address) => match tokio::net::TcpListener::bind(address).await {
                    Ok(listener) => Some(listener),
                    Err(e) => {
                        tracing::error!(%address, error = %e, "cannot listen");
                        return ExitCode::FAILURE;
                    }
                },
                None => None,
            };
            let observe = ObserveState::for_config(&config, env!("CARGO_PKG_VERSION"));
            match serve_until(config, observe, listener, Some(&reload)).await {
                Served::Stopped(code) => return code,
                Served::Reload(next) => {
                    tracing::info!(
                        "configuration reloaded (SIGHUP): the daemon starts again with it"
                    );
                    config = *next;
                }
            }
        }
    })
}

/// Where `run` reloads its configuration from on SIGHUP.
#[derive(Debug)]
struct Reload {
    path: PathBuf,
    dry_run: bool,
}

/// How one run of the daemon ended.
enum Served {
    /// For good, with this exit code.
    Stopped(ExitCode),
    /// For a reload with this configuration.
    Reload(Box<Config>),
}

/// The daemon, serving its HTTP endpoints on `listener` when given, until the
/// first SIGTERM or SIGINT has let the passes in flight finish. `run` and
/// `demo` share it.
pub(super) async fn serve_daemon(
    config: Config,
    observe: (ObserveState, mpsc::Receiver<Trigger>),
    listener: Option<tokio::net::TcpListener>,
) -> ExitCode {
    match serve_until(config, observe, listener, None).await {
        Served::Stopped(code) => code,
        Served::Reload(_) => ExitCode::SUCCESS,
    }
}

async fn serve_until(
    config: Config,
    (observe, triggers): (ObserveState, mpsc::Receiver<Trigger>),
    listener: Option<tokio::net::TcpListener>,
    reload: Option<&Reload>,
) -> Served {
    let (stop, server_stop, refresh) = (
        Arc::new(Notify::new()),
        Arc::new(Notify::new()),
        Arc::new(Notify::new()),
    );
    let stops = vec![stop.clone(), server_stop.clone()];
    let signals = tokio::spawn(stop_on_signals(stops.clone()));
    let next: Arc<std::sync::Mutex<Option<Config>>> = Arc::default();
    let hangups = reload.map(|r| {
        let (path, dry_run) = (r.path.clone(), r.dry_run);
        tokio::spawn(reload_on_sighup(path, dry_run, next.clone(), stops))
    });
    let daemon =
        match Daemon::start_observed(config, false, Some((observe.clone(), triggers))).await {
            Ok(daemon) => daemon,
            Err(e) => {
                tracing::error!(error = %e, "cannot start");
                return Served::Stopped(ExitCode::FAILURE);
            }
        };
    let server = listener.map(|listener| {
        let shutdown = async move { server_stop.notified().await };
        tokio::spawn(crate::observe::serve(listener, observe, shutdown))
    });
    let abandoned = daemon.run(stop, refresh).await;
    if abandoned > 0 {
        tracing::warn!(
            abandoned,
            "stopped passes that outlived the grace period; the next start repairs them"
        );
    }
    let reloaded = next.lock().ok().and_then(|mut next| next.take());
    let Some(reloaded) = reloaded else {
        return Served::Stopped(ExitCode::SUCCESS);
    };
    // The next run binds the port again and takes the signals over.
    signals.abort();
    hangups.into_iter().for_each(|h| h.abort());
    if let Some(server) = server {
        let _ = server.await;
    }
    Served::Reload(Box::new(reloaded))
}

/// On SIGHUP, loads the configuration again: a valid one is handed over and
/// the daemon asked to stop (to start again with it); an invalid one is
/// refused with every problem, and the running configuration stays.
async fn reload_on_sighup(
    path: PathBuf,
    dry_run: bool,
    next: Arc<std::sync::Mutex<Option<Config>>>,
    stops: Vec<Arc<Notify>>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangup) = signal(SignalKind::hangup()) else {
        tracing::error!("cannot listen for SIGHUP");
        return;
    };
    while hangup.recv().await.is_some() {
        match Config::load_for(&path, &Env::from_process(), Purpose::Daemon) {
            Err(problems) => tracing::error!(
                %problems,
                "SIGHUP: the new configuration is refused; the running one stays"
            ),
            Ok(config) if needs_restart(&config).is_some() => tracing::error!(
                problems = needs_restart(&config),
                "SIGHUP: the new configuration is refused; the running one stays"
            ),
            Ok(mut config) => {
                config.daemon.dry_run |= dry_run;
                if let Ok(mut slot) = next.lock() {
                    *slot = Some(config);
                }
                tracing::info!(
                    "SIGHUP: the new configuration is valid; restarting with it once passes in flight finish"
                );
                stops.iter().for_each(|stop| stop.notify_one());
                return;
            }
        }
    }
}

/// The configuration for `purpose`, or exit 64 after printing every problem.
/// Called before the command's runtime starts: `[git] ca_file` is given to
/// libgit2 here, before any git operation can run.
pub(super) fn load_config_for(path: &Path, purpose: Purpose) -> Result<Config, ExitCode> {
    let config = Config::load_for(path, &Env::from_process(), purpose).map_err(|e| {
        eprint!("{e}");
        ExitCode::from(EXIT_CONFIG)
    })?;
    if let Some(ca) = &config.git.network.ca
        && let Err(e) = crate::source::trust::install_at_startup(ca)
    {
        eprintln!("invalid configuration: {e}");
        return Err(ExitCode::from(EXIT_CONFIG));
    }
    Ok(config)
}

/// Why a reloaded configuration cannot be taken without a restart: git reads
/// its CA file once, at startup.
fn needs_restart(config: &Config) -> Option<String> {
    let ca = config.git.network.ca.as_ref()?;
    (!crate::source::trust::in_force(ca)).then(|| crate::source::trust::not_in_force(ca.path()))
}

/// Runs `body` on a new multi-threaded runtime.
pub(super) fn block_on(body: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match super::runtime() {
        Ok(runtime) => runtime.block_on(body),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The first SIGTERM or SIGINT asks for a graceful stop; a second one ends the
/// process at once.
async fn stop_on_signals(stops: Vec<Arc<Notify>>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for signals");
        return;
    };
    for round in 0..2 {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        if round == 0 {
            tracing::info!(
                "stop signal: finishing passes in flight (a second signal exits at once)"
            );
            stops.iter().for_each(|stop| stop.notify_one());
        }
    }
    tracing::warn!("second stop signal: exiting now");
    std::process::exit(130);
}
