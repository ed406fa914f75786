//! Batch test suites in the simulator, through the real client over HTTP:
//! import, run per copy and language, progress while running, the figures
//! and the CSV report, scopes (runs are App Builder only) and both path
//! spellings.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use kore_gitops::platform::{PlatformError, RunVersion};
use kore_gitops::sim::SimConfig;
use serde_json::{Value, json};

use crate::support::client::fast_client;
use crate::support::sim::{Client, start_sim_with};

fn helpdesk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots/it-helpdesk")
}

const SUITE: &str = r#"{"testCases":[
  {"input":"Reset my password!","intent":"Reset Password"},
  {"input":"I forgot my password","intent":"Reset Password"},
  {"input":"the VPN is down","intent":"Report Outage"},
  {"input":"order a pizza","intent":""}
]}"#;

#[tokio::test]
async fn a_suite_runs_against_each_copy_and_language_with_figures_and_a_report() {
    let sim = start_sim_with(&[helpdesk()], SimConfig::instant()).await;
    let bot = sim.credentials.bot("it-helpdesk").id.parse().unwrap();
    let client = fast_client(&sim, "builder");
    client
        .import_suite(&bot, "smoke", "d1", Bytes::from(SUITE), false)
        .await
        .unwrap();
    // Importing "new" again (an answer lost after it worked) becomes an update.
    client
        .import_suite(&bot, "smoke", "d2", Bytes::from(SUITE), false)
        .await
        .unwrap();
    let listed = client.list_suites(&bot).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].description, "d2");

    let run = client
        .run_suite(&bot, "smoke", "en", RunVersion::InDevelopment)
        .await
        .unwrap();
    let result = client.wait_for_run(&bot, "smoke", &run).await.unwrap();
    // Case and punctuation do not matter; the stranger matches no intent.
    assert_eq!(
        (result.f1, result.counts.tp, result.counts.tn),
        (1.0, 3, 1),
        "{result:?}"
    );
    assert!(
        !format!("{result:?}").contains("sig="),
        "the signed link is never shown"
    );

    let spanish = client
        .run_suite(&bot, "smoke", "es", RunVersion::Published)
        .await
        .unwrap();
    let spanish = client.wait_for_run(&bot, "smoke", &spanish).await.unwrap();
    assert_eq!(
        spanish.counts.tp, 0,
        "English inputs in Spanish: {spanish:?}"
    );
    assert_eq!(spanish.f1, 0.0);
    let rows = client.run_report(&bot, &spanish).await.unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[0].utterance, "Reset my password!");
    assert!(
        rows[0].failed() && rows[0].result == "False Negative",
        "{rows:?}"
    );
    assert!(
        !rows[3].failed(),
        "a stranger matching nothing is a true negative"
    );
}

