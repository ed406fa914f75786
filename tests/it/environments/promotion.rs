//! Promotion across two accounts: a commit lands on staging, then prod
//! follows; a commit that fails on staging never reaches prod; a later fix
//! promotes both.

use kore_gitops::reconcile::Report;
use kore_gitops::status::Phase;
use serde_json::json;

use super::world::{Accounts, report};
use crate::commands::kore_gitops;
use crate::reconcile::world::counters;

const SETTINGS: &str = r#"languages = ["en"]

[environments.staging]
platform = "dev"
bot_id = "{staging}"

[environments.prod]
platform = "prod"
bot_id = "{prod}"
after = "staging"
"#;

fn phase(reports: &[Report], key: &str) -> Option<Phase> {
    report(reports, key).status.as_ref().map(|s| s.phase)
}

fn change_utterance(accounts: &Accounts, text: &str) {
    accounts.commit_definition(&format!("utterance: {text}"), |d| {
        let sentences = d["sentences"].as_array_mut().unwrap();
        let first = sentences
            .iter_mut()
            .find(|s| s["taskName"] == "Book Flight")
            .unwrap();
        first["sentence"] = text.into();
    });
}

#[tokio::test]
async fn prod_follows_staging_and_never_takes_a_commit_that_failed_there() {
    let accounts = Accounts::start(SETTINGS).await;
    accounts.one_at_a_time();
    // Nothing is Synced on staging yet: prod waits, staging syncs.
    let first = accounts.sync().await;
    assert_eq!(phase(&first, "travel-desk/prod"), None);
    let why = report(&first, "travel-desk/prod")
        .promotion
        .clone()
        .unwrap();
    assert!(why.contains("waits for staging"), "{why}");
    assert_eq!(phase(&first, "travel-desk/staging"), Some(Phase::Synced));
    let second = accounts.sync().await;
    assert_eq!(phase(&second, "travel-desk/prod"), Some(Phase::Synced));

    // One commit lands on staging; prod stays until staging is Synced there.
    change_utterance(&accounts, "book me a flight to Lisbon");
    let good = accounts.head();
    let landed = accounts.sync().await;
    assert_eq!(counters(&accounts.staging().await).0, 1, "staging imported");
    assert_eq!(counters(&accounts.production().await).0, 0, "prod waited");
    let why = report(&landed, "travel-desk/prod")
        .promotion
        .clone()
        .unwrap();
    assert!(why.contains("has not reconciled the head"), "{why}");
    let followed = accounts.sync().await;
    let prod = report(&followed, "travel-desk/prod");
    assert_eq!(prod.commit.to_string(), good);
    assert_eq!(phase(&followed, "travel-desk/prod"), Some(Phase::Synced));
    assert_eq!(
        counters(&accounts.production().await),
        (1, 1, 1),
        "prod followed"
    );

    // A commit that fails on staging never reaches prod.
    accounts
        .dev_control
        .control("/job-failures", json!({"kind": "import", "count": 100}))
        .await;
    change_utterance(&accounts, "fly me to the moon");
    let bad = accounts.head();
    for round in 0..2 {
        let reports = accounts.sync().await;
        assert_eq!(phase(&reports, "travel-desk/staging"), Some(Phase::Failed));
        let prod = report(&reports, "travel-desk/prod");
        assert_eq!(
            prod.commit.to_string(),
            good,
            "prod stays on the good commit"
        );
        let why = prod.promotion.clone().unwrap();
        // Prod's pass runs first: in the first round staging has not failed yet.
        let expected = [
            "staging has not reconciled the head",
            "staging failed at the head",
        ];
        assert!(why.contains(expected[round]), "{why}");
    }
    assert_eq!(
        counters(&accounts.production().await).0,
        1,
        "nothing imported"
    );
    let notes = accounts.all_notes();
    let bad_note = notes.split(&bad).nth(1).unwrap_or_default();
    let bad_note = bad_note.split(&good).next().unwrap_or_default();
    assert!(
        !bad_note.contains("travel-desk/prod"),
        "no prod pass at the bad commit:\n{bad_note}"
    );

    // A later fix promotes both.
    accounts
        .dev_control
        .control("/faults/clear", json!({}))
        .await;
    accounts
        .dev_control
        .control("/job-failures", json!({"kind": "import", "count": 0}))
        .await;
    change_utterance(&accounts, "book me a flight to Porto");
    let fix = accounts.head();
    accounts.sync().await;
    let promoted = accounts.sync().await;
    assert_eq!(phase(&promoted, "travel-desk/staging"), Some(Phase::Synced));
    assert_eq!(
        report(&promoted, "travel-desk/prod").commit.to_string(),
        fix
    );
    assert_eq!(phase(&promoted, "travel-desk/prod"), Some(Phase::Synced));
    assert_eq!(counters(&accounts.production().await), (2, 2, 2));
}

#[tokio::test]
async fn a_one_off_sync_promotes_in_one_run() {
    let accounts = Accounts::start(SETTINGS).await;
    let config = accounts.config.to_str().unwrap();
    let sync = kore_gitops(&accounts.work, &["sync", "--config", config]).await;
    assert_eq!(sync.code, 0, "{}", sync.all());
    change_utterance(&accounts, "book me a flight to Riga");
    let head = accounts.head();
    let sync = kore_gitops(&accounts.work, &["sync", "--config", config]).await;
    assert_eq!(sync.code, 0, "{}", sync.all());
    // Staging runs first; prod, which follows it, runs once staging is
    // Synced at the head, in the same run.
    assert!(
        sync.stdout.contains("travel-desk/prod\tSynced"),
        "{}",
        sync.all()
    );
    let production = accounts.production().await;
    assert_eq!(counters(&production).0, 1, "prod imported the head");
    let notes = accounts.all_notes();
    let at_head = notes.split(&head).nth(1).unwrap_or_default();
    assert!(at_head.contains("travel-desk/prod"), "{notes}");
}
