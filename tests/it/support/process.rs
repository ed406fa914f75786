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
        let mut command = binary();
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

/// The binary, without the test process's own `KORE_GITOPS_*` variables
/// (such as the soak test's): kore-gitops refuses variables it does not know.
fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kore-gitops"));
    for (name, _) in std::env::vars() {
        if name.starts_with("KORE_GITOPS_") {
            command.env_remove(name);
        }
    }
    command
}

fn empty_credentials() -> Credentials {
    Credentials {
        base_url: String::new(),
        apps: Vec::new(),
        bots: Vec::new(),
    }
}

/// A running `kore-gitops run` daemon whose log goes to a file; killed with
/// SIGKILL when dropped or asked, as a crashing node would kill it.
pub struct DaemonProcess {
    child: std::process::Child,
    log: PathBuf,
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DaemonProcess {
    /// Starts `kore-gitops run --config config`, logging JSON at debug level
    /// into `log`.
    pub fn start(config: &Path, log: PathBuf) -> DaemonProcess {
        let child = binary()
            .arg("run")
            .arg("--config")
            .arg(config)
            .env("KORE_GITOPS_LOG", "debug")
            .env("KORE_GITOPS_LOG_FORMAT", "json")
            .env_remove("KORE_GITOPS_CONFIG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("the log file"))
            .spawn()
            .expect("the binary starts");
        DaemonProcess { child, log }
    }

    /// SIGKILL: no signal handler, no graceful stop, no flushing.
    pub fn kill(mut self) {
        self.child.kill().expect("the daemon was running");
        self.child.wait().expect("the daemon is reaped");
    }

    /// What the daemon has logged so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Sends `signal` (`TERM`, `INT`) as an operator or the kubelet would.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -{signal} {}", self.child.id()))
            .status()
            .expect("sh runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// The exit code once the process ends, or `None` if it still runs after
    /// `limit`.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

/// Runs the ignored test `name` of this test binary alone in a process of
/// its own and asserts it ran and passed: tracing caches per call site whether
/// anyone listens, so a log capture shared with concurrent tests can miss
/// events.
pub fn run_ignored_test_alone(name: &str) {
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            name,
            "--ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .output()
        .expect("test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the check ran: {stdout}");
}