#[tokio::test]
async fn runs_are_for_app_builder_apps_and_paths_take_both_spellings() {
    let sim = start_sim_with(&[helpdesk()], SimConfig::instant()).await;
    let http = Client::new(&sim);
    let bot = sim.credentials.bot("it-helpdesk").id.clone();
    let (admin, builder) = (sim.credentials.app("admin"), sim.credentials.app("builder"));
    let file = http.upload(admin, SUITE.as_bytes().to_vec(), "json").await;
    let body = json!({"name": "smoke", "description": "", "fileName": file,
        "fileType": "json", "importType": "new", "delimiter": ","});
    let imported = http
        .post(admin, &format!("/stream/{bot}/testsuite/import"), body)
        .await;
    assert_eq!(
        imported.status(),
        200,
        "management takes an Admin Console app"
    );
    let refused = http
        .post(
            admin,
            &format!("/bot/{bot}/testsuite/smoke/run"),
            json!({"version": "inDevelopment"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let text = refused.text().await.unwrap();
    assert!(text.contains("App Builder"), "{text}");
    let ran = http
        .post(
            builder,
            &format!("/stream/{bot}/testsuite/smoke/run"),
            json!({"version": "inDevelopment"}),
        )
        .await;
    assert_eq!(ran.status(), 200);
    let ran: Value = ran.json().await.unwrap();
    assert!(
        ran["requestId"].as_str().unwrap().starts_with("tr-"),
        "{ran}"
    );
    let bad = http
        .post(
            builder,
            &format!("/bot/{bot}/testsuite/smoke/run"),
            json!({"version": "latest"}),
        )
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_running_run_shows_progress_refuses_a_second_and_a_malformed_suite_is_refused() {
    let sim = start_sim_with(&[helpdesk()], SimConfig::instant()).await;
    let control = Client::new(&sim);
    let bot = sim.credentials.bot("it-helpdesk").id.clone();
    let client = fast_client(&sim, "builder");
    let id = bot.parse().unwrap();
    client
        .import_suite(&id, "smoke", "", Bytes::from(SUITE), false)
        .await
        .unwrap();
    control
        .control("/jobs/mode", json!({"mode": "manual"}))
        .await;
    let run = client
        .run_suite(&id, "smoke", "en", RunVersion::InDevelopment)
        .await
        .unwrap();
    let status = control
        .get(
            sim.credentials.app("builder"),
            &format!("/bot/{bot}/testsuite/smoke/{run}/status"),
        )
        .await;
    let status: Value = status.json().await.unwrap();
    assert_eq!(status["status"], "running", "{status}");
    assert_eq!(status["totalUtterances"], 4);
    assert_eq!(status["result"]["runType"], "inDevelopment");
    let second = client
        .run_suite(&id, "smoke", "en", RunVersion::InDevelopment)
        .await
        .unwrap_err();
    assert_eq!(second.status(), Some(409), "{second}");
    control
        .control("/jobs/step", json!({"kind": "testrun"}))
        .await;
    let done = client.wait_for_run(&id, "smoke", &run).await.unwrap();
    assert_eq!(done.f1, 1.0);

    // A cancelled run is no result.
    let body = json!({"kind": "testrun", "message": "cancelled"});
    control.control("/job-failures", body).await;
    let run = client
        .run_suite(&id, "smoke", "en", RunVersion::InDevelopment)
        .await
        .unwrap();
    control
        .control("/jobs/step", json!({"kind": "testrun"}))
        .await;
    let cancelled = client.wait_for_run(&id, "smoke", &run).await.unwrap_err();
    assert!(
        cancelled.to_string().contains("\"cancelled\""),
        "{cancelled}"
    );

    let long = format!(
        r#"{{"testCases":[{{"input":"{}","intent":"Reset Password"}}]}}"#,
        "a".repeat(3001)
    );
    let refused = client
        .import_suite(&id, "long", "", Bytes::from(long), false)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, PlatformError::Api { status: 400, message, .. } if message.contains("3000")),
        "{refused}"
    );
}

#[tokio::test]
async fn a_run_of_the_in_development_copy_uses_its_last_training() {
    let sim = start_sim_with(&[helpdesk()], SimConfig::instant()).await;
    let bot = sim.credentials.bot("it-helpdesk").id.parse().unwrap();
    let (admin, builder) = (fast_client(&sim, "admin"), fast_client(&sim, "builder"));
    builder
        .import_suite(&bot, "smoke", "", Bytes::from(SUITE), false)
        .await
        .unwrap();
    let f1 = |builder: kore_gitops::platform::PlatformClient, bot| async move {
        let run = builder
            .run_suite(&bot, "smoke", "en", RunVersion::InDevelopment)
            .await
            .unwrap();
        builder.wait_for_run(&bot, "smoke", &run).await.unwrap().f1
    };
    let (_, mut files) = kore_gitops::desired::read_bot_folder(&helpdesk()).unwrap();
    let mut definition: Value = serde_json::from_slice(&files.definition).unwrap();
    definition["sentences"]
        .as_array_mut()
        .unwrap()
        .retain(|s| !(s["taskName"] == "Report Outage" && s["language"] == "en"));
    files.definition = serde_json::to_vec(&definition).unwrap();
    kore_gitops::reconcile::upload_and_import(&admin, &bot, &files, None)
        .await
        .unwrap();
    assert_eq!(
        f1(builder.clone(), bot.clone()).await,
        1.0,
        "not trained yet"
    );
    admin.train(&bot, "en").await.unwrap();
    let trained = f1(builder.clone(), bot.clone()).await;
    assert!(
        trained < 0.9,
        "trained without the outage utterances: {trained}"
    );
}
