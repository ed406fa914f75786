//! The control API: scripted faults, inspection, reset; and that the
//! request log never holds a secret.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::sim::{Client, mint_token, start_sim, unzip, write_synthetic_bot};

#[tokio::test]
async fn status_faults_latency_and_drops() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    client
        .control(
            "/faults",
            json!({"endpoint": "bots", "status": 503, "count": 2, "retry_after": 3}),
        )
        .await;
    for _ in 0..2 {
        let response = client.get(admin, "/bots").await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], 503);
    }
    assert_eq!(client.get(admin, "/bots").await.status(), 200);
    client
        .control("/faults", json!({"endpoint": "bots", "status": 429}))
        .await;
    let body: Value = client.get(admin, "/bots").await.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["msg"],
        "Rate limit for this API has been reached. Please try again after some time."
    );

    client
        .control(
            "/latency",
            json!({"endpoint": "bots", "millis": 300, "count": 1}),
        )
        .await;
    let started = Instant::now();
    assert_eq!(client.get(admin, "/bots").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    client
        .control("/drop", json!({"endpoint": "bots", "count": 1}))
        .await;
    let url = format!("{}/api/public/bots", sim.base_url);
    let dropped = client
        .http
        .get(&url)
        .header("auth", mint_token(admin, true))
        .send()
        .await;
    assert!(dropped.is_err(), "the connection closes without a response");
    assert_eq!(client.get(admin, "/bots").await.status(), 200);
    let stats = client.inspect("/stats").await;
    assert_eq!(stats["dropped"], 1);
    assert_eq!(stats["rate_limited"], 1);
    assert_eq!(stats["per_endpoint"]["bots"], 7);
}

