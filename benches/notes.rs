//! Pulling status notes when the remote holds 20 000 of them and one is new
//! (another writer's), while we hold one not yet pushed: the fetch of the
//! notes ref and the merge. The merge reads only the notes that changed since
//! the two sides last met (a tree diff), so the figure does not grow with the
//! notes ever written. Figures in BENCHMARKS.md; run with
//! `cargo bench --bench notes`.

#[allow(dead_code)]
#[path = "../tests/it/support/git.rs"]
mod git;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use git2::{Oid, Repository, Signature};
use kore_gitops::ids::CommitId;
use kore_gitops::status::{BotStatus, NOTES_REF, Note, NoteStore, Phase, pull_notes, push_notes};

use git::{git, remote_with_clone};

const NOTES: usize = 20_000;

/// The remote's notes ref gets `NOTES` notes in one notes commit, as years of
/// passes would leave them (one note per annotated commit, two bots each).
/// With `fanout`, the tree is split by the first two hex digits, as the git
/// command line lays out large notes trees; without, it is flat, as libgit2
/// (and so the daemon alone) writes them.
fn seed_notes(remote: &Path, fanout: bool) {
    let repo = Repository::open_bare(remote).unwrap();
    let mut note = Note::default();
    for bot in ["it-helpdesk", "travel-desk"] {
        let mut status = BotStatus::new(Phase::Synced, "utterances: +1 in \"Book Flight\" (en)");
        status.updated = Utc::now();
        note.bots.insert(bot.to_owned(), status);
    }
    let text = note.render();
    let mut dirs: BTreeMap<String, Vec<(String, Oid)>> = BTreeMap::new();
    for n in 0..NOTES {
        // Distinct texts, as real notes are (their times differ).
        let blob = repo.blob(format!("{text}# {n}\n").as_bytes()).unwrap();
        let target = Oid::hash_object(git2::ObjectType::Commit, n.to_string().as_bytes()).unwrap();
        let hex = target.to_string();
        let (dir, name) = if fanout {
            (hex[..2].to_owned(), hex[2..].to_owned())
        } else {
            (String::new(), hex)
        };
        dirs.entry(dir).or_default().push((name, blob));
    }
    let mut root = repo.treebuilder(None).unwrap();
    for (dir, entries) in dirs {
        let mut tree = repo.treebuilder(None).unwrap();
        for (name, blob) in entries {
            tree.insert(&name, blob, 0o100644).unwrap();
        }
        if dir.is_empty() {
            root = tree;
        } else {
            root.insert(&dir, tree.write().unwrap(), 0o040000).unwrap();
        }
    }
    let tree = repo.find_tree(root.write().unwrap()).unwrap();
    let sig = Signature::now("seed", "seed@localhost").unwrap();
    repo.commit(Some(NOTES_REF), &sig, &sig, "notes", &tree, &[])
        .unwrap();
}

fn no_credentials() -> git2::RemoteCallbacks<'static> {
    git2::RemoteCallbacks::new()
}

fn clone(root: &Path, name: &str, remote: &Path) -> NoteStore {
    git(
        root,
        &["clone", "--quiet", "--bare", remote.to_str().unwrap(), name],
    );
    let store = NoteStore::open(&root.join(name)).unwrap();
    pull_notes(&store, "origin", &no_credentials).unwrap();
    store
}

fn pull_with_one_new_note(c: &mut Criterion) {
    for (layout, fanout) in [("flat", false), ("fan-out", true)] {
        pull_with_one_new_note_in(c, layout, fanout);
    }
}

fn pull_with_one_new_note_in(c: &mut Criterion, layout: &str, fanout: bool) {
    let root = tempfile::tempdir().unwrap();
    let repo = remote_with_clone(root.path());
    seed_notes(&repo.remote, fanout);
    git(&repo.remote, &["gc", "--quiet"]);
    let head: CommitId = git(&repo.work, &["rev-parse", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    let ours = clone(root.path(), "ours.git", &repo.remote);
    let theirs = clone(root.path(), "theirs.git", &repo.remote);
    let status = |summary: &str| BotStatus::new(Phase::Synced, summary);
    theirs
        .upsert(head, "travel-desk", &status("theirs"))
        .unwrap();
    push_notes(&theirs, "origin", &no_credentials).unwrap();
    ours.upsert(head, "it-helpdesk", &status("ours")).unwrap();
    let mirror = Repository::open_bare(root.path().join("ours.git")).unwrap();
    let before = mirror.refname_to_id(NOTES_REF).unwrap();

    let mut group = c.benchmark_group(format!("notes ({layout} notes tree)"));
    group.sample_size(10);
    group.bench_function("pull 20000 notes, one new, one of ours pending", |b| {
        b.iter_batched(
            || {
                mirror
                    .reference(NOTES_REF, before, true, "bench: undo the pull")
                    .unwrap();
            },
            |()| pull_notes(&ours, "origin", &no_credentials).unwrap(),
            BatchSize::PerIteration,
        );
    });
    let note = ours.read(head).unwrap().unwrap();
    assert_eq!(note.bots.len(), 2, "both sections after the pull");
    // The same pull once nothing moved: the fetch's own cost.
    push_notes(&ours, "origin", &no_credentials).unwrap();
    group.bench_function("pull 20000 notes, nothing new", |b| {
        b.iter(|| pull_notes(&ours, "origin", &no_credentials).unwrap());
    });
    group.finish();
}

criterion_group!(benches, pull_with_one_new_note);
criterion_main!(benches);
