//! The reconciler's own overhead, against the in-process simulator with
//! instant jobs (figures and how to reproduce them in BENCHMARKS.md):
//!
//! - one `pass_all` over 200 unchanged bots (each pass exports both copies of
//!   every bot, normalises and compares them with the commit, and leaves the
//!   notes alone as nothing changed);
//! - push-to-reconcile-start for a local repository: `Daemon::run` watching a
//!   bare repository on this machine, a commit pushed to it with the git
//!   command line, and the time from the start of `git push` until the
//!   simulator has accepted the pass's first call for that bot (the export of
//!   its in-development copy).
//!
//! Both stay under the platform's per-bot limit of 60 design-time calls a
//! minute, which the client paces itself to: beyond it, the figures would
//! measure the pacing, not the daemon.

#[allow(dead_code)]
#[path = "../tests/it/support/git.rs"]
mod git;
#[path = "support/world.rs"]
mod world;

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kore_gitops::config::{Config, Env};
use kore_gitops::reconcile::{Daemon, Report};
use kore_gitops::status::Phase;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tokio::time::Instant;

use git::git;
use world::{BenchWorld, Extra};

const BOTS: usize = 200;
/// How often the latency bench looks at the simulator.
const PROBE_EVERY: Duration = Duration::from_millis(2);
/// Longest wait for anything the daemon should do at once.
const PATIENCE: Duration = Duration::from_secs(30);
/// Between two pushes: a pushed bot takes 5 design-time calls (2 exports,
/// import, train, publish), the other 2 (exports); alternating the pushed bot,
/// 3.5 calls per bot per push, so one push per 4 s keeps each bot near 52 a
/// minute.
const PUSH_SPACING: Duration = Duration::from_secs(4);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn load(world: &BenchWorld) -> Config {
    Config::load(&world.config, &Env::default()).expect("the bench configuration is valid")
}

fn assert_all_synced(reports: &[Report], expected: usize) {
    assert_eq!(reports.len(), expected);
    for report in reports {
        let phase = report.status.as_ref().map(|s| s.phase);
        assert_eq!(phase, Some(Phase::Synced), "{}: {report:?}", report.bot);
    }
}

fn pass_over_unchanged_bots(c: &mut Criterion) {
    let rt = runtime();
    let (world, daemon) = rt.block_on(async {
        let world = BenchWorld::start(BOTS, Extra::default()).await;
        let daemon = Daemon::start(load(&world), false).await.expect("starts");
        daemon.refresh().await.expect("refresh");
        // The first pass also resolves the bots and writes the first notes.
        assert_all_synced(&daemon.pass_all(&[]).await, BOTS);
        (world, daemon)
    });
    let mut group = c.benchmark_group("reconcile");
    // About 12 passes in all (2 exports per bot each): under 60 a minute.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("pass_all over 200 unchanged bots", |b| {
        b.iter(|| {
            let reports = rt.block_on(daemon.pass_all(&[]));
            assert_all_synced(&reports, BOTS);
        })
    });
    group.finish();
    let stats: Value = rt.block_on(world.control_get("/stats"));
    assert_eq!(stats["imports"], 0, "unchanged bots are never imported");
    assert_eq!(stats["publishes"], 0, "unchanged bots are never published");
}

/// Waits until the counter of `bot` passes `above`; panics after [`PATIENCE`].
async fn until_above(world: &BenchWorld, bot: &str, key: &str, above: u64) {
    let deadline = Instant::now() + PATIENCE;
    while world.counter(bot, key).await <= above {
        assert!(Instant::now() < deadline, "{key} of {bot} never rose");
        tokio::time::sleep(PROBE_EVERY).await;
    }
}

/// Changes one utterance of `bot` and commits it (not pushed).
fn commit_change(world: &BenchWorld, bot: &str, n: u64) {
    let path = world.work.join("bots").join(bot).join("botDefinition.json");
    let mut definition: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
    definition["sentences"][0]["sentence"] = format!("latency probe {n}").into();
    std::fs::write(&path, serde_json::to_vec_pretty(&definition).expect("JSON")).expect("write");
    git(&world.work, &["commit", "--quiet", "-am", "latency probe"]);
}

/// Push number `n`: the time from the start of `git push` to the first
/// export of the changed bot; then waits for that pass to publish.
async fn push_and_time(world: &BenchWorld, n: u64) -> Duration {
    let bot = &world.bots[n as usize % world.bots.len()];
    commit_change(world, bot, n);
    let exports = world.counter(bot, "exports").await;
    let publishes = world.counter(bot, "publishes").await;
    let pushed = Instant::now();
    git(&world.work, &["push", "--quiet", "origin", "main"]);
    until_above(world, bot, "exports", exports).await;
    let latency = pushed.elapsed();
    until_above(world, bot, "publishes", publishes).await;
    latency
}

fn push_to_reconcile_start(c: &mut Criterion) {
    let rt = runtime();
    let stop = Arc::new(Notify::new());
    let world = rt.block_on(async {
        let world = BenchWorld::start(2, Extra::default()).await;
        let daemon = Daemon::start(load(&world), false).await.expect("starts");
        tokio::spawn(daemon.run(stop.clone(), Arc::new(Notify::new())));
        // Settled: the start-up pass exported both copies of every bot.
        for bot in &world.bots {
            until_above(&world, bot, "exports", 1).await;
        }
        world
    });
    let mut group = c.benchmark_group("reconcile");
    // One push per sample: the spacing, not the latency, sets the pace.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(500));
    let (mut n, mut last_push) = (0, Instant::now());
    group.bench_function("push to reconcile start (local repository)", |b| {
        b.iter_custom(|pushes| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..pushes {
                    tokio::time::sleep_until(last_push + PUSH_SPACING).await;
                    (n, last_push) = (n + 1, Instant::now());
                    total += push_and_time(&world, n).await;
                }
                total
            })
        })
    });
    group.finish();
    stop.notify_one();
}

criterion_group!(benches, pass_over_unchanged_bots, push_to_reconcile_start);
criterion_main!(benches);
