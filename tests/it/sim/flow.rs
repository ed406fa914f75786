//! The happy paths and documented refusals of every platform endpoint.

use kore_gitops::sim::SimConfig;
use serde_json::{Value, json};

use crate::support::sim::{
    Client, mint_token, start_sim, start_sim_with, write_synthetic_bot, zip_json,
};

#[tokio::test]
async fn get_bots_pages_by_page_number() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig {
        extra_bots: 119,
        ..SimConfig::instant()
    };
    let sim = start_sim_with(&[write_synthetic_bot(dir.path(), "travel")], config).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let page: Value = client
        .get(admin, "/bots?offset=2&limit=50")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 120);
    assert_eq!(page["availableMore"], false);
    assert_eq!(page["bots"].as_array().unwrap().len(), 20);
    let first: Value = client
        .get(admin, "/bots?offset=0&limit=50")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["availableMore"], true);
    let bot = &first["bots"][0];
    assert_eq!(bot["_id"], sim.credentials.bot("travel").id);
    assert_eq!(
        bot["name"], "travel bot",
        "the platform name comes from config.json"
    );
    assert_eq!(bot["jwtApps"][0]["clientSecret"], admin.client_secret);
    assert_eq!(
        client.get(admin, "/bots?offset=0&limit=51").await.status(),
        400
    );
}

