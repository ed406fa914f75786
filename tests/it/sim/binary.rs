//! The real binary: `kore-gitops sim` writes its credentials and serves.

use std::time::Duration;

use crate::support::process::SimProcess;
use crate::support::sim::{mint_token, unzip, write_synthetic_bot};

#[tokio::test]
async fn binary_serves_token_export_status_download() {
    let dir = tempfile::tempdir().unwrap();
    let seed = write_synthetic_bot(dir.path(), "travel-desk");
    let config = dir.path().join("sim.toml");
    std::fs::write(&config, "job_mode = \"timed\"\njob_millis = 100\n").unwrap();
    let sim = SimProcess::start(dir.path(), &[seed], Some(&config)).await;
    let credentials = &sim.credentials;
    let bot = &credentials.bot("travel-desk").id;
    let app = credentials.app("admin");
    let http = reqwest::Client::new();
    let base = format!("{}/api/public/bot/{bot}", credentials.base_url);
    let started = http
        .post(format!("{base}/export"))
        .header("auth", mint_token(app, false))
        .json(&serde_json::json!({"exportType": "latest"}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let mut url = None;
    for _ in 0..100 {
        let status: serde_json::Value = http
            .get(format!("{base}/export/status"))
            .header("auth", mint_token(app, false))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["status"] == "success" {
            url = status["downloadURL"].as_str().map(str::to_owned);
            break;
        }
        assert_eq!(status["status"], "pending");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let zip = http
        .get(url.expect("export finishes"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(unzip(&zip).len(), 3);
}
