//! A pass in a world harsher than the platform's documentation admits:
//! answers lost after the work was done, designer edits landing at every
//! moment of an apply, and jobs of other clients. Nothing is imported,
//! trained or published twice, nothing unverified is published, and the
//! note says what is live.

use kore_gitops::desired::{BotFiles, IgnoreRules};
use kore_gitops::diff::normalise;
use kore_gitops::platform::ExportKind;
use kore_gitops::status::{Note, Phase};
use serde_json::{Value, json};

use super::world::{World, counters};
use crate::support::client::fast_client;

const BOT: &str = "travel-desk";

fn change_utterance(world: &World, text: &str) {
    world.commit_definition(BOT, "change one utterance", |d| {
        d["sentences"][0]["sentence"] = text.into();
    });
}

/// Syncs until the bot is no longer failing (at most `passes` times).
async fn sync_until_settled(world: &World, passes: usize) -> Phase {
    let mut phase = Phase::Failed;
    for _ in 0..passes {
        let reports = world.sync().await;
        phase = World::status_of(&reports, BOT).phase;
        if phase != Phase::Failed {
            break;
        }
    }
    phase
}

#[tokio::test]
async fn lost_answers_never_make_a_second_import_training_or_publish() {
    let modes = [
        json!({"mode": "drop"}),
        json!({"mode": "504"}),
        json!({"mode": "html", "status": 200}),
        json!({"mode": "stall", "millis": 2000}),
    ];
    let mut cases = Vec::new();
    for endpoint in ["import", "train", "publish"] {
        for mode in &modes {
            cases.push(lost_answer_case(endpoint, mode.clone()));
        }
    }
    futures_util::future::join_all(cases).await;
}

async fn lost_answer_case(endpoint: &str, mode: Value) {
    let world = World::start().await;
    world.set_request_timeout("1s");
    change_utterance(&world, &format!("lost {endpoint} {mode}"));
    let mut body = mode.clone();
    body["endpoint"] = endpoint.into();
    world.fault("/lost-answer", body).await;
    let phase = sync_until_settled(&world, 3).await;
    let case = format!("{endpoint} {mode}");
    assert_eq!(phase, Phase::Synced, "{case}");
    let bot = world.bot(BOT).await;
    assert_eq!(counters(&bot), (1, 1, 1), "{case}: {bot}");
    assert_eq!(bot["dev_digest"], bot["published_digest"], "{case}");
}

#[tokio::test]
async fn a_job_of_another_client_is_waited_for_not_blamed_on_the_commit() {
    let world = World::start().await;
    change_utterance(&world, "while someone else exports");
    let id = world.sim.credentials.bot(BOT).id.clone();
    let body = json!({"kind": "export", "millis": 600});
    world.fault(&format!("/bots/{id}/jobs"), body).await;
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Failed);
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("409") && error.contains("not a fault of the commit"),
        "{error}"
    );
    assert!(error.contains("a transient failure"), "{error}");
    tokio::time::sleep(std::time::Duration::from_millis(650)).await;
    assert_eq!(sync_until_settled(&world, 1).await, Phase::Synced);
    assert_eq!(counters(&world.bot(BOT).await), (1, 1, 1));
}

/// The normalised digest of the live in-development copy, as the daemon
/// computes it.
async fn live_digest(world: &World) -> String {
    let client = fast_client(&world.sim, "admin");
    let id = world.sim.credentials.bot(BOT).id.parse().unwrap();
    let archive = client.export(&id, ExportKind::Latest).await.unwrap();
    let files = BotFiles {
        icon: None,
        ..BotFiles::from(archive)
    };
    let normalised = normalise(&files, &IgnoreRules::default()).unwrap();
    normalised.digest().to_string()
}

/// One designer edit at a moment of the pass, and what the pass must say.
struct EditCase {
    kind: &'static str,
    when: &'static str,
    skip: u32,
    published: bool,
    summary: &'static str,
}

const EDIT_CASES: &[EditCase] = &[
    EditCase {
        kind: "import",
        when: "finished",
        skip: 0,
        published: false,
        summary: "before training",
    },
    EditCase {
        kind: "train",
        when: "accepted",
        skip: 0,
        published: false,
        summary: "while it trained",
    },
    EditCase {
        kind: "train",
        when: "finished",
        skip: 0,
        published: false,
        summary: "while it trained",
    },
    // The third export of the pass is the one that verifies the import.
    EditCase {
        kind: "export",
        when: "finished",
        skip: 2,
        published: false,
        summary: "while it trained",
    },
    EditCase {
        kind: "publish",
        when: "accepted",
        skip: 0,
        published: true,
        summary: "then a designer edit",
    },
];

