//! The git mirror and the local ref watch, against real repositories.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kore_gitops::config::{GitAuth, GitConfig};
use kore_gitops::ids::CommitId;
use kore_gitops::source::{Mirror, RefWatch, SourceError, local_repository};

use crate::support::git::{git, remote_with_clone};

fn git_config(url: &Path) -> GitConfig {
    GitConfig {
        url: url.to_str().unwrap().to_owned(),
        branch: "main".into(),
        bots_dir: "bots".into(),
        poll_interval: Duration::from_secs(30),
        auth: GitAuth::None,
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
    let mirror = Mirror::open(&root.path().join("state"), &config.url).unwrap();
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
    let mirror = Mirror::open(&root.path().join("state"), &config.url).unwrap();
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
