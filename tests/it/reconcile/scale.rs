//! Linear cost (issue 14): what passes over many bots cost in Get Bots calls
//! and notes commits does not grow with the workers, the commits or the bots
//! of a pass. Counted from the simulator's request log and the history of
//! the notes ref, never timed (the timings are in `benches/scale.rs`).

use kore_gitops::config::{Config, Env};
use kore_gitops::reconcile::{Daemon, Report};
use kore_gitops::status::Phase;

use crate::bench_world::{BenchWorld, Extra};
use crate::support::git::git;

fn config(world: &BenchWorld, concurrency: usize) -> Config {
    let mut config = Config::load(&world.config, &Env::default()).unwrap();
    config.daemon.concurrency = concurrency;
    config
}

async fn get_bots_calls(world: &BenchWorld) -> u64 {
    let stats = world.control_get("/stats").await;
    stats["per_endpoint"]["bots"].as_u64().unwrap_or(0)
}

/// How many notes commits the remote's notes ref holds.
fn notes_commits(world: &BenchWorld) -> usize {
    let fetch = ["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"];
    git(&world.work, &fetch);
    let count = git(
        &world.work,
        &["rev-list", "--count", "refs/notes/kore-gitops"],
    );
    count.trim().parse().unwrap()
}

fn all_synced(reports: &[Report], bots: usize) {
    assert_eq!(reports.len(), bots);
    for report in reports {
        let phase = report.status.as_ref().map(|s| s.phase);
        assert_eq!(phase, Some(Phase::Synced), "{report:?}");
    }
}

fn commit_readme(world: &BenchWorld, text: &str) {
    std::fs::write(world.work.join("README.md"), text).unwrap();
    git(&world.work, &["commit", "--quiet", "-am", text]);
    git(&world.work, &["push", "--quiet", "origin", "main"]);
}

/// Rewrites `bot`'s `bot.toml` to name its live bot by name (the bench
/// world names every bot by id), and commits it.
fn name_by_name(world: &BenchWorld, bot: &str) {
    let folder = world.work.join("bots").join(bot);
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("config.json")).unwrap()).unwrap();
    let name = config["name"].as_str().unwrap();
    std::fs::write(folder.join("bot.toml"), format!("bot_name = {name:?}\n")).unwrap();
    git(
        &world.work,
        &["commit", "--quiet", "-am", "one folder by name"],
    );
    git(&world.work, &["push", "--quiet", "origin", "main"]);
}

#[tokio::test]
async fn get_bots_is_read_once_across_commits_whatever_the_concurrency() {
    let world = BenchWorld::start(12, Extra::default()).await;
    // One folder by name: the list is needed (see the next test otherwise).
    name_by_name(&world, &world.bots[0]);
    let daemon = Daemon::start(config(&world, 16), false).await.unwrap();
    for n in 0..3 {
        if n > 0 {
            commit_readme(&world, &format!("commit {n}\n"));
        }
        assert!(daemon.refresh().await.unwrap().is_some(), "a new commit");
        all_synced(&daemon.pass_all(&[]).await, world.bots.len());
    }
    assert_eq!(
        get_bots_calls(&world).await,
        1,
        "identities do not change with commits: one Get Bots for 3 commits × 12 bots at \
         concurrency 16"
    );
}

/// Folders that all name their bot by `bot_id` leave Get Bots nothing to
/// resolve: passes go straight to their bots (at 5000 bots the list is 100
/// pages under 60 a minute).
#[tokio::test]
async fn a_commit_whose_folders_all_name_their_bot_by_id_never_reads_get_bots() {
    let world = BenchWorld::start(12, Extra::default()).await;
    let daemon = Daemon::start(config(&world, 4), false).await.unwrap();
    for n in 0..2 {
        if n > 0 {
            commit_readme(&world, "another commit\n");
        }
        daemon.refresh().await.unwrap();
        all_synced(&daemon.pass_all(&[]).await, world.bots.len());
    }
    assert_eq!(get_bots_calls(&world).await, 0);
}

