use std::path::Path;

use chrono::{DateTime, Utc};
use kore_gitops::ids::CommitId;
use kore_gitops::status::{BotStatus, NoteStore, Phase, pull_notes, push_notes};

use crate::support::git::{git, remote_with_clone};

fn status(phase: Phase, summary: &str, at: i64) -> BotStatus {
    BotStatus {
        updated: DateTime::<Utc>::from_timestamp(at, 0).unwrap(),
        ..BotStatus::new(phase, summary)
    }
}

fn mirror(root: &Path, name: &str, remote: &Path) -> NoteStore {
    git(
        root,
        &["clone", "--quiet", "--bare", remote.to_str().unwrap(), name],
    );
    NoteStore::open(&root.join(name)).unwrap()
}

fn head(dir: &Path) -> CommitId {
    git(dir, &["rev-parse", "HEAD"]).trim().parse().unwrap()
}

fn no_credentials() -> git2::RemoteCallbacks<'static> {
    git2::RemoteCallbacks::new()
}

#[test]
fn a_note_is_written_once_and_read_by_plain_git() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let commit = head(&repo.work);
    let store = mirror(root.path(), "mirror.git", &repo.remote);

    let synced = status(Phase::Synced, "utterances: +1 in \"Book Flight\" (en)", 100);
    assert!(store.upsert(commit, "travel-desk", &synced).unwrap());
    // Same content, later time: nothing is rewritten.
    assert!(
        !store
            .upsert(
                commit,
                "travel-desk",
                &status(Phase::Synced, &synced.summary, 200)
            )
            .unwrap()
    );
    push_notes(&store, "origin", &no_credentials).unwrap();

    git(
        &repo.work,
        &["fetch", "--quiet", "origin", "refs/notes/*:refs/notes/*"],
    );
    let log = git(
        &repo.work,
        &["log", "-1", "--notes=kore-gitops", "--format=%N"],
    );
    assert!(
        log.starts_with("# kore-gitops: travel-desk Synced"),
        "{log}"
    );
    assert!(
        log.contains("summary = 'utterances: +1 in \"Book Flight\" (en)'"),
        "{log}"
    );
    // The commit's history holds one notes commit: the unchanged rewrite was skipped.
    let notes_commits = git(
        &repo.work,
        &["rev-list", "--count", "refs/notes/kore-gitops"],
    );
    assert_eq!(notes_commits.trim(), "1");
}

#[test]
fn two_writers_on_one_remote_lose_no_note() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let commit = head(&repo.work);
    let first = mirror(root.path(), "first.git", &repo.remote);
    let second = mirror(root.path(), "second.git", &repo.remote);

    first
        .upsert(commit, "travel-desk", &status(Phase::Synced, "first", 100))
        .unwrap();
    first
        .upsert(
            commit,
            "it-helpdesk",
            &status(Phase::Importing, "stale", 100),
        )
        .unwrap();
    second
        .upsert(commit, "it-helpdesk", &status(Phase::Failed, "newer", 200))
        .unwrap();
    second
        .upsert(commit, "hr-faq", &status(Phase::Suspended, "second", 100))
        .unwrap();

    assert_eq!(push_notes(&first, "origin", &no_credentials).unwrap(), 1);
    // The second writer's push is refused, merged and retried.
    assert_eq!(push_notes(&second, "origin", &no_credentials).unwrap(), 2);

    let third = mirror(root.path(), "third.git", &repo.remote);
    pull_notes(&third, "origin", &no_credentials).unwrap();
    let note = third.read(commit).unwrap().expect("a note on the commit");
    let phases: Vec<(&str, Phase)> = note
        .bots
        .iter()
        .map(|(name, s)| (name.as_str(), s.phase))
        .collect();
    assert_eq!(
        phases,
        [
            ("hr-faq", Phase::Suspended),
            ("it-helpdesk", Phase::Failed),
            ("travel-desk", Phase::Synced)
        ]
    );
    assert_eq!(note.bots["it-helpdesk"].summary, "newer");
}

#[test]
fn writers_pushing_at_the_same_instant_lose_no_note() {
    const WRITERS: usize = 6;
    const ROUNDS: usize = 4;
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let commit = head(&repo.work);
    let mirrors: Vec<_> = (0..WRITERS)
        .map(|n| {
            let name = format!("writer-{n}.git");
            mirror(root.path(), &name, &repo.remote);
            root.path().join(name)
        })
        .collect();
    for round in 0..ROUNDS {
        let start = std::sync::Barrier::new(WRITERS);
        std::thread::scope(|scope| {
            for (n, path) in mirrors.iter().enumerate() {
                let start = &start;
                scope.spawn(move || {
                    let store = NoteStore::open(path).unwrap();
                    let bot = format!("bot-{round}-{n}");
                    store
                        .upsert(commit, &bot, &status(Phase::Synced, &bot, 100))
                        .unwrap();
                    start.wait();
                    push_notes(&store, "origin", &no_credentials).unwrap();
                });
            }
        });
    }
    let reader = mirror(root.path(), "reader.git", &repo.remote);
    pull_notes(&reader, "origin", &no_credentials).unwrap();
    let note = reader.read(commit).unwrap().expect("a note on the commit");
    let missing: Vec<String> = (0..ROUNDS)
        .flat_map(|r| (0..WRITERS).map(move |n| format!("bot-{r}-{n}")))
        .filter(|bot| !note.bots.contains_key(bot))
        .collect();
    assert!(missing.is_empty(), "lost notes: {missing:?}");
}

#[test]
fn a_foreign_note_is_reported_not_overwritten() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    git(
        &repo.work,
        &[
            "notes",
            "--ref=kore-gitops",
            "add",
            "-m",
            "reviewed by a human",
        ],
    );
    git(
        &repo.work,
        &["push", "--quiet", "origin", "refs/notes/kore-gitops"],
    );
    let store = mirror(root.path(), "mirror.git", &repo.remote);
    pull_notes(&store, "origin", &no_credentials).unwrap();
    let err = store
        .upsert(
            head(&repo.work),
            "travel-desk",
            &status(Phase::Synced, "x", 1),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("not a kore-gitops status note"),
        "{err}"
    );
}
