//! Each environment's bot holds its own variable values; a secret provided by
//! file reaches the live bot, is absent from everything kore-gitops writes,
//! and a rotated one is imported exactly once.

use kore_gitops::status::Phase;

use super::world::{Accounts, PROD_URL, SECRET, STAGING_URL, report};
use crate::reconcile::world::counters;
use crate::support::git::git;
use crate::support::logs::capture;

pub const SETTINGS: &str = r#"languages = ["en"]
publish_comment = "Travel Desk from git"

[environments.staging]
platform = "dev"
bot_id = "{staging}"

[environments.prod]
platform = "prod"
bot_id = "{prod}"
"#;

/// The variable files of the two environments.
pub fn write_variables(accounts: &Accounts) {
    accounts.write(
        "variables.staging.toml",
        &format!("[values]\nAPI_BASE_URL = {STAGING_URL:?}\n"),
    );
    accounts.write(
        "variables.prod.toml",
        &format!(
            "[values]\nAPI_BASE_URL = {PROD_URL:?}\n\n[secrets]\nAPI_KEY = \"travel-api-key\"\n"
        ),
    );
}

#[tokio::test]
async fn each_bot_gets_its_values_and_a_secret_reaches_prod_only_through_the_daemon() {
    let accounts = Accounts::start(SETTINGS).await;
    write_variables(&accounts);
    accounts.commit_all("per-environment values; the prod API key is a secret");
    let (buffer, guard) = capture();

    let first = accounts.sync().await;
    for key in ["travel-desk/staging", "travel-desk/prod"] {
        let status = report(&first, key).status.as_ref().unwrap();
        assert_eq!(status.phase, Phase::Synced, "{key}: {status:?}");
    }
    let (staging, prod) = (accounts.staging().await, accounts.production().await);
    assert_eq!(staging["variables"]["API_BASE_URL"], STAGING_URL);
    assert_eq!(
        staging["variables"]["API_KEY"], "example-key-not-a-real-secret",
        "staging keeps the definition's value"
    );
    assert_eq!(prod["variables"]["API_BASE_URL"], PROD_URL);
    assert_eq!(
        prod["variables"]["API_KEY"], SECRET,
        "the secret reached the bot"
    );
    let before = (counters(&staging), counters(&prod));
    assert_eq!(before.1, (1, 1, 1), "prod: one import, training, publish");

    // The export gives the secured value back blank: no perpetual difference.
    let second = accounts.sync().await;
    let after = (
        counters(&accounts.staging().await),
        counters(&accounts.production().await),
    );
    assert_eq!(after, before, "an unchanged pass does nothing");
    assert_eq!(
        report(&second, "travel-desk/prod")
            .status
            .as_ref()
            .unwrap()
            .summary,
        "in sync"
    );

    // Rotating the file re-imports exactly once, on prod only.
    let rotated = "prod-api-key-rotated-77aa01";
    std::fs::write(accounts.secrets.join("travel-api-key"), rotated).unwrap();
    let third = accounts.sync().await;
    let fourth = accounts.sync().await;
    let prod = accounts.production().await;
    assert_eq!(prod["variables"]["API_KEY"], rotated);
    assert_eq!(counters(&prod).0, 2, "one more import for the rotation");
    assert_eq!(
        counters(&accounts.staging().await),
        before.0,
        "staging untouched"
    );
    drop(guard);

    let logs = buffer.text();
    let notes = accounts.all_notes();
    let history = git(&accounts.work, &["log", "-p", "--all"]);
    let reports = format!("{first:?}{second:?}{third:?}{fourth:?}");
    let state = read_tree(&accounts.root.path().join("state"));
    for (what, text) in [
        ("logs", &logs),
        ("notes", &notes),
        ("git history", &history),
        ("reports", &reports),
        ("state folder", &state),
    ] {
        for secret in [SECRET, rotated] {
            assert!(!text.contains(secret), "{what} hold the secret");
        }
    }
    assert!(notes.contains("[bots.\"travel-desk/prod\"]"), "{notes}");
}

