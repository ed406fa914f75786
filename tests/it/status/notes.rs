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
fn a_persons_note_and_ours_share_the_commit_and_survive_merges() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let commit = head(&repo.work);
    let notes = ["notes", "--ref=kore-gitops"];
    git(
        &repo.work,
        &[&notes[..], &["add", "-m", "reviewed by Ana"]].concat(),
    );
    git(
        &repo.work,
        &["push", "--quiet", "origin", "refs/notes/kore-gitops"],
    );
    let store = mirror(root.path(), "mirror.git", &repo.remote);
    pull_notes(&store, "origin", &no_credentials).unwrap();
    assert!(
        store
            .upsert(commit, "travel-desk", &status(Phase::Synced, "x", 1))
            .unwrap(),
        "the person's note does not block ours"
    );
    // Meanwhile the person appends to the note on the remote; our push is
    // refused, merged and retried.
    git(
        &repo.work,
        &[&notes[..], &["append", "-m", "and by Bo"]].concat(),
    );
    git(
        &repo.work,
        &["push", "--quiet", "origin", "refs/notes/kore-gitops"],
    );
    assert_eq!(push_notes(&store, "origin", &no_credentials).unwrap(), 2);

    git(
        &repo.work,
        &["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"],
    );
    let text = git(&repo.work, &[&notes[..], &["show", "HEAD"]].concat());
    assert!(text.starts_with("reviewed by Ana\n"), "{text}");
    assert!(text.contains("and by Bo"), "{text}");
    let note = store.read(commit).unwrap().expect("our section");
    assert_eq!(note.bots["travel-desk"].phase, Phase::Synced);
    // A person edits around our section: the next upsert keeps their text.
    git(
        &repo.work,
        &[&notes[..], &["append", "-m", "shipped"]].concat(),
    );
    git(
        &repo.work,
        &["push", "--quiet", "origin", "refs/notes/kore-gitops"],
    );
    pull_notes(&store, "origin", &no_credentials).unwrap();
    store
        .upsert(commit, "travel-desk", &status(Phase::Failed, "y", 2))
        .unwrap();
    push_notes(&store, "origin", &no_credentials).unwrap();
    git(
        &repo.work,
        &["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"],
    );
    let text = git(&repo.work, &[&notes[..], &["show", "HEAD"]].concat());
    for kept in [
        "reviewed by Ana",
        "and by Bo",
        "shipped",
        "phase = \"Failed\"",
    ] {
        assert!(text.contains(kept), "{kept}: {text}");
    }
}

#[test]
fn an_old_note_without_the_end_marker_still_parses_and_is_updated() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let commit = head(&repo.work);
    let old = "# kore-gitops: a Synced\n\n[bots.a]\nphase = \"Synced\"\nsummary = \"old\"\nupdated = \"1970-01-01T00:00:10Z\"\n";
    git(
        &repo.work,
        &["notes", "--ref=kore-gitops", "add", "-m", old],
    );
    git(
        &repo.work,
        &["push", "--quiet", "origin", "refs/notes/kore-gitops"],
    );
    let store = mirror(root.path(), "mirror.git", &repo.remote);
    pull_notes(&store, "origin", &no_credentials).unwrap();
    assert_eq!(
        store.read(commit).unwrap().unwrap().bots["a"].summary,
        "old"
    );
    store
        .upsert(commit, "b", &status(Phase::Synced, "new", 20))
        .unwrap();
    let note = store.read(commit).unwrap().unwrap();
    assert_eq!(note.bots.len(), 2);
    assert!(note.foreign.before.is_empty() && note.foreign.after.is_empty());
}

/// Pulling reads only what changed since the two sides last met: an old note
/// whose text is gone from the mirror (its blob deleted) is never read, as
/// it was by the old pull, which re-read and re-parsed every note.
#[test]
fn a_pull_reads_only_the_notes_that_changed() {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    let commit = head(&repo.work);
    let store = mirror(root.path(), "mirror.git", &repo.remote);
    let old = "0000000000000000000000000000000000000001".parse().unwrap();
    store
        .upsert(old, "a", &status(Phase::Synced, "an old note", 1))
        .unwrap();
    push_notes(&store, "origin", &no_credentials).unwrap();
    // Another writer adds a note; we write one too: both sides moved.
    let other = mirror(root.path(), "other.git", &repo.remote);
    pull_notes(&other, "origin", &no_credentials).unwrap();
    other
        .upsert(commit, "b", &status(Phase::Failed, "theirs", 5))
        .unwrap();
    push_notes(&other, "origin", &no_credentials).unwrap();
    store
        .upsert(commit, "c", &status(Phase::Synced, "ours", 6))
        .unwrap();
    let blob = git(
        &root.path().join("mirror.git"),
        &["rev-parse", &format!("refs/notes/kore-gitops:{old}")],
    );
    let blob = blob.trim();
    let loose = root
        .path()
        .join("mirror.git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(&loose).expect("the old note's blob is a loose object");

    pull_notes(&store, "origin", &no_credentials).expect("the pull never reads the old note");
    let note = store.read(commit).unwrap().unwrap();
    let names: Vec<&str> = note.bots.keys().map(String::as_str).collect();
    assert_eq!(names, ["b", "c"]);
}
