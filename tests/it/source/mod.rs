//! The git mirror and the local ref watch, against real repositories.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kore_gitops::config::{GitAuth, GitConfig};
use kore_gitops::ids::CommitId;
use kore_gitops::source::{
    LOOSE_LIMIT, Mirror, PACK_LIMIT, RefWatch, SourceError, local_repository, loose_objects,
    maintain,
};
use kore_gitops::status::{BotStatus, NoteStore, Phase, pull_notes, push_notes};

use crate::support::git::{git, remote_with_clone};

fn git_config(url: &Path) -> GitConfig {
    GitConfig {
        url: url.to_str().unwrap().to_owned(),
        branch: "main".into(),
        bots_dir: "bots".into(),
        poll_interval: Duration::from_secs(30),
        auth: GitAuth::None,
        network: Default::default(),
    }
}

fn head(dir: &Path) -> CommitId {
    git(dir, &["rev-parse", "HEAD"]).trim().parse().unwrap()
}

fn commit_file(work: &Path, name: &str, text: &str) {
    std::fs::write(work.join(name), text).unwrap();
    git(work, &["add", "."]);
    git(work, &["commit", "--quiet", "-m", name]);
}

#[test]
fn the_mirror_follows_pushes_and_force_pushes() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let config = git_config(&repo.remote);
    let mut mirror = Mirror::open(&root.path().join("state"), &config.url).unwrap();
    assert_eq!(mirror.fetch(&config).unwrap(), head(&repo.work));

    commit_file(&repo.work, "a.txt", "a");
    git(&repo.work, &["push", "--quiet", "origin", "main"]);
    assert_eq!(mirror.fetch(&config).unwrap(), head(&repo.work));

    git(&repo.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    commit_file(&repo.work, "b.txt", "b");
    git(
        &repo.work,
        &["push", "--quiet", "--force", "origin", "main"],
    );
    assert_eq!(
        mirror.fetch(&config).unwrap(),
        head(&repo.work),
        "force-push followed"
    );

    // Reopening keeps the state; a changed URL is taken.
    let reopened = Mirror::open(&root.path().join("state"), &config.url).unwrap();
    assert_eq!(reopened.head("main").unwrap(), head(&repo.work));
}

#[test]
fn a_failed_fetch_keeps_the_last_good_commit() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let config = git_config(&repo.remote);
    let mut mirror = Mirror::open(&root.path().join("state"), &config.url).unwrap();
    let good = mirror.fetch(&config).unwrap();

    std::fs::rename(&repo.remote, root.path().join("gone.git")).unwrap();
    let err = mirror.fetch(&config).unwrap_err();
    assert!(matches!(err, SourceError::Fetch { .. }), "{err:?}");
    assert!(
        err.to_string().contains("git fetch of branch \"main\""),
        "{err}"
    );
    assert_eq!(mirror.head("main").unwrap(), good);

    let missing = GitConfig {
        branch: "nope".into(),
        ..git_config(&root.path().join("gone.git"))
    };
    let err = mirror.fetch(&missing).unwrap_err();
    assert!(err.to_string().contains("\"nope\""), "{err}");
}

#[tokio::test]
async fn a_local_commit_wakes_the_watch() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let git_dir = local_repository(repo.work.to_str().unwrap()).expect("a local repository");
    assert_eq!(
        local_repository(&format!("file://{}", repo.remote.display())),
        Some(repo.remote)
    );
    assert_eq!(local_repository("https://example.com/bots.git"), None);

    let changed = Arc::new(tokio::sync::Notify::new());
    let _watch = RefWatch::start(&git_dir, changed.clone()).unwrap();
    commit_file(&repo.work, "c.txt", "c");
    tokio::time::timeout(Duration::from_secs(10), changed.notified())
        .await
        .expect("the commit wakes the watch");
}

