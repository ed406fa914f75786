//! `kore-gitops status`: the notes of a commit, read from a clone or a bare
//! repository.

use std::path::Path;

use serde_json::Value;

use super::kore_gitops;
use crate::reconcile::world::World;
use crate::support::git::git;

fn fetch_notes(work: &Path) {
    git(
        work,
        &["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"],
    );
}

#[tokio::test]
async fn status_shows_the_note_of_a_synced_commit_in_words_and_as_json() {
    let world = World::start().await;
    world.sync().await;
    fetch_notes(&world.work);
    let head = git(&world.work, &["rev-parse", "HEAD"]);

    let human = kore_gitops(&world.work, &["status"]).await;
    assert_eq!(human.code, 0, "{}", human.all());
    assert!(
        human
            .stdout
            .starts_with(&format!("commit {} (HEAD)\n", head.trim()))
    );
    for bot in ["it-helpdesk", "travel-desk"] {
        let line = human.stdout.lines().find(|l| l.starts_with(bot));
        let line = line.unwrap_or_else(|| panic!("a line for {bot}:\n{}", human.stdout));
        assert!(line.contains("Synced"), "{line}");
    }
    assert!(
        !human.stdout.contains("bot id"),
        "details only when verbose"
    );

    let verbose = kore_gitops(&world.work.join("bots"), &["status", "--verbose", "HEAD"]).await;
    assert_eq!(
        verbose.code,
        0,
        "found from inside the work tree: {}",
        verbose.all()
    );
    let travel_id = &world.sim.credentials.bot("travel-desk").id;
    assert!(
        verbose.stdout.contains(&format!("bot id    {travel_id}")),
        "{}",
        verbose.stdout
    );
    assert!(
        verbose.stdout.contains("desired   sha256:"),
        "{}",
        verbose.stdout
    );

    let json = kore_gitops(&world.work, &["status", "--json"]).await;
    assert_eq!(json.code, 0, "{}", json.all());
    let note: Value = serde_json::from_str(&json.stdout).unwrap();
    let travel = &note["bots"]["travel-desk"];
    assert_eq!(travel["phase"], "Synced", "{note:#}");
    assert_eq!(travel["bot_id"], travel_id.as_str(), "{note:#}");
    assert!(
        travel["desired"].as_str().unwrap().starts_with("sha256:"),
        "{note:#}"
    );
    assert!(travel["updated"].is_string(), "{note:#}");
    assert_eq!(travel["folder"], "travel-desk", "{note:#}");
    assert_eq!(travel["environment"], Value::Null, "{note:#}");
    assert_eq!(note["bots"].as_object().unwrap().len(), 2, "{note:#}");
}

#[tokio::test]
async fn status_reads_a_bare_repository_too() {
    let world = World::start().await;
    world.sync().await;
    let remote = git(&world.work, &["remote", "get-url", "origin"]);
    let run = kore_gitops(&world.work, &["status", "--repo", remote.trim(), "main"]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("travel-desk"), "{}", run.stdout);
}

#[tokio::test]
async fn a_commit_without_a_note_exits_1_and_says_how_to_fetch_notes() {
    let world = World::start().await;
    world.sync().await;
    // The daemon pushed its notes, but the clone has not fetched them.
    let human = kore_gitops(&world.work, &["status"]).await;
    assert_eq!(human.code, 1, "{}", human.all());
    assert!(human.stdout.is_empty(), "{}", human.stdout);
    assert!(
        human.stderr.contains("no kore-gitops note on commit"),
        "{}",
        human.stderr
    );
    assert!(
        human
            .stderr
            .contains("git fetch origin 'refs/notes/*:refs/notes/*'"),
        "{}",
        human.stderr
    );

    let json = kore_gitops(&world.work, &["status", "--json"]).await;
    assert_eq!(json.code, 1, "{}", json.all());
    let note: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(note, serde_json::json!({"bots": {}}));
}

#[tokio::test]
async fn a_note_kore_gitops_did_not_write_exits_2_saying_so() {
    let world = World::start().await;
    git(
        &world.work,
        &[
            "notes",
            "--ref=kore-gitops",
            "add",
            "-m",
            "reviewed-by: someone",
            "HEAD",
        ],
    );
    for args in [&["status"][..], &["status", "--json"]] {
        let run = kore_gitops(&world.work, args).await;
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(
            run.stderr.contains("not a kore-gitops status note"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
}

#[tokio::test]
async fn an_unknown_revision_or_a_folder_that_is_no_repository_exits_2() {
    let world = World::start().await;
    let run = kore_gitops(&world.work, &["status", "no-such-branch"]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("unknown revision \"no-such-branch\""),
        "{}",
        run.stderr
    );

    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap();
    let run = kore_gitops(empty.path(), &["status", "--repo", path]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
}
