//! `kore-gitops demo`, run as a user would: start it, read its guide, follow
//! the printed instructions with the git command line, and see the note.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long any step of the demo may take before the test fails with its output.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// prod is woken by staging's Synced pass (not its 30 s recheck); its own apply
/// takes a few seconds.
const PROMOTION_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `kore-gitops demo` and everything it printed so far.
struct Demo {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: PathBuf,
}

impl Demo {
    /// Starts the binary with `home` as a fresh home: no git identity, no
    /// user configuration, as on a new machine.
    fn start(dir: &Path, home: &Path) -> Demo {
        let stderr = home.join("demo.log");
        let mut child = with_fresh_home(Command::new(env!("CARGO_BIN_EXE_kore-gitops")), home)
            .args(["demo", "--dir"])
            .arg(dir)
            .env_remove("KORE_GITOPS_CONFIG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary runs");
        let stdout = Arc::new(Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let sink = stdout.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Demo {
            child,
            stdout,
            stderr,
        }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn everything(&self) -> String {
        let log = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        format!("{}\n--- stderr ---\n{log}", self.stdout())
    }

    /// Waits until standard output contains `text`.
    async fn wait_for(&self, text: &str) {
        self.wait_longer_for(text, STEP_TIMEOUT).await;
    }

    /// Waits up to `timeout` until standard output contains `text`.
    async fn wait_longer_for(&self, text: &str, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.stdout().contains(text) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {text:?} within {timeout:?}:\n{}",
                self.everything()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The printed line that starts (once trimmed) with `start`.
    fn line_starting(&self, start: &str) -> String {
        let stdout = self.stdout();
        let line = stdout.lines().map(str::trim).find(|l| l.starts_with(start));
        line.unwrap_or_else(|| panic!("no line starting {start:?}:\n{stdout}"))
            .to_owned()
    }
}

/// `command` with `home` as its home and no system git configuration.
fn with_fresh_home(mut command: Command, home: &Path) -> Command {
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_CONFIG_GLOBAL")
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL");
    command
}

/// Runs a printed command line as the user would paste it into bash.
async fn paste(line: &str, home: &Path) -> String {
    let out = with_fresh_home(Command::new("bash"), home)
        .args(["-euo", "pipefail", "-c", line])
        .output()
        .await
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{line}\nfailed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn following_the_demo_s_instructions_imports_trains_publishes_and_writes_a_note() {
    let root = tempfile::tempdir().unwrap();
    let (dir, home) = (root.path().join("demo"), root.path().join("home"));
    std::fs::create_dir(&home).unwrap();
    let mut demo = Demo::start(&dir, &home);

    demo.wait_for("Waiting for a push").await;
    let first = demo.stdout();
    assert!(
        first.contains(&format!("Scratch directory {}", dir.display())),
        "{first}"
    );
    assert!(first.contains("\nFirst sync, commit "), "{first}");
    for bot in ["travel-desk/staging", "travel-desk/prod", "it-helpdesk"] {
        let synced = format!("{bot:<20} Synced     in step with the commit: nothing to do");
        assert!(first.contains(&synced), "first sync of {bot}:\n{first}");
    }
    let status_url = demo.line_starting("http://127.0.0.1:");
    assert!(status_url.ends_with("/status"), "{first}");
    assert!(
        first.contains(&status_url.replace("/status", "/metrics")),
        "{first}"
    );

    let change = demo.line_starting("cd ");
    let clone = dir.join("clone");
    assert!(
        change.starts_with(&format!("cd {} && sed -i ", clone.display())),
        "{change}"
    );
    assert!(change.contains(" && git commit -am ") && change.ends_with(" && git push"));
    paste(&change, &home).await;
    let head = paste(&format!("git -C {} rev-parse HEAD", clone.display()), &home).await;
    let short = &head.trim()[..12];

    demo.wait_for(&format!(
        "Read the note kore-gitops wrote on commit {short}"
    ))
    .await;
    let after = demo.stdout();
    assert!(
        after.contains(&format!("\nNew commit {short}:\n")),
        "{after}"
    );
    let applied =
        |bot: &str| format!("{bot:<20} Synced     imported, trained (en) and published: ");
    assert!(after.contains(&applied("travel-desk/staging")), "{after}");

    // prod follows staging: it reaches the commit once staging is Synced
    // there (staging's Synced pass wakes it), and the guide says so.
    let promoted = format!(
        "Promotion: travel-desk/prod followed travel-desk/staging, moving to commit {short} only \
         once travel-desk/staging was Synced there."
    );
    demo.wait_longer_for(&promoted, PROMOTION_TIMEOUT).await;
    let after = demo.stdout();
    let new_commit = after.find(&format!("\nNew commit {short}:\n")).unwrap();
    let staging = after.find(&applied("travel-desk/staging")).unwrap();
    let prod = after.find(&applied("travel-desk/prod"));
    let prod = prod.unwrap_or_else(|| panic!("prod applied the commit:\n{after}"));
    assert!(
        new_commit < staging && staging < prod,
        "staging first:\n{after}"
    );
    assert!(
        !after[new_commit + 1..prod].contains("\nNew commit ")
            && !after[new_commit..].contains("\nFirst sync"),
        "both on commit {short}:\n{after}"
    );

    let fetch_and_show = demo.line_starting(&format!("git -C {} fetch", clone.display()));
    let status = paste(&fetch_and_show, &home).await;
    assert!(
        status.starts_with(&format!("commit {}", head.trim())),
        "{status}"
    );
    for target in ["travel-desk/staging", "travel-desk/prod"] {
        let synced = |l: &str| l.split_whitespace().take(2).eq([target, "Synced"]);
        assert!(status.lines().any(synced), "{status}");
    }
    let note = paste(
        &demo.line_starting(&format!("git -C {} notes", clone.display())),
        &home,
    )
    .await;
    assert!(
        note.contains("import = \"bir-"),
        "the note names the import job:\n{note}"
    );

    let live = reqwest::get(&status_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        live.contains(head.trim()),
        "/status shows the new commit: {live}"
    );

    stop_with_sigint(&mut demo).await;
    let everything = demo.everything();
    assert!(everything.contains("Demo stopped."), "{everything}");
    let secret = std::fs::read_to_string(dir.join("client-secret")).unwrap();
    assert!(secret.len() > 10, "the secret file holds the client secret");
    for hidden in [secret.trim(), "example-key-not-a-real-secret"] {
        assert!(!everything.contains(hidden), "a secret was printed");
    }
}

/// Ctrl-C: the demo must stop gracefully, exit 0, and do it quickly.
async fn stop_with_sigint(demo: &mut Demo) {
    let pid = demo.child.id().expect("still running").to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().await;
    assert!(killed.unwrap().success());
    let exit = tokio::time::timeout(STEP_TIMEOUT, demo.child.wait()).await;
    let exit =
        exit.unwrap_or_else(|_| panic!("still running after SIGINT:\n{}", demo.everything()));
    assert_eq!(exit.unwrap().code(), Some(0), "{}", demo.everything());
    // The reader may still hold the last lines: give it a moment to drain.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_directory_that_is_not_empty_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let run = super::kore_gitops(dir.path(), &["demo", "--dir", "."]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("is not empty"), "{}", run.all());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written"
    );
}
