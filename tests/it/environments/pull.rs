//! `pull --env`: an environment's bot exported into the shared folder
//! without its own values or any secret, and `plan` per environment.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::secrets::{SETTINGS, write_variables};
use super::world::{Accounts, STAGING, STAGING_URL};
use crate::commands::{Run, kore_gitops};
use crate::support::git::git;

#[tokio::test]
async fn pull_env_keeps_the_definitions_values_and_writes_no_secret() {
    let accounts = Accounts::start(SETTINGS).await;
    write_variables(&accounts);
    accounts.commit_all("values");
    accounts.sync().await;
    let folder = accounts.work.join("bots/travel-desk");
    let before = fs::read(folder.join("config.json")).unwrap();
    let run = pull_staging(&accounts, &folder).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("API_KEY is secured"), "{}", run.stdout);
    assert!(
        !run.all().contains("example-key-not-a-real-secret"),
        "{}",
        run.all()
    );
    let after: Value =
        serde_json::from_slice(&fs::read(folder.join("config.json")).unwrap()).unwrap();
    let before: Value = serde_json::from_slice(&before).unwrap();
    let value = |config: &Value, key: &str| {
        config["envVariables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .unwrap()["value"]
            .clone()
    };
    assert_ne!(
        value(&after, "API_BASE_URL"),
        STAGING_URL,
        "staging's value stays in its file"
    );
    assert_eq!(
        value(&after, "API_BASE_URL"),
        value(&before, "API_BASE_URL")
    );
    assert_eq!(
        value(&after, "API_KEY"),
        value(&before, "API_KEY"),
        "the commit's value is kept"
    );

    // The live bot holds what the folder says: the pull changed no byte,
    // although the export regenerated ids, dates and order.
    let diff = git(&accounts.work, &["status", "--porcelain"]);
    assert_eq!(
        diff.trim(),
        "",
        "a pull after no designer edit changes nothing"
    );
    assert!(!run.stdout.contains("botDefinition.json"), "{}", run.stdout);

    // A folder's name selects each of its environments.
    let config = accounts.config.to_str().unwrap();
    let args = [
        "sync",
        "--config",
        config,
        "--bot",
        "travel-desk",
        "--dry-run",
    ];
    let sync = kore_gitops(&accounts.work, &args).await;
    assert!(
        sync.stdout.contains("travel-desk/staging\tSynced"),
        "{}",
        sync.all()
    );
    assert!(
        sync.stdout.contains("travel-desk/prod\tSynced"),
        "{}",
        sync.all()
    );

    // `plan` names each environment.
    let plan = kore_gitops(&accounts.work, &["plan", "--config", config]).await;
    assert!(
        plan.stdout.contains("travel-desk/staging: in sync"),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout.contains("travel-desk/prod: in sync"),
        "{}",
        plan.all()
    );

    // `status --json` names each section's folder and environment beside its key.
    accounts.all_notes();
    let status = kore_gitops(&accounts.work, &["status", "--json"]).await;
    assert_eq!(status.code, 0, "{}", status.all());
    let note: Value = serde_json::from_str(&status.stdout).unwrap();
    for env in ["staging", "prod"] {
        let section = &note["bots"][format!("travel-desk/{env}")];
        assert_eq!(section["folder"], "travel-desk", "{note:#}");
        assert_eq!(section["environment"], env, "{note:#}");
    }
}

/// `git diff --numstat` of the clone's working tree: `(added, removed, file)`.
pub fn numstat(work: &Path) -> Vec<(u32, u32, String)> {
    git(work, &["diff", "--numstat"])
        .lines()
        .map(|line| {
            let mut fields = line.split('\t');
            let mut count = || fields.next().unwrap().parse::<u32>().unwrap_or(u32::MAX);
            let (added, removed) = (count(), count());
            (added, removed, fields.next().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_pull_after_one_designer_edit_changes_only_that_line() {
    let accounts = Accounts::start(SETTINGS).await;
    write_variables(&accounts);
    accounts.commit_all("values");
    accounts.sync().await;
    let staging = accounts.dev.credentials.bot(STAGING).id.clone();
    accounts
        .dev_control
        .edit_definition(&staging, |definition| {
            let sentences = definition["sentences"].as_array_mut().unwrap();
            let utterance = sentences
                .iter_mut()
                .find(|s| s["sentence"] == "book a flight")
                .unwrap();
            utterance["sentence"] = "book a flight for me".into();
        })
        .await;
    let folder = accounts.work.join("bots/travel-desk");
    let run = pull_staging(&accounts, &folder).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stdout.contains("written whole"), "{}", run.stdout);
    let diff = git(&accounts.work, &["diff"]);
    assert_eq!(
        numstat(&accounts.work),
        [(1, 1, "bots/travel-desk/botDefinition.json".to_owned())],
        "{diff}"
    );
    assert!(
        diff.contains("-            \"sentence\": \"book a flight\",")
            && diff.contains("+            \"sentence\": \"book a flight for me\","),
        "{diff}"
    );
}

/// `kore-gitops pull --env staging` of travel-desk into `folder`.
async fn pull_staging(accounts: &Accounts, folder: &Path) -> Run {
    let config = accounts.config.to_str().unwrap();
    let into = folder.to_str().unwrap();
    let args = [
        "pull",
        "--config",
        config,
        "--bot",
        "travel-desk",
        "--into",
        into,
        "--env",
        "staging",
    ];
    kore_gitops(&accounts.work, &args).await
}