/// The running daemon asks Get Bots for one bot at start (readiness: does
/// the platform answer?), not for the whole list: 60 bots are two pages.
#[tokio::test]
async fn a_running_daemon_over_bots_named_by_id_asks_get_bots_for_one_bot_only() {
    let world = BenchWorld::start(60, Extra::default()).await;
    let config = config(&world, 8);
    let observe = kore_gitops::observe::state::ObserveState::for_config(&config, "test");
    let readiness = observe.0.clone();
    let daemon = Daemon::start_observed(config, false, Some(observe))
        .await
        .unwrap();
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon.run(stop.clone(), Default::default()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let stats = world.control_get("/stats").await;
        if stats["per_endpoint"]["export"].as_u64().unwrap_or(0) >= 2 * 60 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{stats}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop.notify_one();
    running.await.unwrap();
    let missing = readiness.readiness().missing();
    assert!(
        !missing.contains(&"platform"),
        "readiness asked the platform: {missing:?}"
    );
    assert_eq!(get_bots_calls(&world).await, 1, "one page, for readiness");
    let requests = world.control_get("/requests").await;
    let asked: Vec<&str> = (requests.as_array().unwrap().iter())
        .filter_map(|r| r["path"].as_str())
        .filter(|path| path.contains("/bots?"))
        .collect();
    assert!(asked.iter().all(|p| p.contains("limit=1")), "{asked:?}");
}

/// A `bot_id` the account lacks, in a commit read without Get Bots: the
/// platform refuses the first call, and the pass reads the list to say why
/// (the message of a pass checked against the list); the others sync.
#[tokio::test]
async fn a_bot_id_the_account_lacks_is_named_as_such_without_get_bots_for_the_others() {
    let world = BenchWorld::start(4, Extra::default()).await;
    let bots = world.work.join("bots");
    let ghost = bots.join("ghost");
    std::fs::create_dir_all(&ghost).unwrap();
    for file in ["botDefinition.json", "config.json"] {
        std::fs::copy(bots.join(&world.bots[0]).join(file), ghost.join(file)).unwrap();
    }
    let missing = "st-00000000-0000-0000-0000-0000000000ff";
    std::fs::write(ghost.join("bot.toml"), format!("bot_id = \"{missing}\"\n")).unwrap();
    git(&world.work, &["add", "."]);
    commit_readme(&world, "a folder naming a bot id the account lacks\n");
    let daemon = Daemon::start(config(&world, 4), false).await.unwrap();
    daemon.refresh().await.unwrap();
    let reports = daemon.pass_all(&[]).await;
    let ghost = reports.iter().find(|r| r.bot == "ghost").unwrap();
    let status = ghost.status.as_ref().unwrap();
    assert_eq!(status.phase, Phase::Failed, "{ghost:?}");
    let error = status.error.as_deref().unwrap_or_default();
    assert!(
        error.contains(&format!("bot_id {missing} is not a bot of this account")),
        "{error}"
    );
    let others = reports.iter().filter(|r| r.bot != "ghost");
    for report in others {
        let phase = report.status.as_ref().map(|s| s.phase);
        assert_eq!(phase, Some(Phase::Synced), "{report:?}");
    }
    assert_eq!(
        get_bots_calls(&world).await,
        1,
        "read once, for the refused id"
    );
}

#[tokio::test]
async fn a_pass_over_many_bots_writes_its_notes_in_a_few_notes_commits() {
    let bots = 40;
    let world = BenchWorld::start(bots, Extra::default()).await;
    let daemon = Daemon::start(config(&world, 8), false).await.unwrap();
    daemon.refresh().await.unwrap();
    all_synced(&daemon.pass_all(&[]).await, bots);
    // Every section is on the remote once the pass is over.
    let commits = notes_commits(&world);
    let note = git(&world.work, &["notes", "--ref=kore-gitops", "show", "HEAD"]);
    for bot in &world.bots {
        assert!(note.contains(&format!("[bots.{bot}]")), "{bot}: {note}");
    }
    println!("{commits} notes commits for {bots} bots");
    assert!(
        commits <= bots / 4,
        "{commits} notes commits for {bots} new sections: sections are written in batches"
    );
    // A pass that finds every bot still in sync writes nothing.
    all_synced(&daemon.pass_all(&[]).await, bots);
    assert_eq!(notes_commits(&world), commits);
}

/// A folder naming a bot the kept list lacks (a bot created since?) reads
/// Get Bots again, once for all the passes that found the same list stale;
/// within the commit that first read the list, not at all.
#[tokio::test]
async fn folders_naming_unknown_bots_read_get_bots_again_once_per_stale_list() {
    let world = BenchWorld::start(6, Extra::default()).await;
    let bots = world.work.join("bots");
    for n in 0..3 {
        let ghost = bots.join(format!("ghost-{n}"));
        std::fs::create_dir_all(&ghost).unwrap();
        for file in ["botDefinition.json", "config.json"] {
            std::fs::copy(bots.join(&world.bots[0]).join(file), ghost.join(file)).unwrap();
        }
        let settings = format!("bot_name = \"Nobody {n}\"\n");
        std::fs::write(ghost.join("bot.toml"), settings).unwrap();
    }
    git(&world.work, &["add", "."]);
    commit_readme(&world, "three folders name bots the account lacks\n");
    let daemon = Daemon::start(config(&world, 16), false).await.unwrap();
    let unknown = |reports: &[Report]| {
        reports
            .iter()
            .filter(|r| r.bot.starts_with("ghost-"))
            .map(|r| r.status.as_ref().and_then(|s| s.error.clone()))
            .filter(|e| {
                e.as_deref()
                    .is_some_and(|e| e.contains("no bot of this account"))
            })
            .count()
    };
    daemon.refresh().await.unwrap();
    assert_eq!(unknown(&daemon.pass_all(&[]).await), 3);
    assert_eq!(
        get_bots_calls(&world).await,
        1,
        "read during this commit's passes"
    );
    commit_readme(&world, "another commit\n");
    daemon.refresh().await.unwrap();
    assert_eq!(unknown(&daemon.pass_all(&[]).await), 3);
    assert_eq!(
        get_bots_calls(&world).await,
        2,
        "the kept list is read again once for the three folders"
    );
}
