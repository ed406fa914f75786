//! Idle memory and CPU of the real daemon: `kore-gitops run` (the release
//! binary `cargo bench` builds next to this bench's own executable) against
//! the in-process simulator with two bots (copies of the examples; `IDLE_BOTS=N` for N), its HTTP
//! endpoints on, polling git every 4 s. Once both bots are synced and the simulator has seen no call
//! for a while, the daemon is sampled from `/proc/<pid>/` over an idle window:
//! resident memory (VmRSS, VmHWM), CPU time (utime + stime), context switches
//! of all its threads, and the platform calls and log lines it made meanwhile.
//! `cargo bench --bench idle` prints the figures (see BENCHMARKS.md).
//!
//! With `IDLE_CHANGE=S`, then every bot is changed by one commit and pushed,
//! and the daemon's resident memory is sampled for S seconds or until every
//! bot is published (peak, VmHWM). The simulator's jobs are instant and its
//! rate limits lifted, but the daemon still paces its uploads to the
//! documented account-wide 60 a minute, so a thousand bots take over 40
//! minutes: a window of a few minutes shows the steady state, as memory
//! follows the work in flight, which `concurrency` and the pacer bound
//! (`cargo bench --bench scale -- changes N` gives the whole change's pace).

#[allow(dead_code)]
#[path = "../tests/it/support/git.rs"]
mod git;
// Shared with benches/reconcile.rs and benches/scale.rs.
#[allow(dead_code)]
#[path = "support/world.rs"]
mod world;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use world::{BenchWorld, Extra};

/// How long the daemon is watched once idle.
const IDLE: Duration = Duration::from_secs(10);
/// The git poll interval: shorter than the default 30 s so that the window
/// holds two fetches of the (unchanged) repository, the daemon's only
/// periodic work.
const POLL: Duration = Duration::from_secs(4);
/// How long the simulator must see no call before the daemon counts as idle.
const QUIET: Duration = Duration::from_secs(2);
/// Idle resident memory targets: two bots (the first idle issue) and many
/// (issue 14: 1000 bots).
const TARGET_RSS_MIB: f64 = 30.0;
const TARGET_RSS_MANY_MIB: f64 = 64.0;

/// One reading of the daemon's `/proc` files.
#[derive(Debug, Clone)]
struct Sample {
    rss_kib: u64,
    /// Of `rss_kib`: anonymous memory (the heap, stacks) and file pages
    /// (the binary's code, mapped git packfiles).
    anon_kib: u64,
    file_kib: u64,
    hwm_kib: u64,
    cpu_ticks: u64,
    /// Voluntary + involuntary context switches, by thread id.
    context_switches: BTreeMap<u64, u64>,
    threads: u64,
}

impl Sample {
    /// Context switches since `earlier`, of the threads alive now (a thread
    /// that ended in between takes its count with it).
    fn switches_since(&self, earlier: &Sample) -> u64 {
        self.context_switches
            .iter()
            .map(|(tid, n)| n - earlier.context_switches.get(tid).copied().unwrap_or(0))
            .sum()
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and friends: nothing to list.
    }
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(measure());
}

