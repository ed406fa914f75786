//! The real `kore-gitops` binary, run as a user would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use kore_gitops::sim::Credentials;

/// A running `kore-gitops sim` process, killed when dropped however the test
/// ends.
pub struct SimProcess {
    child: std::process::Child,
    /// What the simulator wrote to its `--credentials-file`.
    pub credentials: Credentials,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SimProcess {
    /// Starts `kore-gitops sim` on a free loopback port with the given seeds and
    /// optional simulator config, and waits for its credentials file.
    pub async fn start(dir: &Path, seeds: &[PathBuf], config: Option<&Path>) -> SimProcess {
        let credentials_file = dir.join("credentials.json");
        let mut command = Command::new(env!("CARGO_BIN_EXE_kore-gitops"));
        command.args(["sim", "--listen", "127.0.0.1:0", "--credentials-file"]);
        command.arg(&credentials_file);
        for seed in seeds {
            command.arg("--seed").arg(seed);
        }
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let child = command
            .stdout(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let mut process = SimProcess {
            child,
            credentials: empty_credentials(),
        };
        // The file may be seen half-written: retry until it parses.
        for _ in 0..400 {
            let text = std::fs::read_to_string(&credentials_file).unwrap_or_default();
            if let Ok(credentials) = serde_json::from_str::<Credentials>(&text) {
                process.credentials = credentials;
                return process;
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("kore-gitops sim exited early: {status}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("kore-gitops sim wrote no credentials within 10 s");
    }
}

fn empty_credentials() -> Credentials {
    Credentials {
        base_url: String::new(),
        apps: Vec::new(),
        bots: Vec::new(),
    }
}