#[tokio::test]
async fn a_designer_edit_during_a_pass_is_never_published_and_the_note_says_what_is_live() {
    futures_util::future::join_all(EDIT_CASES.iter().map(edit_case)).await;
}

async fn edit_case(case: &EditCase) {
    let name = format!("edit at {} {} (skip {})", case.kind, case.when, case.skip);
    let world = World::start().await;
    change_utterance(&world, "the reviewed utterance");
    let before = world.bot(BOT).await;
    let id = world.sim.credentials.bot(BOT).id.clone();
    let edit = json!({"kind": case.kind, "when": case.when, "skip": case.skip,
        "set": [{"pointer": "/sentences/1/sentence", "value": "typed by a designer"}]});
    world.fault(&format!("/bots/{id}/edit-at"), edit).await;

    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Drifted, "{name}: {status:?}");
    assert!(
        status.summary.contains(case.summary),
        "{name}: {}",
        status.summary
    );
    let bot = world.bot(BOT).await;
    let history = world.history(BOT).await;
    assert!(
        history["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "edit"),
        "{name}: the edit happened"
    );
    if case.published {
        assert_eq!(bot["publishes"], 1, "{name}");
        assert_ne!(
            bot["published_digest"], before["published_digest"],
            "{name}"
        );
        assert_ne!(
            bot["published_digest"], bot["dev_digest"],
            "{name}: the edit is not live"
        );
    } else {
        assert_eq!(bot["publishes"], 0, "{name}: nothing published");
        assert_eq!(
            bot["published_digest"], before["published_digest"],
            "{name}"
        );
    }
    // The note tells the truth about the in-development copy.
    let note = Note::parse(&world.head_note()).unwrap();
    let section = &note.bots[BOT];
    assert_eq!(section.phase, Phase::Drifted, "{name}");
    let live = section.live.map(|d| d.to_string());
    assert_eq!(live, Some(live_digest(&world).await), "{name}");
    assert_ne!(section.live, section.desired, "{name}");
}

#[tokio::test]
async fn an_edit_that_the_import_overwrites_costs_an_export_not_a_wrong_publish() {
    let world = World::start().await;
    change_utterance(&world, "reviewed again");
    let id = world.sim.credentials.bot(BOT).id.clone();
    let edit = json!({"kind": "import", "when": "accepted",
        "set": [{"pointer": "/sentences/1/sentence", "value": "overwritten by the import"}]});
    world.fault(&format!("/bots/{id}/edit-at"), edit).await;
    let reports = world.sync().await;
    assert_eq!(World::status_of(&reports, BOT).phase, Phase::Synced);
    let bot = world.bot(BOT).await;
    assert_eq!(counters(&bot), (1, 1, 1), "{bot}");
    assert_eq!(bot["dev_digest"], bot["published_digest"]);
    let log: Value = world.control.inspect("/requests").await;
    let changelog_reads = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["endpoint"] == "changelogs" && e["bot"] == id.as_str())
        .count();
    assert!(
        changelog_reads >= 2,
        "the change log was read: {changelog_reads}"
    );
}

#[tokio::test]
async fn an_edit_before_a_resumed_publish_is_drift_not_blamed_on_the_platform() {
    let world = World::start().await;
    change_utterance(&world, "imported, then the publish fails once");
    world
        .fault("/job-failures", json!({"kind": "publish", "count": 1}))
        .await;
    let reports = world.sync().await;
    assert_eq!(World::status_of(&reports, BOT).phase, Phase::Failed);
    // The next pass resumes (the import is in place): a designer edits just
    // after it looked at the bot's two copies (its second export).
    let id = world.sim.credentials.bot(BOT).id.clone();
    let edit = json!({"kind": "export", "when": "finished", "skip": 1,
        "set": [{"pointer": "/sentences/1/sentence", "value": "typed while resuming"}]});
    world.fault(&format!("/bots/{id}/edit-at"), edit).await;
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Drifted, "{status:?}");
    assert!(
        status.summary.contains("before training"),
        "{}",
        status.summary
    );
    let bot = world.bot(BOT).await;
    assert_eq!(
        (bot["imports"].clone(), bot["publishes"].clone()),
        (json!(1), json!(1)),
        "{bot}"
    );
}