#[tokio::test]
async fn job_failures_end_each_kind_of_job_failed() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    for kind in ["export", "import", "train", "publish"] {
        client
            .control(
                "/job-failures",
                json!({"kind": kind, "message": format!("{kind} broke")}),
            )
            .await;
    }
    client
        .post(
            admin,
            &format!("/bot/{bot}/export"),
            json!({"exportType": "latest"}),
        )
        .await;
    let status: Value = client
        .get(admin, &format!("/bot/{bot}/export/status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            status["status"].as_str(),
            status["errors"][0]["msg"].as_str()
        ),
        (Some("failed"), Some("export broke"))
    );
    let file = client.upload(admin, b"{}".to_vec(), "json").await;
    let started: Value = client
        .post(
            admin,
            &format!("/bot/{bot}/import"),
            json!({"botDefinition": file, "configInfo": file}),
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
    assert_eq!(status["statusLogs"][0]["message"], "import broke");
    client
        .post(admin, &format!("/bot/{bot}/ml/train"), json!(null))
        .await;
    let status: Value = client
        .get(admin, &format!("/bot/{bot}/ml/train/status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["trainingStatus"], "Failed");
    client
        .post(
            admin,
            &format!("/bot/{bot}/publish"),
            json!({"versionComment": "v"}),
        )
        .await;
    let status: Value = client
        .get(admin, &format!("/bot/{bot}/publish/status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "failed");
    let state = client.inspect(&format!("/bots/{bot}")).await;
    assert_eq!(state["dev_digest"], state["published_digest"]);
}

async fn export_url(client: &Client, app: &kore_gitops::sim::AppCredential, bot: &str) -> String {
    client
        .post(
            app,
            &format!("/bot/{bot}/export"),
            json!({"exportType": "latest"}),
        )
        .await;
    let status: Value = client
        .get(app, &format!("/bot/{bot}/export/status"))
        .await
        .json()
        .await
        .unwrap();
    status["downloadURL"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn downloads_can_be_spoiled_expired_and_forged() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    let url = export_url(&client, admin, &bot).await;
    let full = client
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(unzip(&full).len(), 3);
    client
        .control("/download-fault", json!({"mode": "truncate", "count": 1}))
        .await;
    let truncated = client
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        truncated.len() < full.len()
            && zip::ZipArchive::new(std::io::Cursor::new(truncated)).is_err()
    );
    client
        .control("/download-fault", json!({"mode": "corrupt"}))
        .await;
    let corrupt = client
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(corrupt.len(), full.len());
    assert_ne!(corrupt, full);
    let forged = url.replace("sig=", "sig=00");
    assert_eq!(client.http.get(&forged).send().await.unwrap().status(), 403);
    client.control("/expire-links", json!({})).await;
    let expired = client.http.get(&url).send().await.unwrap();
    assert_eq!(expired.status(), 410);
    let body: Value = expired.json().await.unwrap();
    assert!(
        body["errors"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    let fresh = export_url(&client, admin, &bot).await;
    assert_eq!(client.http.get(&fresh).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn download_links_expire_after_their_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let config = kore_gitops::sim::SimConfig {
        link_ttl_secs: 1,
        ..kore_gitops::sim::SimConfig::instant()
    };
    let sim =
        crate::support::sim::start_sim_with(&[write_synthetic_bot(dir.path(), "travel")], config)
            .await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let url = export_url(&client, admin, &sim.credentials.bot("travel").id).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(client.http.get(&url).send().await.unwrap().status(), 410);
    // The expired export's archive is not kept: the next export is all the
    // simulator holds.
    let fresh = export_url(&client, admin, &sim.credentials.bot("travel").id).await;
    assert_eq!(client.inspect("/stats").await["export_files"], 1);
    assert_eq!(client.http.get(&fresh).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn request_log_and_stats_hold_no_secrets_and_reset_clears_them() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bot = sim.credentials.bot("travel").id.clone();
    let token = mint_token(admin, false);
    let url = format!("{}/api/public/bots", sim.base_url);
    client
        .http
        .get(&url)
        .header("auth", &token)
        .send()
        .await
        .unwrap();
    client.export(admin, &bot, "latest").await;
    client.upload(admin, b"{}".to_vec(), "json").await;
    let log = client.inspect("/requests").await;
    let stats = client.inspect("/stats").await;
    let text = format!("{log}{stats}");
    for app in &sim.credentials.apps {
        assert!(
            !text.contains(&app.client_secret),
            "secret of {} leaked",
            app.name
        );
    }
    assert!(!text.contains(&token) && !text.contains("sim-variable-value-7f3a"));
    let entries = log.as_array().unwrap();
    assert_eq!(entries[0]["endpoint"], "bots");
    assert_eq!(entries[0]["app"], "admin");
    assert_eq!(entries[1]["bot"], bot.as_str());
    assert!(
        entries
            .iter()
            .any(|e| e["endpoint"] == "download" && e["status"] == 200)
    );
    assert!(!format!("{:?}", sim.credentials).contains(&admin.client_secret));

    client.control("/reset", json!({})).await;
    assert_eq!(client.inspect("/requests").await, json!([]));
    assert_eq!(client.inspect(&format!("/bots/{bot}")).await["exports"], 0);
}

#[tokio::test]
async fn the_request_log_keeps_the_latest_calls_and_the_counts_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    let config = kore_gitops::sim::SimConfig {
        request_log_entries: 5,
        ..kore_gitops::sim::SimConfig::instant()
    };
    let sim =
        crate::support::sim::start_sim_with(&[write_synthetic_bot(dir.path(), "travel")], config)
            .await;
    let client = Client::new(&sim);
    let token = mint_token(sim.credentials.app("admin"), false);
    let url = format!("{}/api/public/bots", sim.base_url);
    for _ in 0..8 {
        let sent = client.http.get(&url).header("auth", &token).send().await;
        assert_eq!(sent.unwrap().status(), 200);
    }
    let log = client.inspect("/requests").await;
    let seqs: Vec<u64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        [4, 5, 6, 7, 8],
        "the log holds the latest five, oldest first"
    );
    let stats = client.inspect("/stats").await;
    assert_eq!(stats["requests"], 8);
    assert_eq!(stats["per_endpoint"]["bots"], 8);
    assert_eq!(stats["per_status"]["200"], 8);
}
