//! The real binary: `kore-gitops sim` writes its credentials and serves.

use std::process::{Command, Stdio};
use std::time::Duration;

use kore_gitops::sim::Credentials;

use crate::support::sim::{mint_token, unzip, write_synthetic_bot};

/// Kills the child process when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_token_export_status_download() {
    let dir = tempfile::tempdir().unwrap();
    let seed = write_synthetic_bot(dir.path(), "travel-desk");
    let credentials_file = dir.path().join("credentials.json");
    let config = dir.path().join("sim.toml");
    std::fs::write(&config, "job_mode = \"timed\"\njob_millis = 100\n").unwrap();
    let _child = Child(
        Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
            .args(["sim", "--listen", "127.0.0.1:0", "--seed"])
            .arg(&seed)
            .arg("--config")
            .arg(&config)
            .arg("--credentials-file")
            .arg(&credentials_file)
            .stdout(Stdio::null())
            .spawn()
            .expect("binary starts"),
    );
    let mut credentials = None;
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(&credentials_file) {
            credentials = serde_json::from_str::<Credentials>(&text).ok();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let credentials = credentials.expect("credentials file written");
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
