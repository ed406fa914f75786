//! The command line an operator points at the running daemon: `get`,
//! `reconcile BOT --wait` (returns after that bot's pass, its outcome as the
//! exit code), `suspend`/`resume` (an emergency pause without a commit,
//! recorded in the note and visible in `get`), and `version`.

use std::time::Duration;

use serde_json::Value;

use super::daemon::{Running, phase_of, start};
use super::world::{TRIGGER_TOKEN, World, count};

/// Runs the binary against the daemon without blocking the test's runtime
/// (which serves the daemon): (exit code, stdout, stderr).
async fn cli(daemon: &Running, args: &[&str], token: &str) -> (i32, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
        .args(args)
        .env("KORE_GITOPS_SERVER", &daemon.base)
        .env("KORE_GITOPS_TOKEN", token)
        .env_remove("KORE_GITOPS_CONFIG")
        .output()
        .await
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn both_synced(daemon: &Running) {
    daemon.until_both_synced().await;
}

#[tokio::test]
async fn reconcile_wait_returns_after_the_pass_with_its_outcome_as_exit_code() {
    let world = World::start().await;
    let daemon = start(&world).await;
    both_synced(&daemon).await;

    let args = ["reconcile", "travel-desk", "--wait", "--timeout", "20s"];
    let (code, out, err) = cli(&daemon, &args, TRIGGER_TOKEN).await;
    assert_eq!(code, 0, "{out}{err}");
    let request = out
        .split("(request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the request token is echoed");
    assert!(uuid::Uuid::parse_str(request).is_ok(), "{out}");
    assert!(out.contains("✔ travel-desk: Synced"), "{out}");

    // A designer's edit, reverted by the asked-for pass, whose import fails.
    world
        .edit_live("travel-desk", |d| {
            d["sentences"][0]["sentence"] = "edited in the UI".into();
        })
        .await;
    let body = serde_json::json!({"kind": "import", "count": 1, "message": "Import refused once"});
    world.fault("/job-failures", body).await;
    let (code, out, err) = cli(&daemon, &args, TRIGGER_TOKEN).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("✗ travel-desk: Failed"), "{out}");
    assert!(out.contains("Import refused once"), "{out}");

    let (code, _, err) = cli(&daemon, &args, "not-the-token").await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("401"), "{err}");
    let (code, _, err) = cli(&daemon, &["reconcile", "no-such-bot"], TRIGGER_TOKEN).await;
    assert_eq!(code, 2, "{err}");
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn suspend_pauses_a_bot_without_a_commit_until_resume() {
    let world = World::start().await;
    let daemon = start(&world).await;
    both_synced(&daemon).await;

    let (code, out, err) = cli(&daemon, &["suspend", "travel-desk"], TRIGGER_TOKEN).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "travel-desk suspended\n"),
        "{err}"
    );
    daemon
        .until_status("suspended", |s| {
            phase_of(s, "travel-desk") == Some("Suspended")
        })
        .await;
    // Notes are written in batches, shortly after the pass.
    let mut note = world.head_note();
    for _ in 0..100 {
        if note.contains("suspended by an operator") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        note = world.head_note();
    }
    assert!(note.contains("suspended by an operator"), "{note}");

    // A commit does not move a suspended bot.
    world.commit_definition("travel-desk", "a change while suspended", |d| {
        d["sentences"][0]["sentence"] = "held back by the pause".into();
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count(&world.bot("travel-desk").await, "imports"), 0);
    let (code, table, _) = cli(&daemon, &["get"], TRIGGER_TOKEN).await;
    assert_eq!(code, 0);
    let row = table
        .lines()
        .find(|l| l.starts_with("travel-desk"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        row.contains("Suspended") && row.contains("suspended by an operator"),
        "{row}"
    );
    assert!(table.starts_with("BOT "), "{table}");
    let (_, json, _) = cli(&daemon, &["get", "-o", "json"], TRIGGER_TOKEN).await;
    let json: Value = serde_json::from_str(&json).unwrap();
    let synced = json["bots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bot"] == "it-helpdesk")
        .unwrap();
    assert!(synced["last_synced"].is_string(), "{synced}");

    let (code, out, _) = cli(&daemon, &["resume", "travel-desk"], TRIGGER_TOKEN).await;
    assert_eq!((code, out.as_str()), (0, "travel-desk resumed\n"));
    daemon
        .until_status("resumed and synced", |s| {
            phase_of(s, "travel-desk") == Some("Synced")
        })
        .await;
    assert_eq!(count(&world.bot("travel-desk").await, "imports"), 1);
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}

#[tokio::test]
async fn a_suspension_survives_a_restart() {
    let world = World::start().await;
    let daemon = start(&world).await;
    both_synced(&daemon).await;
    let (code, _, err) = cli(&daemon, &["suspend", "it-helpdesk"], TRIGGER_TOKEN).await;
    assert_eq!(code, 0, "{err}");
    daemon
        .until_status("suspended", |s| {
            phase_of(s, "it-helpdesk") == Some("Suspended")
        })
        .await;
    daemon.stop.notify_one();
    daemon.done.await.unwrap();

    let restarted = start(&world).await;
    restarted
        .until_status("still suspended", |s| {
            phase_of(s, "it-helpdesk") == Some("Suspended")
                && phase_of(s, "travel-desk") == Some("Synced")
        })
        .await;
    restarted.stop.notify_one();
    restarted.done.await.unwrap();
}

#[test]
fn version_prints_the_version() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
        .arg("version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text, format!("kore-gitops {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn completions_cover_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        for command in [
            "reconcile",
            "suspend",
            "resume",
            "get",
            "plan",
            "completions",
        ] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
}

#[tokio::test]
async fn a_one_shot_sync_or_plan_honours_the_operators_pause() {
    let world = World::start().await;
    let state_dir = world.load_config().daemon.state_dir;
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(state_dir.join("suspended"), "travel-desk\n").unwrap();
    world.commit_definition("travel-desk", "a change during a pause", |d| {
        d["sentences"][0]["sentence"] = "not applied by a one-shot sync".into();
    });
    let config = world.config.to_str().unwrap().to_owned();
    for command in ["plan", "sync"] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
            .args([command, "--config", &config])
            .env_remove("KORE_GITOPS_CONFIG")
            .output()
            .await
            .unwrap();
        let out = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{command}: {out}");
        assert!(out.contains("suspended"), "{command}: {out}");
    }
    assert_eq!(count(&world.bot("travel-desk").await, "imports"), 0);
}
