//! Platform faults at each phase: the note and the log say what failed,
//! nothing is published after a failed import or training, and once the
//! fault clears the bot converges without a second import or publish.

use kore_gitops::status::Phase;
use serde_json::json;

use super::world::{World, count as n, counters};

fn change_utterance(world: &World, text: &str) {
    world.commit_definition("travel-desk", "change one utterance", |d| {
        let sentences = d["sentences"].as_array_mut().unwrap();
        sentences[0]["sentence"] = text.into();
    });
}

#[tokio::test]
async fn a_failed_import_publishes_nothing_and_the_next_pass_converges() {
    let world = World::start().await;
    change_utterance(&world, "utterance number 1");
    let before = world.bot("travel-desk").await;
    world
        .fault(
            "/job-failures",
            json!({"kind": "import", "count": 1, "message": "Dialog Book Flight is invalid"}),
        )
        .await;

    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(status.phase, Phase::Failed);
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("import") && error.contains("Dialog Book Flight is invalid"),
        "{error}"
    );
    assert!(
        error.contains("not retried: the commit must change"),
        "{error}"
    );
    assert_eq!(
        World::status_of(&reports, "it-helpdesk").phase,
        Phase::Synced,
        "the other bot carries on"
    );
    let after = world.bot("travel-desk").await;
    assert_eq!(
        (n(&after, "trainings"), n(&after, "publishes")),
        (0, 0),
        "{after}"
    );
    assert_eq!(after["published_digest"], before["published_digest"]);
    let note = world.head_note();
    assert!(
        note.contains("phase = \"Failed\"") && note.contains("Dialog Book Flight is invalid"),
        "{note}"
    );

    // The fault was one-shot: a later pass (a new process) converges.
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );
    let done = world.bot("travel-desk").await;
    assert_eq!(counters(&done), (2, 1, 1));
    assert_eq!(done["dev_digest"], done["published_digest"]);
}

#[tokio::test]
async fn a_failed_training_is_retried_without_a_second_import() {
    let world = World::start().await;
    change_utterance(&world, "utterance number 2");
    world
        .fault("/job-failures", json!({"kind": "train", "count": 1}))
        .await;

    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(status.phase, Phase::Failed);
    assert!(
        status
            .error
            .as_deref()
            .unwrap()
            .contains("not retried: a transient failure"),
        "{status:?}"
    );
    let after = world.bot("travel-desk").await;
    assert_eq!(
        (n(&after, "imports"), n(&after, "publishes")),
        (1, 0),
        "{after}"
    );

    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(status.phase, Phase::Synced, "{status:?}");
    // The summary names what the publish brought live, not "no differences".
    assert_eq!(
        status.summary,
        "published the imported definition: utterances: +1 −1 in \"Book Flight\" (en)",
        "{status:?}"
    );
    let done = world.bot("travel-desk").await;
    assert_eq!(counters(&done), (1, 2, 1));
}

#[tokio::test]
async fn a_failed_publish_is_published_once_when_it_clears() {
    let world = World::start().await;
    change_utterance(&world, "utterance number 3");
    world
        .fault("/job-failures", json!({"kind": "publish", "count": 1}))
        .await;
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Failed
    );
    let failed = world.bot("travel-desk").await;
    assert_ne!(
        failed["dev_digest"], failed["published_digest"],
        "nothing was published"
    );

    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );
    let done = world.bot("travel-desk").await;
    // Trained once: the second pass found the model in sync and went straight to publish.
    assert_eq!(counters(&done), (1, 1, 2));
    assert_eq!(done["dev_digest"], done["published_digest"]);
}

#[tokio::test]
async fn platform_outages_are_retried_and_named_when_they_last() {
    let world = World::start().await;
    change_utterance(&world, "utterance number 4");
    // A short burst of 503s is absorbed by the client's retries.
    world
        .fault(
            "/faults",
            json!({"endpoint": "export", "status": 503, "count": 2}),
        )
        .await;
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );

    change_utterance(&world, "utterance number 5");
    world
        .fault(
            "/faults",
            json!({"endpoint": "import", "status": 503, "count": 50}),
        )
        .await;
    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(status.phase, Phase::Failed);
    let error = status.error.as_deref().unwrap();
    assert!(error.contains("import") && error.contains("503"), "{error}");
    // A one-off `sync` retries nothing, and says so.
    assert!(
        error.contains("not retried: a transient failure"),
        "{error}"
    );
    assert!(!error.contains("retrying in"), "{error}");
    assert_eq!(
        n(&world.bot("travel-desk").await, "publishes"),
        1,
        "only the first change"
    );
}

#[tokio::test]
async fn approval_mode_is_reported_and_not_published_again() {
    let world = World::start().await;
    world.fault("/approval", json!({"enabled": true})).await;
    change_utterance(&world, "utterance number 6");
    for _ in 0..2 {
        let reports = world.sync().await;
        assert_eq!(
            World::status_of(&reports, "travel-desk").phase,
            Phase::AwaitingApproval
        );
    }
    assert_eq!(n(&world.bot("travel-desk").await, "publishes"), 1);
    assert!(world.head_note().contains("phase = \"AwaitingApproval\""));
}

#[tokio::test]
async fn a_platform_that_rewrites_the_import_is_never_trained_or_published() {
    let world = World::start().await;
    change_utterance(&world, "an utterance the platform mangles");
    let rewrite = json!({"set": {"addedOnImport": "a platform default"}});
    world.fault("/import-rewrite", rewrite.clone()).await;
    let before = world.bot("travel-desk").await;

    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(status.phase, Phase::Failed, "{status:?}");
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("addedOnImport"),
        "the change is named: {error}"
    );
    assert!(
        error.contains("after the import") && error.contains("not trained or published"),
        "{error}"
    );
    assert!(
        error.contains("not retried: the commit must change"),
        "{error}"
    );
    let after = world.bot("travel-desk").await;
    assert_eq!(counters(&after), (1, 0, 0), "{after}");
    assert_eq!(after["published_digest"], before["published_digest"]);
    assert!(world.head_note().contains("after the import"));

    // The team says the field is the platform's: the copy imported before now
    // matches the commit, so it is trained and published, not imported again.
    let settings = world.work.join("bots/travel-desk/bot.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("ignore = [\"/addedOnImport\"]\n");
    std::fs::write(&settings, text).unwrap();
    world.commit_all("travel-desk: the platform owns addedOnImport");
    let reports = world.sync().await;
    let status = World::status_of(&reports, "travel-desk");
    assert_eq!(status.phase, Phase::Synced, "{status:?}");
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 1));
}
