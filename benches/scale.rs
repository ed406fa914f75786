//! The reconciler at scale (issue 14), against the in-process simulator with
//! instant jobs and its rate limits lifted (`benches/support/world.rs`); the
//! client still paces itself to the documented limits. Prints one block per
//! case (figures in BENCHMARKS.md):
//!
//! - `cargo bench --bench scale -- passes N`: N bots in sync; the first pass
//!   after start (full verification: Get Bots, a change-log mark, both
//!   exports), a second full pass, and an idle resync (the change log only),
//!   each with its wall time and platform calls per bot;
//! - `cargo bench --bench scale -- concurrency N [C…]`: a full in-sync pass
//!   over N bots at concurrency 1, 4, 16 and 64 (or the C given);
//! - `cargo bench --bench scale -- push N`: `Daemon::run` over N bots in
//!   sync; one bot changed and pushed; the time from `git push` to that
//!   bot's import, and the platform calls for other bots meanwhile.
//! - `cargo bench --bench scale -- changes N`: `Daemon::run` against the
//!   platform as documented (1.5 s jobs, the documented rate limits); every
//!   one of N bots changed by one commit; the time from `git push` to the
//!   last publish, beside the floor the account-wide upload budget and the
//!   job durations set, and the bench process's peak memory (daemon and
//!   simulator together).
//!
//! With no arguments (`cargo bench --bench scale`): `passes 1000`.

#[allow(dead_code)]
#[path = "../tests/it/support/git.rs"]
mod git;
#[allow(dead_code)]
#[path = "support/world.rs"]
mod world;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kore_gitops::config::{Config, Env};
use kore_gitops::reconcile::{Daemon, Report};
use kore_gitops::status::Phase;
use serde_json::Value;
use tokio::sync::Notify;
use tokio::time::Instant;

use git::git;
use world::{BenchWorld, Extra};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mode = args.first().map_or("passes", String::as_str).to_owned();
    let bots: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async move {
        match mode.as_str() {
            "passes" => passes(bots).await,
            "concurrency" => {
                let only: Vec<usize> = args[2..].iter().filter_map(|a| a.parse().ok()).collect();
                concurrency(bots, &only).await
            }
            "push" => push(bots).await,
            "changes" => changes(bots).await,
            other => panic!("unknown case {other:?}: passes, concurrency, push or changes"),
        }
    });
}

fn load(world: &BenchWorld) -> Config {
    Config::load(&world.config, &Env::default()).expect("the bench configuration is valid")
}

/// The simulator's calls so far, by endpoint.
async fn calls(world: &BenchWorld) -> BTreeMap<String, u64> {
    let stats = world.control_get("/stats").await;
    let per = stats["per_endpoint"].as_object().expect("per_endpoint");
    per.iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect()
}

