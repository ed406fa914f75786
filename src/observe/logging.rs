//! Log output: a human format on a terminal, JSON lines otherwise (or on request).
//!
//! Logging never stops the daemon: a log line that cannot be written (standard
//! error is a closed pipe, as after `… | tee log` and Ctrl-C, or a full disk)
//! is dropped. tracing-subscriber would otherwise report the failure with
//! `eprintln!`, which panics on the same broken pipe — killing the task that
//! logged, the signal handler among them.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable when standard error is a terminal, JSON lines otherwise.
    Auto,
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber. `level` is an `EnvFilter` directive such as
/// `info` or `kore_gitops=debug`; an invalid one falls back to `info`.
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match format {
        LogFormat::Auto => !io::stderr().is_terminal(),
        LogFormat::Human => false,
        LogFormat::Json => true,
    };
    // `try_init` so that a second call (tests, embedding) is harmless.
    let _ = if json {
        json_subscriber(filter, || Stderr)
            .try_init()
            .map_err(|e| e.to_string())
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(|| Stderr)
            .log_internal_errors(false)
            .try_init()
            .map_err(|e| e.to_string())
    };
}

/// The JSON-lines subscriber: the event's fields at the top level beside
/// `timestamp`, `level`, `target` and `message` (so an event must not name a
/// field after one of those), the fields of its spans (a pass's
/// `reconcile_id`) under `span` and `spans`.
pub fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .log_internal_errors(false)
        .json()
        .flatten_event(true)
        .finish()
}

/// Set once standard error is known to be gone: later lines are not even tried.
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Standard error, where every write succeeds: a failed one is swallowed.
#[derive(Debug, Clone, Copy)]
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !STDERR_GONE.load(Ordering::Relaxed) {
            let written = io::stderr().write_all(buf);
            if written.is_err_and(|e| e.kind() == io::ErrorKind::BrokenPipe) {
                STDERR_GONE.store(true, Ordering::Relaxed);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
