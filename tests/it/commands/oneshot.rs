//! `plan`, `sync` and `pull` as one-shot commands: errors exit 2 (plan),
//! `--bot` must match a bot, the daemon's own secrets are not needed, and each
//! bot's result is printed as its pass ends.

use std::time::Duration;

use serde_json::json;

use super::{command, kore_gitops, kore_gitops_with};
use crate::reconcile::world::{World, counters};

fn config(world: &World) -> &str {
    world.config.to_str().unwrap()
}

#[tokio::test]
async fn plan_exits_2_when_it_cannot_read_the_repository_branch_bots_or_state_folder() {
    let world = World::start().await;
    let not_a_folder = world.work.join("README-not-a-folder");
    std::fs::write(&not_a_folder, "a file where the state folder should be").unwrap();
    let missing = world.work.join("no-such-repository");
    let cases = [
        (
            "KORE_GITOPS_GIT_URL",
            missing.to_str().unwrap(),
            "no such repository",
        ),
        ("KORE_GITOPS_GIT_BRANCH", "no-such-branch", "no-such-branch"),
        (
            "KORE_GITOPS_GIT_BOTS_DIR",
            "no-such-folder",
            "no bots folder",
        ),
        (
            "KORE_GITOPS_DAEMON_STATE_DIR",
            not_a_folder.to_str().unwrap(),
            "cannot start",
        ),
    ];
    for (variable, value, message) in cases {
        let run = kore_gitops_with(
            &world.work,
            &["plan", "--config", config(&world)],
            &[(variable, value)],
        )
        .await;
        assert_eq!(run.code, 2, "{variable}={value}: {}", run.all());
        assert!(run.stderr.contains(message), "{variable}: {}", run.all());
    }
    let run = kore_gitops_with(
        &world.work,
        &["sync", "--config", config(&world)],
        &[("KORE_GITOPS_GIT_URL", missing.to_str().unwrap())],
    )
    .await;
    assert_eq!(run.code, 1, "sync: a failure of the work: {}", run.all());
    assert!(
        !run.stderr.contains("unsupported URL protocol"),
        "{}",
        run.all()
    );
}

#[tokio::test]
async fn a_bot_that_matches_nothing_is_an_error_naming_the_bots_that_exist() {
    let world = World::start().await;
    for command in ["plan", "sync"] {
        let run = kore_gitops(
            &world.work,
            &[command, "--config", config(&world), "--bot", "travel-dsek"],
        )
        .await;
        assert_eq!(run.code, 2, "{command}: {}", run.all());
        assert!(
            run.stderr.contains("--bot \"travel-dsek\"")
                && run.stderr.contains("it-helpdesk, travel-desk"),
            "{command}: {}",
            run.all()
        );
        assert_eq!(run.stdout, "", "{command}: no pass ran");
    }
    assert_eq!(counters(&world.bot("travel-desk").await), (0, 0, 0));
}

#[tokio::test]
async fn bot_accepts_the_live_bots_name() {
    let world = World::start().await;
    // travel-desk's bot.toml names its bot by id; the platform calls it "Travel Desk".
    let run = kore_gitops(
        &world.work,
        &["plan", "--config", config(&world), "--bot", "Travel Desk"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.stdout, "travel-desk: in sync\n", "{}", run.all());
}

#[tokio::test]
async fn one_shot_commands_do_not_need_the_daemons_secrets() {
    let world = World::start().await;
    let text = std::fs::read_to_string(&world.config).unwrap();
    let daemon_only = "trigger_token_env = \"UNSET_TRIGGER_TOKEN\"\n\
                       webhook_secret_env = \"UNSET_WEBHOOK_SECRET\"\n";
    let text: String = text
        .lines()
        .filter(|line| !line.starts_with("trigger_token_file"))
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        + daemon_only;
    std::fs::write(&world.config, text).unwrap();
    for args in [
        vec!["plan", "--config", config(&world)],
        vec!["sync", "--config", config(&world)],
    ] {
        let run = kore_gitops(&world.work, &args).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.all());
    }
    let into = world.work.join("pulled");
    let pull = kore_gitops(
        &world.work,
        &[
            "pull",
            "--config",
            config(&world),
            "--bot",
            "IT Helpdesk",
            "--into",
            into.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(pull.code, 0, "pull: {}", pull.all());
    let daemon = kore_gitops(&world.work, &["run", "--config", config(&world)]).await;
    assert_eq!(daemon.code, 64, "the daemon needs them: {}", daemon.all());
    assert!(
        daemon.stderr.contains("UNSET_TRIGGER_TOKEN")
            && daemon.stderr.contains("UNSET_WEBHOOK_SECRET"),
        "{}",
        daemon.all()
    );
}

#[tokio::test]
async fn sync_prints_each_bot_as_its_pass_ends() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "change one utterance", |d| {
        d["sentences"][0]["sentence"] = "printed as it ends".into();
    });
    world.fault("/jobs/mode", json!({"mode": "manual"})).await;
    let capture = tempfile::tempdir().unwrap();
    let out = capture.path().join("out");
    let mut child = command(&world.work, &["sync", "--config", config(&world)], &[])
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(capture.path().join("err")).unwrap())
        .spawn()
        .unwrap();
    // Exports finish, imports wait: it-helpdesk is done, travel-desk is not.
    let mut printed = String::new();
    for _ in 0..400 {
        world.fault("/jobs/step", json!({"kind": "export"})).await;
        printed = std::fs::read_to_string(&out).unwrap_or_default();
        if printed.contains("it-helpdesk\t") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(printed.starts_with("it-helpdesk\tSynced"), "{printed:?}");
    assert!(!printed.contains("travel-desk"), "{printed:?}");
    assert!(
        child.try_wait().unwrap().is_none(),
        "travel-desk still runs"
    );
    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("sync ends")
        .unwrap();
    let printed = std::fs::read_to_string(&out).unwrap();
    assert_eq!(status.code(), Some(0), "{printed}");
    assert!(printed.contains("travel-desk\tSynced"), "{printed}");
}