async fn measure() {
    let extra = Extra {
        git: &format!("poll_interval = \"{}s\"", POLL.as_secs()),
        daemon: "listen = \"127.0.0.1:0\"",
        ..Extra::default()
    };
    let world = BenchWorld::start(bot_count(), extra).await;
    let logs = world.config.with_file_name("daemon.log");
    let mut daemon = start_daemon(&world.config, &logs);
    let pid = daemon.id();
    let settled = settle(&world).await;
    let (requests, log_lines) = (request_count(&world).await, line_count(&logs));
    let before = sample(pid);
    let mut peak_rss_kib = before.rss_kib;
    let started = Instant::now();
    while started.elapsed() < IDLE {
        tokio::time::sleep(Duration::from_millis(250)).await;
        peak_rss_kib = peak_rss_kib.max(sample(pid).rss_kib);
    }
    let observation = Observation {
        bots: world.bots.len(),
        settled,
        window: started.elapsed(),
        after: sample(pid),
        before,
        peak_rss_kib,
        requests: request_count(&world).await - requests,
        log_lines: line_count(&logs) - log_lines,
    };
    observation.print();
    let change = std::env::var("IDLE_CHANGE")
        .ok()
        .and_then(|s| s.parse().ok());
    if let Some(seconds) = change {
        change_every_bot(&world, pid, Duration::from_secs(seconds)).await;
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
}

/// Changes every bot by one commit, pushes, and prints the daemon's memory
/// over `window` (or until every bot is published).
async fn change_every_bot(world: &BenchWorld, pid: u32, window: Duration) {
    let publishes = || async { endpoint_count(world, "publish").await };
    let before = publishes().await;
    for bot in &world.bots {
        let path = world.work.join("bots").join(bot).join("botDefinition.json");
        let mut definition: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
        definition["sentences"][0]["sentence"] = format!("{bot} changed").into();
        let pretty = serde_json::to_vec_pretty(&definition).expect("JSON");
        std::fs::write(&path, pretty).expect("write");
    }
    git::git(
        &world.work,
        &["commit", "--quiet", "-am", "every bot changes"],
    );
    git::git(&world.work, &["push", "--quiet", "origin", "main"]);
    let started = Instant::now();
    let mut peak_kib = 0;
    let mut published = 0;
    while published < world.bots.len() as u64 && started.elapsed() < window {
        peak_kib = peak_kib.max(sample(pid).rss_kib);
        tokio::time::sleep(Duration::from_millis(250)).await;
        published = publishes().await - before;
    }
    let during = sample(pid);
    println!(
        "  every bot changed: {published} of {} published after {:.0?}; VmRSS peak sampled {:.1} MiB \
         (at the end {:.1} MiB, anonymous {:.1} MiB), VmHWM {:.1} MiB",
        world.bots.len(),
        started.elapsed(),
        mib(peak_kib.max(during.rss_kib)),
        mib(during.rss_kib),
        mib(during.anon_kib),
        mib(during.hwm_kib)
    );
}

async fn endpoint_count(world: &BenchWorld, endpoint: &str) -> u64 {
    world.control_get("/stats").await["per_endpoint"][endpoint]
        .as_u64()
        .unwrap_or(0)
}

/// What the idle window showed.
struct Observation {
    bots: usize,
    /// From start to settled (both bots synced, then [`QUIET`]).
    settled: Duration,
    window: Duration,
    before: Sample,
    after: Sample,
    peak_rss_kib: u64,
    /// Platform calls during the window.
    requests: u64,
    /// Log lines written during the window.
    log_lines: usize,
}

/// The release binary: `cargo bench` builds it into the folder above this
/// bench's executable (`target/release/deps/idle-…` → `target/release/`).
fn daemon_binary() -> PathBuf {
    let me = std::env::current_exe().expect("the bench knows its path");
    let profile = me
        .parent()
        .and_then(Path::parent)
        .expect("the bench runs from target/<profile>/deps");
    let binary = profile.join("kore-gitops");
    assert!(
        binary.is_file(),
        "{} not found: run this through `cargo bench --bench idle`",
        binary.display()
    );
    binary
}

/// Starts `kore-gitops run`; with `IDLE_WRAP` set (e.g. `heaptrack -o
/// /tmp/idle`), under that command, to attribute what it holds.
fn start_daemon(config: &Path, logs: &Path) -> Child {
    let log = std::fs::File::create(logs).expect("log file");
    let wrap = std::env::var("IDLE_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(daemon_binary());
            command
        }
        None => Command::new(daemon_binary()),
    };
    command
        .args(["run", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("kore-gitops starts")
}

/// How many bots: 2, or `IDLE_BOTS` (`IDLE_BOTS=1000 cargo bench --bench idle`).
fn bot_count() -> usize {
    std::env::var("IDLE_BOTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2)
}

async fn request_count(world: &BenchWorld) -> u64 {
    world.control_get("/stats").await["requests"]
        .as_u64()
        .expect("a count")
}

/// Waits until both copies of every bot were exported and then no platform
/// call came for [`QUIET`]; returns how long that took.
async fn settle(world: &BenchWorld) -> Duration {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60 + world.bots.len() as u64 / 4);
    for bot in &world.bots {
        while world.counter(bot, "exports").await < 2 {
            assert!(
                Instant::now() < deadline,
                "the daemon never reconciled {bot}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let mut seen = request_count(world).await;
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < QUIET {
        assert!(Instant::now() < deadline, "the daemon never went quiet");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = request_count(world).await;
        if now != seen {
            (seen, quiet_since) = (now, Instant::now());
        }
    }
    started.elapsed()
}

fn line_count(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |text| text.lines().count())
}

/// A `Name:   value kB` field of a `/proc/.../status` file.
fn status_field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /proc status"))
}

fn sample(pid: u32) -> Sample {
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let status = std::fs::read_to_string(proc.join("status")).expect("the daemon runs");
    let stat = std::fs::read_to_string(proc.join("stat")).expect("the daemon runs");
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("stat format")
        .1
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields[i - 3].parse::<u64>().expect("a tick count");
    let mut context_switches = BTreeMap::new();
    for task in std::fs::read_dir(proc.join("task")).expect("tasks") {
        let task = task.expect("a task").path();
        let tid = task.file_name().and_then(|n| n.to_str()?.parse().ok());
        let status = std::fs::read_to_string(task.join("status"));
        if let (Some(tid), Ok(status)) = (tid, status) {
            let switches = status_field(&status, "voluntary_ctxt_switches")
                + status_field(&status, "nonvoluntary_ctxt_switches");
            context_switches.insert(tid, switches);
        }
    }
    Sample {
        rss_kib: status_field(&status, "VmRSS"),
        anon_kib: status_field(&status, "RssAnon"),
        file_kib: status_field(&status, "RssFile"),
        hwm_kib: status_field(&status, "VmHWM"),
        cpu_ticks: ticks(14) + ticks(15),
        context_switches,
        threads: status_field(&status, "Threads"),
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

impl Observation {
    fn print(&self) {
        let (before, after) = (&self.before, &self.after);
        let cpu = (after.cpu_ticks - before.cpu_ticks) as f64 / clock_ticks();
        let secs = self.window.as_secs_f64();
        let switches = after.switches_since(before);
        let rss = mib(self.peak_rss_kib);
        let target = if self.bots > 2 {
            TARGET_RSS_MANY_MIB
        } else {
            TARGET_RSS_MIB
        };
        let verdict = if rss < target { "met" } else { "NOT met" };
        println!(
            "kore-gitops run, {} bots, settled after {:.1?}; idle window {secs:.1} s",
            self.bots, self.settled
        );
        println!(
            "  resident: VmRSS {:.1} MiB (peak over the window {rss:.1} MiB; target < {target} MiB: {verdict}), VmHWM {:.1} MiB",
            mib(after.rss_kib),
            mib(after.hwm_kib),
        );
        println!(
            "    of which anonymous {:.1} MiB (heap, stacks), file-backed {:.1} MiB (code, mapped packfiles)",
            mib(after.anon_kib),
            mib(after.file_kib),
        );
        println!(
            "  CPU: {cpu:.2} s user+system ({:.2} % of one core); {switches} context switches ({:.1}/s) over {} threads",
            100.0 * cpu / secs,
            switches as f64 / secs,
            after.threads,
        );
        println!(
            "  while idle: {} platform calls, {} log lines",
            self.requests, self.log_lines
        );
    }
}