#[tokio::test]
async fn import_train_publish_round_trip_under_both_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    let mut definition = zip_json(
        &client.export(admin, &bot, "latest").await,
        "botDefinition.json",
    );
    definition["dialogs"][0]["lname"] = "renamed dialog".into();
    let definition_id = client
        .upload(admin, definition.to_string().into_bytes(), "json")
        .await;
    let config_id = client
        .upload(
            admin,
            br#"{"name":"travel bot","envVariables":[]}"#.to_vec(),
            "json",
        )
        .await;
    let body = json!({"botDefinition": definition_id, "configInfo": config_id});
    let started: Value = client
        .post(admin, &format!("/bot/{bot}/import"), body)
        .await
        .json()
        .await
        .unwrap();
    assert!(started["_id"].as_str().unwrap().starts_with("bir-"));
    assert_eq!(started["requestType"], "Botimport");
    // The status under the other prefix.
    let url = format!(
        "{}/api/1.1/public/bot/import/status/{}",
        sim.base_url,
        started["_id"].as_str().unwrap()
    );
    let status: Value = client
        .http
        .get(url)
        .header("auth", mint_token(admin, true))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "success");
    assert!(
        status["statusLogs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["taskType"] == "Utterences")
    );
    let state = client.inspect(&format!("/bots/{bot}")).await;
    assert_ne!(
        state["dev_digest"], state["published_digest"],
        "import changes only the dev copy"
    );
    assert_eq!(state["imports"], 1);

    let trained: Value = client
        .post(admin, &format!("/bot/{bot}/ml/train"), json!(null))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trained[0]["message"], "Training Queued.");
    assert_eq!(trained[0]["Training_ID"].as_str().unwrap().len(), 24);
    let training: Value = client
        .get(
            admin,
            &format!("/bot/{bot}/ml/train/status?language=en&state=configured"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(training["trainingStatus"], "Finished");
    assert_eq!(training["isMlInSyncWithSentences"], true);

    let path = format!("/bot/{bot}/publish");
    assert_eq!(
        client.post(admin, &path, json!({})).await.status(),
        400,
        "versionComment is required"
    );
    let published: Value = client
        .post(admin, &path, json!({"versionComment": "v2"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published[0]["status"], "SUCCESS");
    assert_eq!(published[0]["result"]["state"], "published");
    let status: Value = client
        .get(admin, &format!("/bot/{bot}/publish/status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (status["status"].as_str(), status["jobType"].as_str()),
        (Some("successful"), Some("PUBLISH_BOT"))
    );
    let state = client.inspect(&format!("/bots/{bot}")).await;
    assert_eq!(state["dev_digest"], state["published_digest"]);
    assert_eq!(
        (
            state["publishes"].as_u64(),
            state["last_version_comment"].as_str()
        ),
        (Some(1), Some("v2"))
    );
    let exported = zip_json(
        &client.export(admin, &bot, "published").await,
        "botDefinition.json",
    );
    assert!(
        exported["dialogs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["lname"] == "renamed dialog")
    );
}

#[tokio::test]
async fn import_refuses_bad_file_ids_and_fails_on_malformed_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    let path = format!("/bot/{bot}/import");
    let config_id = client.upload(admin, b"{}".to_vec(), "json").await;
    let bad = client
        .post(
            admin,
            &path,
            json!({"botDefinition": "0123456789abcdef01234567", "configInfo": config_id}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["errors"][0]["msg"], "Invalid file id");
    let broken = client
        .upload(admin, b"{\"dialogs\": [".to_vec(), "json")
        .await;
    let started: Value = client
        .post(
            admin,
            &path,
            json!({"botDefinition": broken, "configInfo": config_id}),
        )
        .await
        .json()
        .await
        .unwrap();
    let status: Value = client
        .get(
            admin,
            &format!("/bot/import/status/{}", started["_id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "failed");
    assert_eq!(status["statusLogs"][0]["status"], "failed");
    assert!(
        status["statusLogs"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    let state = client.inspect(&format!("/bots/{bot}")).await;
    assert_eq!(
        state["dev_digest"], state["published_digest"],
        "a failed import changes nothing"
    );
}

#[tokio::test]
async fn conflicting_jobs_and_channels_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // One job per bot and kind here; the default (one per bot) is tested below.
    let config = kore_gitops::sim::SimConfig {
        exclusive_jobs: false,
        ..kore_gitops::sim::SimConfig::instant()
    };
    let seeds = [write_synthetic_bot(dir.path(), "travel")];
    let sim = crate::support::sim::start_sim_with(&seeds, config).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    client
        .control("/jobs/mode", json!({"mode": "manual"}))
        .await;
    let publish = format!("/bot/{bot}/publish");
    assert_eq!(
        client
            .post(admin, &publish, json!({"versionComment": "a"}))
            .await
            .status(),
        200
    );
    let status: Value = client
        .get(admin, &format!("{publish}/status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "inprogress");
    assert_eq!(
        client
            .post(admin, &publish, json!({"versionComment": "b"}))
            .await
            .status(),
        409
    );
    let export = format!("/bot/{bot}/export");
    assert_eq!(
        client
            .post(admin, &export, json!({"exportType": "latest"}))
            .await
            .status(),
        200
    );
    let status: Value = client
        .get(admin, &format!("{export}/status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "pending");
    assert_eq!(
        client
            .post(admin, &export, json!({"exportType": "latest"}))
            .await
            .status(),
        409
    );
    let file = client.upload(admin, b"{}".to_vec(), "json").await;
    let import = format!("/bot/{bot}/import");
    let body = json!({"botDefinition": file, "configInfo": file});
    assert_eq!(
        client.post(admin, &import, body.clone()).await.status(),
        200
    );
    assert_eq!(client.post(admin, &import, body).await.status(), 409);
    let stepped: Value = client
        .control("/jobs/step", json!({"kind": "export"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stepped["finished"], 1);
    let stepped: Value = client
        .control("/jobs/step", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stepped["finished"], 2);
    client
        .control(&format!("/bots/{bot}/channels"), json!({"enabled": false}))
        .await;
    let refused = client
        .post(admin, &publish, json!({"versionComment": "c"}))
        .await;
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn approval_mode_holds_the_published_copy_until_approved() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    let mut edited: Value = client
        .inspect(&format!("/bots/{bot}/definition?copy=dev"))
        .await;
    edited["name"] = "edited in the UI".into();
    let url = format!("{}/_sim/bots/{bot}/definition", sim.base_url);
    assert_eq!(
        client
            .http
            .put(url)
            .json(&edited)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    client.control("/approval", json!({"enabled": true})).await;
    let published: Value = client
        .post(
            admin,
            &format!("/bot/{bot}/publish"),
            json!({"versionComment": "v"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published[0]["result"]["state"], "awaitingApproval");
    let state = client.inspect(&format!("/bots/{bot}")).await;
    assert_eq!(state["publish_state"], "awaitingApproval");
    assert_ne!(state["dev_digest"], state["published_digest"]);
    client
        .control(&format!("/bots/{bot}/approve"), json!({}))
        .await;
    let state = client.inspect(&format!("/bots/{bot}")).await;
    assert_eq!(state["publish_state"], "published");
    assert_eq!(state["dev_digest"], state["published_digest"]);
    let copy = client
        .inspect(&format!("/bots/{bot}/definition?copy=published"))
        .await;
    assert_eq!(copy["name"], "edited in the UI");
}

#[tokio::test]
async fn uploads_are_validated_and_file_ids_expire() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig {
        file_ttl_secs: 1,
        ..SimConfig::instant()
    };
    let sim = start_sim_with(&[write_synthetic_bot(dir.path(), "travel")], config).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let url = format!("{}/api/public/uploadfile", sim.base_url);
    for (context, extension) in [("other", "json"), ("bulkImport", "exe")] {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"{}".to_vec()).file_name("x"),
            )
            .text("fileContext", context)
            .text("fileExtension", extension);
        let response = client
            .http
            .post(&url)
            .header("auth", mint_token(admin, true))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{context} {extension}");
    }
    let file = client.upload(admin, b"{}".to_vec(), "json").await;
    assert_eq!(file.len(), 24);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let bot = &sim.credentials.bot("travel").id;
    let body = json!({"botDefinition": file, "configInfo": file});
    let refused = client
        .post(admin, &format!("/bot/{bot}/import"), body)
        .await;
    assert_eq!(refused.status(), 400, "expired file id");
}

#[tokio::test]
async fn timed_jobs_are_pending_then_finish_and_training_is_per_language() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig {
        job_mode: kore_gitops::sim::JobMode::Timed,
        job_millis: 150,
        ..SimConfig::default()
    };
    let sim = start_sim_with(&[write_synthetic_bot(dir.path(), "travel")], config).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    client
        .post(admin, &format!("/bot/{bot}/ml/train"), json!(null))
        .await;
    let status = format!("/bot/{bot}/ml/train/status?language=en");
    let training: Value = client.get(admin, &status).await.json().await.unwrap();
    assert_eq!(training["trainingStatus"], "Inprogress");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let training: Value = client.get(admin, &status).await.json().await.unwrap();
    assert_eq!(training["trainingStatus"], "Finished");
    let url = format!("{}/api/public/bot/{bot}/ml/train", sim.base_url);
    let spanish = client
        .http
        .post(url)
        .header("auth", mint_token(admin, true))
        .header("bot-language", "es")
        .send()
        .await
        .unwrap();
    assert_eq!(spanish.status(), 400, "the bot has no Spanish");
}

#[tokio::test]
async fn one_job_per_bot_at_a_time_whoever_started_it() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    client
        .control("/jobs/mode", json!({"mode": "manual"}))
        .await;
    // Another client's training holds the bot.
    let started: Value = client
        .control(&format!("/bots/{bot}/jobs"), json!({"kind": "train"}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        started["id"].as_str().unwrap().starts_with("tr-"),
        "{started}"
    );
    for (path, body) in [
        (
            format!("/bot/{bot}/export"),
            json!({"exportType": "latest"}),
        ),
        (
            format!("/bot/{bot}/publish"),
            json!({"versionComment": "x"}),
        ),
        (format!("/bot/{bot}/ml/train"), json!({})),
    ] {
        let refused = client.post(admin, &path, body).await;
        assert_eq!(refused.status(), 409, "{path}");
        let envelope: Value = refused.json().await.unwrap();
        assert_eq!(
            envelope["errors"][0]["msg"], "A train of this bot is already in progress",
            "{path}"
        );
        assert_eq!(envelope["errors"][0]["code"], 409);
    }
    client.control("/jobs/step", json!({})).await;
    let path = format!("/bot/{bot}/export");
    let accepted = client
        .post(admin, &path, json!({"exportType": "latest"}))
        .await;
    assert_eq!(accepted.status(), 200, "free again once the job ended");
}
