//! The publish gate when things go wrong: a malformed or refused suite, a
//! gate without its test app, a run whose answer is lost, a failed run, and
//! a failed gate that a daemon does not run again for another bot's commit.

use kore_gitops::reconcile::Daemon;
use kore_gitops::status::Phase;
use serde_json::json;

use super::{BOT, GATE_EN, SUITE, gated, without_outage_utterances, write_suite};
use crate::reconcile::world::{World, count, counters};
use crate::support::logs::capture;

#[tokio::test]
async fn a_malformed_suite_is_a_definition_error_and_a_refused_one_is_named() {
    let world = gated(GATE_EN, true).await;
    write_suite(
        &world,
        r#"{"testCases": [{"input": "hi", "intent": "Order Pizza"}]}"#,
    );
    world.commit_definition(
        BOT,
        "a suite expecting an unknown intent",
        without_outage_utterances,
    );
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Failed, "{status:#?}");
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("tests/smoke.json") && error.contains("\"Order Pizza\""),
        "{error}"
    );
    assert_eq!(counters(&world.bot(BOT).await), (0, 0, 0));

    // One the platform refuses (scripted here: the offline check passes).
    write_suite(&world, SUITE);
    world.commit_all("the suite is fixed");
    world
        .fault(
            "/faults",
            json!({"endpoint": "testsuite_import", "status": 400}),
        )
        .await;
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Failed, "{status:#?}");
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("tests/smoke.json: the platform refused the test suite"),
        "{error}"
    );
    assert_eq!(count(&world.bot(BOT).await, "publishes"), 0);
}

#[tokio::test]
async fn a_gate_without_a_test_app_is_said_clearly_and_nothing_is_published() {
    let world = gated(GATE_EN, false).await;
    world.commit_definition(BOT, "drop the outage utterances", without_outage_utterances);
    let (logs, guard) = capture();
    let reports = world.sync().await;
    drop(guard);
    // Said once the commit is read, before any pass starts.
    let logs = logs.text();
    let said = logs
        .find("the bot's publish gate cannot run")
        .unwrap_or_else(|| panic!("{logs}"));
    let pass = logs.find("reconciled").unwrap_or_else(|| panic!("{logs}"));
    assert!(said < pass, "{logs}");
    assert!(
        !logs.contains("phase=Importing"),
        "nothing imported in vain: {logs}"
    );
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Failed, "{status:#?}");
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("[test_apps.helpdesk]") && error.contains("App Builder"),
        "{error}"
    );
    assert_eq!(counters(&world.bot(BOT).await), (0, 0, 0));
}

#[tokio::test]
async fn a_run_whose_answer_is_lost_is_not_sent_again_in_the_pass() {
    let world = gated(GATE_EN, true).await;
    world
        .fault(
            "/lost-answer",
            json!({"endpoint": "testsuite_run", "mode": "drop"}),
        )
        .await;
    world.commit_definition(BOT, "drop the outage utterances", without_outage_utterances);
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Failed, "{status:#?}");
    assert!(
        status.error.as_deref().unwrap().contains("answer was lost"),
        "{status:#?}"
    );
    let bot = world.bot(BOT).await;
    assert_eq!((count(&bot, "test_runs"), count(&bot, "publishes")), (1, 0));
    // The next pass runs it once more (the platform refuses a run while the
    // lost one still runs) and judges the figures.
    let reports = world.sync().await;
    assert_eq!(World::status_of(&reports, BOT).phase, Phase::GateFailed);
    let bot = world.bot(BOT).await;
    assert_eq!((count(&bot, "test_runs"), count(&bot, "publishes")), (2, 0));
}

#[tokio::test]
async fn a_daemon_does_not_run_a_failed_gate_again_for_a_commit_of_another_bot() {
    let world = gated(GATE_EN, true).await;
    world.commit_definition(BOT, "drop the outage utterances", without_outage_utterances);
    let daemon = Daemon::start(world.load_config(), false).await.unwrap();
    daemon.refresh().await.unwrap();
    let reports = daemon.pass_all(&[]).await;
    assert_eq!(World::status_of(&reports, BOT).phase, Phase::GateFailed);
    world.commit_definition("travel-desk", "another bot changes", |d| {
        d["sentences"][0]["sentence"] = "a change elsewhere".into();
    });
    daemon.refresh().await.unwrap();
    let reports = daemon.pass_all(&[]).await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::GateFailed, "{status:#?}");
    assert!(
        status.summary.contains("F1 0.67 < 0.90"),
        "{}",
        status.summary
    );
    assert_eq!(
        count(&world.bot(BOT).await, "test_runs"),
        1,
        "not run again"
    );
    assert_eq!(count(&world.bot(BOT).await, "publishes"), 0);
}

#[tokio::test]
async fn a_failed_run_publishes_nothing_and_is_run_again_by_the_next_pass() {
    let world = gated(GATE_EN, true).await;
    world
        .fault(
            "/job-failures",
            json!({"kind": "testrun", "message": "the NLP engine is down"}),
        )
        .await;
    world.commit_definition(BOT, "one more utterance", |d| {
        d["sentences"].as_array_mut().unwrap().push(json!({"sentence": "my internet is down",
            "taskName": "Report Outage", "language": "en", "type": "DialogIntent", "entities": []}));
    });
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Failed, "{status:#?}");
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("test run") && error.contains("the NLP engine is down"),
        "{error}"
    );
    assert_eq!(count(&world.bot(BOT).await, "publishes"), 0);
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, BOT).phase,
        Phase::Synced,
        "{reports:#?}"
    );
    let bot = world.bot(BOT).await;
    assert_eq!((count(&bot, "test_runs"), count(&bot, "publishes")), (2, 1));
}

#[tokio::test]
async fn a_designer_edit_while_the_suites_run_is_never_published() {
    let world = gated(GATE_EN, true).await;
    let id = world.sim.credentials.bot(BOT).id.clone();
    let edit = json!({"kind": "testrun", "when": "accepted",
        "set": [{"pointer": "/sentences/0/sentence", "value": "edited while tested"}]});
    world.fault(&format!("/bots/{id}/edit-at"), edit).await;
    world.commit_definition(BOT, "one more utterance", |d| {
        d["sentences"].as_array_mut().unwrap().push(json!({"sentence": "my internet is down",
            "taskName": "Report Outage", "language": "en", "type": "DialogIntent", "entities": []}));
    });
    let reports = world.sync().await;
    let status = World::status_of(&reports, BOT);
    assert_eq!(status.phase, Phase::Drifted, "{status:#?}");
    assert_eq!(count(&world.bot(BOT).await, "publishes"), 0, "{status:#?}");
}