/// Every regular file under `dir`, as lossy text (the mirror's objects are
/// compressed: a secret would be in the note blobs' text once inflated, which
/// `all_notes` covers).
fn read_tree(dir: &std::path::Path) -> String {
    let mut text = String::new();
    for entry in walk(dir) {
        text.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    text
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn a_variable_the_definition_lacks_is_refused_for_that_environment() {
    let accounts = Accounts::start(SETTINGS).await;
    accounts.write("variables.prod.toml", "[values]\nAPI_BASE_ULR = \"x\"\n");
    accounts.commit_all("a typo in a variable name");
    let reports = accounts.sync().await;
    let status = report(&reports, "travel-desk").status.as_ref().unwrap();
    assert_eq!(status.phase, Phase::Failed);
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("variables.prod.toml") && error.contains("API_BASE_ULR"),
        "{error}"
    );
    assert_eq!(counters(&accounts.production().await).0, 0);
}

#[tokio::test]
async fn status_and_metrics_name_each_environment_and_hold_no_secret() {
    use kore_gitops::observe::ObserveState;
    use kore_gitops::reconcile::Daemon;

    let accounts = Accounts::start(SETTINGS).await;
    write_variables(&accounts);
    accounts.commit_all("values and a secret");
    let config = accounts.load_config();
    let observe = ObserveState::for_config(&config, "test");
    let state = observe.0.clone();
    let daemon = Daemon::start_observed(config, false, Some(observe))
        .await
        .expect("daemon starts");
    daemon.refresh().await.expect("refresh");
    // A rotated secret goes through a second pass too.
    daemon.pass_all(&[]).await;
    std::fs::write(accounts.secrets.join("travel-api-key"), "rotated-7e0c55").unwrap();
    let reports = daemon.pass_all(&[]).await;
    let prod = report(&reports, "travel-desk/prod")
        .status
        .as_ref()
        .unwrap();
    assert_eq!(prod.summary, "secured variables changed: API_KEY");

    let status = serde_json::to_string(&state.reports()).unwrap();
    let metrics = state
        .metrics()
        .render(kore_gitops::observe::Format::Classic);
    assert!(status.contains("\"bot\":\"travel-desk/prod\""), "{status}");
    assert!(
        status.contains("\"bot\":\"travel-desk/staging\""),
        "{status}"
    );
    assert!(metrics.contains("bot=\"travel-desk/prod\""), "{metrics}");
    for (what, text) in [("/status", &status), ("/metrics", &metrics)] {
        for secret in [SECRET, "rotated-7e0c55"] {
            assert!(!text.contains(secret), "{what} holds the secret");
        }
    }
}

#[tokio::test]
async fn a_rotation_whose_publish_fails_is_not_imported_again() {
    let accounts = Accounts::start(SETTINGS).await;
    write_variables(&accounts);
    accounts.commit_all("values and a secret");
    accounts.sync().await;
    let before = counters(&accounts.production().await);
    std::fs::write(accounts.secrets.join("travel-api-key"), "rotated-91b2").unwrap();
    accounts
        .prod_control
        .control(
            "/job-failures",
            serde_json::json!({"kind": "publish", "count": 1}),
        )
        .await;
    let failed = accounts.sync().await;
    let status = report(&failed, "travel-desk/prod").status.as_ref().unwrap();
    assert_eq!(status.phase, Phase::Failed, "{status:?}");
    let resumed = accounts.sync().await;
    let status = report(&resumed, "travel-desk/prod")
        .status
        .as_ref()
        .unwrap();
    assert_eq!(status.phase, Phase::Synced, "{status:?}");
    let prod = accounts.production().await;
    assert_eq!(counters(&prod).0, before.0 + 1, "imported once, not again");
    assert_eq!(prod["variables"]["API_KEY"], "rotated-91b2");
}

#[tokio::test]
async fn a_resync_that_trusts_the_change_log_still_imports_a_rotated_secret_once() {
    use kore_gitops::reconcile::Daemon;

    let accounts = Accounts::start(SETTINGS).await;
    write_variables(&accounts);
    accounts.commit_all("values and a secret");
    let daemon = Daemon::start(accounts.load_config(), false)
        .await
        .expect("daemon starts");
    daemon.trust_change_log();
    daemon.refresh().await.expect("refresh");
    daemon.pass_all(&[]).await;
    daemon.pass_all(&[]).await;
    let before = counters(&accounts.production().await).0;
    std::fs::write(accounts.secrets.join("travel-api-key"), "rotated-c4d2").unwrap();
    let rotated = daemon.pass_all(&[]).await;
    let status = report(&rotated, "travel-desk/prod")
        .status
        .as_ref()
        .unwrap();
    assert_eq!(
        status.summary, "secured variables changed: API_KEY",
        "{status:?}"
    );
    daemon.pass_all(&[]).await;
    let prod = accounts.production().await;
    assert_eq!(counters(&prod).0, before + 1, "one import for the rotation");
    assert_eq!(prod["variables"]["API_KEY"], "rotated-c4d2");
}