fn since(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn all_synced(reports: &[Report], expected: usize) {
    assert_eq!(reports.len(), expected);
    for report in reports {
        let phase = report.status.as_ref().map(|s| s.phase);
        assert_eq!(phase, Some(Phase::Synced), "{}: {report:?}", report.bot);
    }
}

/// One timed `pass_all`, printed with its calls per bot.
async fn timed_pass(world: &BenchWorld, daemon: &Daemon, what: &str) -> Duration {
    let bots = world.bots.len();
    let before = calls(world).await;
    let started = Instant::now();
    let reports = daemon.pass_all(&[]).await;
    let took = started.elapsed();
    all_synced(&reports, bots);
    let made = since(&calls(world).await, &before);
    let total: u64 = made.values().sum();
    println!(
        "  {what}: {took:.2?} ({:.2} ms per bot); {:.2} platform calls per bot {made:?}",
        took.as_secs_f64() * 1000.0 / bots as f64,
        total as f64 / bots as f64,
    );
    took
}

async fn passes(bots: usize) {
    let setup = Instant::now();
    let world = BenchWorld::start(bots, Extra::default()).await;
    println!("{bots} bots in sync (set up in {:.1?})", setup.elapsed());
    let daemon = Daemon::start(load(&world), false).await.expect("starts");
    daemon.trust_change_log();
    daemon.refresh().await.expect("refresh");
    timed_pass(&world, &daemon, "first pass after start (full)").await;
    timed_pass(&world, &daemon, "idle resync (change log)").await;
    let full = Daemon::start(load(&world), false).await.expect("starts");
    full.refresh().await.expect("refresh");
    timed_pass(&world, &full, "full in-sync pass, new daemon").await;
    timed_pass(&world, &full, "full in-sync pass, again").await;
}

/// `only`: these concurrencies (default 1, 4, 16 and 64).
async fn concurrency(bots: usize, only: &[usize]) {
    let world = BenchWorld::start(bots, Extra::default()).await;
    println!("{bots} bots in sync: a full in-sync pass by concurrency");
    let warm = Daemon::start(load(&world), false).await.expect("starts");
    warm.refresh().await.expect("refresh");
    timed_pass(&world, &warm, "warm-up (first notes)").await;
    let levels = match only.is_empty() {
        true => &[1, 4, 16, 64][..],
        false => only,
    };
    for &workers in levels {
        let mut config = load(&world);
        config.daemon.concurrency = workers;
        let daemon = Daemon::start(config, false).await.expect("starts");
        daemon.refresh().await.expect("refresh");
        // Three passes each (the machine is shared and noisy): the median.
        let mut took = Vec::new();
        for round in 1..=3 {
            let what = format!("concurrency {workers:>2}, pass {round}");
            took.push(timed_pass(&world, &daemon, &what).await);
        }
        took.sort();
        println!("  concurrency {workers:>2}: median {:.2?}", took[1]);
    }
}

async fn push(bots: usize) {
    let world = BenchWorld::start(bots, Extra::default()).await;
    let daemon = Daemon::start(load(&world), false).await.expect("starts");
    let stop = Arc::new(Notify::new());
    let started = Instant::now();
    let running = tokio::spawn(daemon.run(stop.clone(), Arc::new(Notify::new())));
    // Settled: the start-up pass exported both copies of every bot.
    loop {
        let exports = calls(&world).await.get("export").copied().unwrap_or(0);
        if exports >= 2 * bots as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "{bots} bots in sync, daemon running (start-up pass {:.1?})",
        started.elapsed()
    );
    for n in 0..3u64 {
        let bot = world.bots[(n as usize * 7) % bots].clone();
        let path = world
            .work
            .join("bots")
            .join(&bot)
            .join("botDefinition.json");
        let mut definition: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
        definition["sentences"][0]["sentence"] = format!("pushed change {n}").into();
        std::fs::write(&path, serde_json::to_vec_pretty(&definition).expect("JSON"))
            .expect("write");
        git(
            &world.work,
            &["commit", "--quiet", "-am", "one bot changes"],
        );
        let imports = world.counter(&bot, "imports").await;
        let before = calls(&world).await;
        let pushed = Instant::now();
        git(&world.work, &["push", "--quiet", "origin", "main"]);
        while world.counter(&bot, "imports").await <= imports {
            assert!(
                pushed.elapsed() < Duration::from_secs(120),
                "never imported"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let took = pushed.elapsed();
        let made = since(&calls(&world).await, &before);
        println!("  push to import of {bot}: {took:.2?}; platform calls meanwhile {made:?}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    stop.notify_one();
    let _ = running.await;
}

/// Resident memory of this process now and at its peak, in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name));
        let kib = line.and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok());
        kib.unwrap_or(0.0) / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The floor of `uploads` uploads under one account-wide budget of 60 a
/// minute and 1800 an hour (the simulator's documented limits), followed by
/// the jobs one bot still needs after its last upload (import, training,
/// publish: `tail_jobs` of `job` each).
fn upload_floor(uploads: u64, tail_jobs: u32, job: Duration) -> Duration {
    let last = uploads.saturating_sub(1);
    let (hours, within) = (last / 1800, last % 1800);
    let minutes = hours * 60 + within / 60;
    Duration::from_secs(minutes * 60) + job * tail_jobs
}

async fn changes(bots: usize) {
    let extra = Extra {
        documented_platform: true,
        ..Extra::default()
    };
    let world = BenchWorld::start(bots, extra).await;
    let daemon = Daemon::start(load(&world), false).await.expect("starts");
    let stop = Arc::new(Notify::new());
    let started = Instant::now();
    let running = tokio::spawn(daemon.run(stop.clone(), Arc::new(Notify::new())));
    while calls(&world).await.get("export").copied().unwrap_or(0) < 2 * bots as u64 {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!(
        "{bots} bots in sync, 1.5 s jobs, documented limits (start-up pass {:.1?})",
        started.elapsed()
    );
    for bot in &world.bots {
        let path = world.work.join("bots").join(bot).join("botDefinition.json");
        let mut definition: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
        definition["sentences"][0]["sentence"] = format!("{bot} changed").into();
        std::fs::write(&path, serde_json::to_vec_pretty(&definition).expect("JSON"))
            .expect("write");
    }
    git(
        &world.work,
        &["commit", "--quiet", "-am", "every bot changes"],
    );
    let before = calls(&world).await;
    let pushed = Instant::now();
    git(&world.work, &["push", "--quiet", "origin", "main"]);
    let mut peak_rss = 0f64;
    let mut last_report = Instant::now();
    loop {
        let made = since(&calls(&world).await, &before);
        let published = made.get("publish").copied().unwrap_or(0);
        peak_rss = peak_rss.max(memory_mib().0);
        if published >= bots as u64 {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            last_report = Instant::now();
            println!(
                "  {:.0?}: {published} published, {} uploads",
                pushed.elapsed(),
                made.get("upload").copied().unwrap_or(0)
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let took = pushed.elapsed();
    let made = since(&calls(&world).await, &before);
    let uploads = made.get("upload").copied().unwrap_or(0);
    // One bot alone needs two exports, then import, training, publish.
    let job = Duration::from_millis(1500);
    let floor = upload_floor(uploads, 3, job).max(job * 5);
    let (_, hwm) = memory_mib();
    println!(
        "  push to the last publish: {took:.1?}; floor {floor:.1?} ({uploads} uploads at 60/min \
         and 1800/h account-wide, then import, training, publish of 1.5 s): {:.2}x the floor",
        took.as_secs_f64() / floor.as_secs_f64()
    );
    println!("  platform calls meanwhile {made:?}");
    println!(
        "  bench process (daemon + simulator) RSS during the change: peak sampled {peak_rss:.0} \
         MiB, VmHWM {hwm:.0} MiB"
    );
    stop.notify_one();
    let _ = running.await;
}