fn corrupt_and_reopen(break_it: impl Fn(&Path)) {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let config = git_config(&repo.remote);
    let state = root.path().join("state");
    Mirror::open(&state, &config.url)
        .unwrap()
        .fetch(&config)
        .unwrap();
    break_it(&state.join("mirror.git"));
    commit_file(&repo.work, "after.txt", "after");
    git(&repo.work, &["push", "--quiet", "origin", "main"]);
    let (logs, guard) = crate::support::logs::capture();
    let head = Mirror::open(&state, &config.url)
        .expect("a broken mirror is discarded")
        .fetch(&config)
        .expect("and cloned again");
    assert_eq!(head, self::head(&repo.work));
    let warnings = logs.text().matches("the git mirror is corrupt").count();
    assert_eq!(warnings, 1, "one clear line: {}", logs.text());
    // Healthy again: no more warnings.
    for _ in 0..2 {
        Mirror::open(&state, &config.url)
            .unwrap()
            .fetch(&config)
            .unwrap();
    }
    drop(guard);
    let warnings = logs.text().matches("corrupt").count();
    assert_eq!(warnings, 1, "{}", logs.text());
}

#[test]
fn a_mirror_with_garbage_for_its_config_and_head_is_cloned_again() {
    corrupt_and_reopen(|mirror| {
        std::fs::write(mirror.join("HEAD"), "garbage").unwrap();
        std::fs::write(mirror.join("config"), "[[[ not a config").unwrap();
    });
}

#[test]
fn a_mirror_that_lost_its_objects_is_cloned_again() {
    corrupt_and_reopen(|mirror| {
        std::fs::remove_dir_all(mirror.join("objects")).unwrap();
        std::fs::create_dir_all(mirror.join("objects/pack")).unwrap();
    });
}

fn disk_usage(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            disk_usage(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

/// Many commits, each annotated with a note per bot, as the daemon writes
/// them: the mirror's object store stays packed and within a small factor of
/// the remote it mirrors (once the remote is packed, as a git host keeps it).
#[test]
fn the_mirror_stays_packed_and_bounded() {
    const BOTS: usize = 40;
    const COMMITS: usize = 15;
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let config = git_config(&repo.remote);
    let state = root.path().join("state");
    let mirror_dir = state.join("mirror.git");
    let no_credentials = || git2::RemoteCallbacks::new();
    for n in 0..COMMITS {
        for bot in 0..BOTS.min(n * 7 + 7) {
            let text = format!("{{\"bot\": {bot}, \"edit\": {}}}\n", n % 3 + bot);
            std::fs::create_dir_all(repo.work.join(format!("bots/b{bot}"))).unwrap();
            std::fs::write(
                repo.work.join(format!("bots/b{bot}/botDefinition.json")),
                text,
            )
            .unwrap();
        }
        commit_file(&repo.work, "n.txt", &n.to_string());
        git(&repo.work, &["push", "--quiet", "origin", "main"]);
        let commit = Mirror::open(&state, &config.url)
            .unwrap()
            .fetch(&config)
            .unwrap();
        let store = NoteStore::open(&mirror_dir).unwrap();
        pull_notes(&store, "origin", &no_credentials).unwrap();
        for bot in 0..BOTS {
            let status = BotStatus::new(Phase::Synced, format!("bot {bot} at commit {n}"));
            store.upsert(commit, &format!("b{bot}"), &status).unwrap();
            push_notes(&store, "origin", &no_credentials).unwrap();
        }
        maintain(&mirror_dir).unwrap();
    }
    let loose = loose_objects(&mirror_dir.join("objects")).len();
    assert!(loose < LOOSE_LIMIT + 4 * BOTS, "{loose} loose objects");
    let packs = std::fs::read_dir(mirror_dir.join("objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pack")
        })
        .count();
    assert!(packs <= PACK_LIMIT, "{packs} packs");
    git(&repo.remote, &["gc", "--quiet", "--prune=now"]);
    let (ours, remote) = (
        disk_usage(&mirror_dir.join("objects")),
        disk_usage(&repo.remote.join("objects")),
    );
    assert!(
        ours <= 3 * remote,
        "mirror {ours} bytes, remote {remote} bytes"
    );
}
