//! Notes through the daemon, against the simulator and real git: never lose
//! the record of a pass.

use kore_gitops::reconcile::{Daemon, Notes};
use kore_gitops::source::GitRemote;
use kore_gitops::status::{BotStatus, Note, Phase};
use serde_json::json;

use crate::reconcile::world::World;
use crate::support::git::git;

fn head_phase(world: &World, bot: &str) -> Option<Phase> {
    let text = world.head_note();
    let note = Note::parse(&text).ok()?;
    note.bots.get(bot).map(|s| s.phase)
}

#[tokio::test]
async fn a_note_written_while_the_remote_was_away_is_pushed_after_a_restart() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "a change", |d| {
        d["sentences"][0]["sentence"] = "written while the remote was away".into();
    });
    let daemon = Daemon::start(world.load_config(), false).await.unwrap();
    daemon.refresh().await.expect("the first fetch");
    world.remote_down();
    let reports = daemon.pass_all(&[]).await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );
    drop(daemon);
    world.remote_up();
    assert_eq!(head_phase(&world, "travel-desk"), None, "not pushed yet");

    // A restart: the refresh alone pushes what the remote lacks (the pending
    // set is the mirror's notes ref, ahead of the remote's).
    let restarted = Daemon::start(world.load_config(), false).await.unwrap();
    restarted.refresh().await.expect("the remote is back");
    assert_eq!(head_phase(&world, "travel-desk"), Some(Phase::Synced));
    assert_eq!(head_phase(&world, "it-helpdesk"), Some(Phase::Synced));
}

#[tokio::test]
async fn a_note_a_one_off_sync_overwrote_is_repaired_by_the_next_pass() {
    let world = World::start().await;
    let daemon = Daemon::start(world.load_config(), false).await.unwrap();
    daemon.refresh().await.unwrap();
    daemon.pass_all(&[]).await;
    assert_eq!(head_phase(&world, "travel-desk"), Some(Phase::Synced));

    // A person runs `sync` from elsewhere (its own state folder) while an
    // export fails: its newer note says Failed.
    world
        .fault("/job-failures", json!({"kind": "export", "count": 1}))
        .await;
    let elsewhere = tempfile::tempdir().unwrap();
    world
        .sync_from(Some(elsewhere.path()), &["travel-desk".to_owned()])
        .await;
    assert_eq!(head_phase(&world, "travel-desk"), Some(Phase::Failed));

    // The daemon's next refresh (same commit) and pass put the truth back.
    daemon.refresh().await.unwrap();
    let reports = daemon.pass_all(&[]).await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );
    assert_eq!(head_phase(&world, "travel-desk"), Some(Phase::Synced));
}

#[tokio::test]
async fn a_status_that_cannot_be_written_is_kept_and_written_later() {
    let world = World::start().await;
    let daemon = Daemon::start(world.load_config(), false).await.unwrap();
    daemon.refresh().await.unwrap();
    let state = world.load_config().daemon.state_dir;
    let mirror = state.join("mirror.git");
    let commit = world.head().parse().unwrap();
    let notes = Notes::new(
        mirror.clone(),
        Some((
            "origin".to_owned(),
            std::sync::Arc::new(GitRemote::new(&world.load_config().git)),
        )),
    );

    // The notes ref cannot be updated (as on a full disk): the write fails,
    // the error says the status is kept.
    let lock = mirror.join("refs/notes/kore-gitops.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    let published = BotStatus::new(Phase::Synced, "dialogs: 1 renamed");
    let err = notes
        .record(commit, "travel-desk", &published)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("kept in memory"), "{err}");
    // What the daemon knows still includes it.
    let known = notes.read_section(commit, "travel-desk").await.unwrap();
    let known = known.expect("the kept status");
    assert_eq!(known.summary, "dialogs: 1 renamed");
    assert_eq!(head_phase(&world, "travel-desk"), None);

    std::fs::remove_file(&lock).unwrap();
    notes.exchange().await.expect("written and pushed now");
    let text = world.head_note();
    assert!(text.contains("dialogs: 1 renamed"), "{text}");
}

#[tokio::test]
async fn a_persons_note_on_the_commit_is_kept_beside_ours() {
    let world = World::start().await;
    git(
        &world.work,
        &["notes", "--ref=kore-gitops", "add", "-m", "reviewed by Ana"],
    );
    git(
        &world.work,
        &["push", "--quiet", "origin", "refs/notes/kore-gitops"],
    );
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );
    let text = world.head_note();
    assert!(text.starts_with("reviewed by Ana\n"), "{text}");
    assert_eq!(head_phase(&world, "travel-desk"), Some(Phase::Synced));
    assert_eq!(head_phase(&world, "it-helpdesk"), Some(Phase::Synced));
}
