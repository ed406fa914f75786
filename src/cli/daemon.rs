//! `run`, `sync` and `plan`: the commands that load a configuration and talk
//! to git and the platform.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::sync::{Notify, mpsc};

use crate::config::{Config, Env};
use crate::observe::{ObserveState, Trigger};
use crate::reconcile::{Daemon, Plan, Report};
use crate::status::Phase;

/// The configuration file flag, shared by the commands that need one.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The configuration file (see examples/kore-gitops.toml).
    #[arg(long, env = "KORE_GITOPS_CONFIG")]
    pub config: PathBuf,
}

/// Which bots a one-off command covers.
#[derive(Debug, Args)]
pub struct BotsArg {
    /// Only this bot folder (repeatable); every bot when absent.
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
/// endpoints when `[daemon] listen` is set.
pub fn run(config: &Path) -> ExitCode {
    let config = match load_config(config) {
        Ok(config) => config,
        Err(code) => return code,
    };
    block_on(async move {
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
        serve_daemon(config, observe, listener).await
    })
}

/// The daemon, serving its HTTP endpoints on `listener` when given, until the
/// first SIGTERM or SIGINT has let the passes in flight finish. `run` and
/// `demo` share it.
pub(super) async fn serve_daemon(
    config: Config,
    (observe, triggers): (ObserveState, mpsc::Receiver<Trigger>),
    listener: Option<tokio::net::TcpListener>,
) -> ExitCode {
    let (stop, server_stop, refresh) = (
        Arc::new(Notify::new()),
        Arc::new(Notify::new()),
        Arc::new(Notify::new()),
    );
    tokio::spawn(stop_on_signals(vec![stop.clone(), server_stop.clone()]));
    let daemon =
        match Daemon::start_observed(config, false, Some((observe.clone(), triggers))).await {
            Ok(daemon) => daemon,
            Err(e) => {
                tracing::error!(error = %e, "cannot start");
                return ExitCode::FAILURE;
            }
        };
    if let Some(listener) = listener {
        let shutdown = async move { server_stop.notified().await };
        tokio::spawn(crate::observe::serve(listener, observe, shutdown));
    }
    let abandoned = daemon.run(stop, refresh).await;
    if abandoned > 0 {
        tracing::warn!(
            abandoned,
            "stopped passes that outlived the grace period; the next start repairs them"
        );
    }
    ExitCode::SUCCESS
}

/// `kore-gitops sync`: one pass; 0 when every bot is synced, 1 otherwise.
pub fn sync(config: &Path, bots: &[String], dry_run: bool, out: &mut dyn Write) -> ExitCode {
    let reports = match one_pass(config, bots, dry_run) {
        Ok(reports) => reports,
        Err(code) => return code,
    };
    let mut all_synced = true;
    for report in &reports {
        let Some(status) = &report.status else {
            continue;
        };
        let ok = matches!(status.phase, Phase::Synced | Phase::Suspended)
            && !(dry_run && matches!(report.plan, Some(Plan::Apply(_))));
        all_synced &= ok;
        let detail = status.error.as_deref().unwrap_or(&status.summary);
        let _ = writeln!(out, "{}\t{}\t{detail}", report.bot, status.phase);
    }
    if all_synced {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `kore-gitops plan`: what a pass would do; 0 in sync, 1 changes, 2 error.
pub fn plan(config: &Path, bots: &[String], out: &mut dyn Write) -> ExitCode {
    let reports = match one_pass(config, bots, true) {
        Ok(reports) => reports,
        Err(code) => return code,
    };
    let (mut changes, mut errors) = (false, false);
    for report in &reports {
        let Some(status) = &report.status else {
            continue;
        };
        let verdict = match (&report.plan, status.phase) {
            (_, Phase::Failed) => {
                errors = true;
                format!("error: {}", status.error.as_deref().unwrap_or_default())
            }
            (Some(Plan::Apply(steps)), _) => {
                changes = true;
                let what = match (steps.import, steps.publish) {
                    (true, true) => "import, train, publish",
                    (true, false) => "import, train (the published copy already holds it)",
                    (false, _) => "train, publish",
                };
                format!("would {what}: {}", status.summary)
            }
            (Some(Plan::Synced), Phase::Suspended) => "suspended".to_owned(),
            (Some(Plan::Synced), _) => "in sync".to_owned(),
            (Some(Plan::AwaitingApproval), _) => "published, awaiting approval".to_owned(),
            (Some(Plan::ReportDrift), _) => {
                format!("drifted (drift = \"report\"): {}", status.summary)
            }
            (None, _) => "not reconciled".to_owned(),
        };
        let _ = writeln!(out, "{}: {verdict}", report.bot);
        if let (Some(Plan::Apply(_) | Plan::ReportDrift), Some(detail)) =
            (&report.plan, &report.detail)
        {
            for line in detail.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    ExitCode::from(if errors { 2 } else { u8::from(changes) })
}

fn one_pass(config: &Path, bots: &[String], dry_run: bool) -> Result<Vec<Report>, ExitCode> {
    let mut reports = Err(ExitCode::FAILURE);
    let code = with_daemon(config, dry_run, |daemon| {
        let reports = &mut reports;
        async move {
            if let Err(e) = daemon.refresh().await {
                tracing::error!(error = %e, "cannot read the bot repository");
                return ExitCode::FAILURE;
            }
            *reports = Ok(daemon.pass_all(bots).await);
            ExitCode::SUCCESS
        }
    });
    reports.map_err(|_| code)
}

/// Loads the configuration (exit 64 with every problem), starts the daemon's
/// pieces, and runs `body`.
fn with_daemon<F, Fut>(config: &Path, dry_run: bool, body: F) -> ExitCode
where
    F: FnOnce(Daemon) -> Fut,
    Fut: std::future::Future<Output = ExitCode>,
{
    let config = match load_config(config) {
        Ok(config) => config,
        Err(code) => return code,
    };
    block_on(async move {
        match Daemon::start(config, dry_run).await {
            Ok(daemon) => body(daemon).await,
            Err(e) => {
                tracing::error!(error = %e, "cannot start");
                ExitCode::FAILURE
            }
        }
    })
}

/// The configuration, or exit 64 after printing every problem.
pub(super) fn load_config(path: &Path) -> Result<Config, ExitCode> {
    Config::load(path, &Env::from_process()).map_err(|e| {
        eprint!("{e}");
        ExitCode::from(EXIT_CONFIG)
    })
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
