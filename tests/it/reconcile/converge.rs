use kore_gitops::status::Phase;

use super::world::World;
use super::world::counters;

fn phases(reports: &[kore_gitops::reconcile::Report]) -> Vec<(String, Phase)> {
    reports
        .iter()
        .map(|r| (r.bot.clone(), r.status.as_ref().expect("a status").phase))
        .collect()
}

#[tokio::test]
async fn an_unchanged_repository_is_synced_without_touching_the_platform() {
    let world = World::start().await;
    let reports = world.sync().await;
    let expected = [
        ("it-helpdesk".to_owned(), Phase::Synced),
        ("travel-desk".to_owned(), Phase::Synced),
    ];
    assert_eq!(phases(&reports), expected, "{reports:#?}");
    for bot in ["it-helpdesk", "travel-desk"] {
        assert_eq!(counters(&world.bot(bot).await), (0, 0, 0), "{bot}");
    }
    let note = world.head_note();
    assert!(
        note.starts_with("# kore-gitops: it-helpdesk Synced · travel-desk Synced"),
        "{note}"
    );
}

#[tokio::test]
async fn one_changed_utterance_is_imported_trained_and_published_once() {
    let world = World::start().await;
    world.sync().await;
    world.commit_definition("travel-desk", "travel-desk: one more utterance", |d| {
        let sentences = d["sentences"].as_array_mut().unwrap();
        let first = sentences
            .iter_mut()
            .find(|s| s["taskName"] == "Book Flight")
            .unwrap();
        first["sentence"] = "book me a flight to Lisbon".into();
    });

    let reports = world.sync().await;
    let travel = reports.iter().find(|r| r.bot == "travel-desk").unwrap();
    let status = travel.status.as_ref().unwrap();
    assert_eq!(status.phase, Phase::Synced, "{status:#?}");
    assert!(status.summary.contains("Book Flight"), "{}", status.summary);
    assert!(status.jobs.contains_key("import"), "{status:#?}");
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 1));
    assert_eq!(
        counters(&world.bot("it-helpdesk").await),
        (0, 0, 0),
        "the other bot is untouched"
    );
    let sim = world.bot("travel-desk").await;
    assert_eq!(sim["dev_digest"], sim["published_digest"], "{sim}");
    assert!(
        sim["last_version_comment"]
            .as_str()
            .unwrap()
            .contains("commit"),
        "the version comment names the commit: {sim}"
    );
    let note = world.head_note();
    assert!(note.contains("[bots.travel-desk]"), "{note}");
    assert!(note.contains("phase = \"Synced\""), "{note}");
    assert!(note.contains("Book Flight"), "{note}");
    let applied = world.notes_ref();

    // Level-triggered and idempotent: the next passes do nothing, and once a
    // note says so it is not written (nor pushed) again.
    let mut notes = Vec::new();
    for _ in 0..3 {
        let reports = world.sync().await;
        assert!(
            phases(&reports).iter().all(|(_, p)| *p == Phase::Synced),
            "{reports:#?}"
        );
        notes.push(world.notes_ref());
    }
    assert_eq!(
        notes,
        [applied.clone(), applied.clone(), applied],
        "an unchanged pass writes no note"
    );
    let note = world.head_note();
    assert!(
        note.contains("Book Flight") && note.contains("import = "),
        "the note keeps what the applying pass did: {note}"
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 1));
}

#[tokio::test]
async fn two_daemons_writing_notes_to_one_remote_lose_none() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "change both bots", |d| {
        d["sentences"][0]["sentence"] = "first daemon's change".into();
    });
    world.commit_definition("it-helpdesk", "change both bots", |d| {
        d["sentences"][0]["sentence"] = "second daemon's change".into();
    });
    // Each daemon has its own mirror and reconciles one bot; both annotate the
    // same commit at the same time, and push to the same remote.
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (travel, helpdesk) = (["travel-desk".to_owned()], ["it-helpdesk".to_owned()]);
    let (first, second) = tokio::join!(
        world.sync_from(Some(one.path()), &travel),
        world.sync_from(Some(two.path()), &helpdesk)
    );
    for reports in [&first, &second] {
        assert_eq!(reports.len(), 1);
        assert!(
            phases(reports).iter().all(|(_, p)| *p == Phase::Synced),
            "{reports:#?}"
        );
    }
    let note = world.head_note();
    assert!(
        note.contains("[bots.travel-desk]") && note.contains("[bots.it-helpdesk]"),
        "{note}"
    );
    assert_eq!(note.matches("phase = \"Synced\"").count(), 2, "{note}");
}
