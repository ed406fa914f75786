//! Drift, suspension, removed and broken bot folders.

use kore_gitops::status::Phase;
use serde_json::Value;

use super::world::World;
use super::world::count as n;
use crate::support::git::git;

/// A world whose travel-desk only reports drift, committed and synced.
async fn reporting_drift_only() -> World {
    let world = World::start().await;
    let toml = world.work.join("bots/travel-desk/bot.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}drift = \"report\"\n")).unwrap();
    world.commit_all("travel-desk: report drift only");
    world.sync().await;
    world
}

fn rename_first_dialog(d: &mut Value) {
    d["dialogs"][0]["name"] = "Renamed in the UI".into();
    d["dialogs"][0]["localeData"]["en"]["name"] = "Renamed in the UI".into();
}

#[tokio::test]
async fn drift_is_reverted_by_default() {
    let world = World::start().await;
    world.sync().await;
    world.edit_live("travel-desk", rename_first_dialog).await;
    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(status.phase, Phase::Synced);
    assert!(
        status.summary.starts_with("reverted drift: "),
        "{}",
        status.summary
    );
    let bot = world.bot("travel-desk").await;
    assert_eq!(n(&bot, "imports"), 1);
    assert_eq!(
        n(&bot, "publishes"),
        0,
        "the published copy never drifted: no identical version is published"
    );
    assert_eq!(bot["dev_digest"], bot["published_digest"]);
}

#[tokio::test]
async fn drift_is_only_reported_when_the_bot_says_so() {
    let world = reporting_drift_only().await;
    world.edit_live("travel-desk", rename_first_dialog).await;
    for _ in 0..2 {
        let reports = world.sync().await;
        let status = World::status_of(&reports, "travel-desk");
        assert_eq!(status.phase, Phase::Drifted, "{status:?}");
        assert!(
            status.summary.contains("Renamed in the UI"),
            "{}",
            status.summary
        );
    }
    assert_eq!(n(&world.bot("travel-desk").await, "imports"), 0);
}

#[tokio::test]
async fn a_suspended_bot_is_left_alone() {
    let world = World::start().await;
    let toml = world.work.join("bots/travel-desk/bot.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}suspend = true\n")).unwrap();
    world.commit_definition("travel-desk", "suspend and change", |d| {
        d["sentences"][0]["sentence"] = "not shipped while suspended".into();
    });
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Suspended
    );
    let bot = world.bot("travel-desk").await;
    assert_eq!((n(&bot, "exports"), n(&bot, "imports")), (0, 0));
}

#[tokio::test]
async fn a_broken_folder_fails_alone_and_a_removed_one_is_left_alone() {
    let world = World::start().await;
    std::fs::write(
        world.work.join("bots/travel-desk/botDefinition.json"),
        "{ not json",
    )
    .unwrap();
    world.commit_all("break travel-desk");
    let reports = world.sync().await;
    let broken = World::status_of(&reports, "travel-desk");
    assert_eq!(broken.phase, Phase::Failed);
    assert!(
        broken
            .error
            .as_deref()
            .unwrap()
            .contains("botDefinition.json"),
        "{broken:?}"
    );
    assert_eq!(
        World::status_of(&reports, "it-helpdesk").phase,
        Phase::Synced
    );

    std::fs::remove_dir_all(world.work.join("bots/travel-desk")).unwrap();
    world.commit_all("remove travel-desk");
    let reports = world.sync().await;
    assert_eq!(
        reports.iter().map(|r| r.bot.as_str()).collect::<Vec<_>>(),
        ["it-helpdesk"]
    );
    let bot = world.bot("travel-desk").await;
    assert_eq!(
        (n(&bot, "imports"), n(&bot, "publishes")),
        (0, 0),
        "left alone on the platform"
    );
}

#[tokio::test]
async fn a_rollback_by_force_push_is_desired_state_even_when_drift_is_only_reported() {
    let world = reporting_drift_only().await;
    let good = world.head();
    let good_digest = world.bot("travel-desk").await["published_digest"].clone();
    world.commit_definition("travel-desk", "a bad change", |d| {
        d["sentences"][0]["sentence"] = "the change to roll back".into();
    });
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );
    assert_ne!(
        world.bot("travel-desk").await["published_digest"],
        good_digest
    );

    // Roll back: the older commit, which carries a Synced note, is the head again.
    git(&world.work, &["reset", "--quiet", "--hard", &good]);
    git(
        &world.work,
        &["push", "--quiet", "--force", "origin", "main"],
    );
    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(status.phase, Phase::Synced, "{status:?}");
    let bot = world.bot("travel-desk").await;
    assert_eq!(
        bot["published_digest"], good_digest,
        "the bad change is gone"
    );
    assert_eq!(bot["dev_digest"], good_digest);
    // Once back at the old commit, a designer's edit is drift again: reported.
    world.edit_live("travel-desk", rename_first_dialog).await;
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Drifted
    );
}
