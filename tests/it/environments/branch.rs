//! An environment that follows another branch than the daemon's: prod
//! follows `release`, reconciled at release's head and noted there, while
//! staging follows the daemon's branch; a branch that does not exist is said.

use kore_gitops::status::Phase;

use super::world::{Accounts, report};
use crate::commands::kore_gitops;
use crate::reconcile::world::counters;
use crate::support::git::git;

const SETTINGS: &str = r#"languages = ["en"]

[environments.staging]
platform = "dev"
bot_id = "{staging}"

[environments.prod]
platform = "prod"
bot_id = "{prod}"
branch = "release"
"#;

/// The note of `commit` alone (`git notes show`), empty when it has none.
fn note_of(accounts: &Accounts, commit: &str) -> String {
    accounts.all_notes();
    let output = std::process::Command::new("git")
        .args(["notes", "--ref=kore-gitops", "show", commit])
        .current_dir(&accounts.work)
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn prod_follows_the_release_branch_and_is_noted_on_its_head() {
    let accounts = Accounts::start(SETTINGS).await;
    git(
        &accounts.work,
        &["push", "--quiet", "origin", "HEAD:release"],
    );
    let first_release = accounts.head();
    let first = accounts.sync().await;
    for key in ["travel-desk/staging", "travel-desk/prod"] {
        let phase = report(&first, key).status.as_ref().map(|s| s.phase);
        assert_eq!(phase, Some(Phase::Synced), "{key}: {first:?}");
    }
    let prod = report(&first, "travel-desk/prod");
    let why = prod.promotion.clone().unwrap_or_default();
    assert!(why.contains("follows release"), "{why}");

    // A commit on main reaches staging; prod stays at release's head.
    accounts.commit_definition("a new utterance on main", |d| {
        let sentences = d["sentences"].as_array_mut().unwrap();
        sentences[0]["sentence"] = "book me a flight to Oslo".into();
    });
    let main_head = accounts.head();
    let landed = accounts.sync().await;
    assert_eq!(
        report(&landed, "travel-desk/staging").commit.to_string(),
        main_head
    );
    let prod = report(&landed, "travel-desk/prod");
    assert_eq!(
        prod.commit.to_string(),
        first_release,
        "prod at release's head"
    );
    assert_eq!(prod.status.as_ref().map(|s| s.phase), Some(Phase::Synced));
    let prod_before = counters(&accounts.production().await).0;
    assert_eq!(counters(&accounts.staging().await).0, 1, "staging imported");
    assert!(!note_of(&accounts, &main_head).contains("travel-desk/prod"));
    let config = accounts.config.to_str().unwrap();
    let plan = kore_gitops(&accounts.work, &["plan", "--config", config]).await;
    assert!(plan.stdout.contains("follows release"), "{}", plan.all());

    // Release moves to main's head: prod follows, and notes it there.
    git(
        &accounts.work,
        &["push", "--quiet", "origin", "HEAD:release"],
    );
    let moved = accounts.sync().await;
    let prod = report(&moved, "travel-desk/prod");
    assert_eq!(prod.commit.to_string(), main_head);
    assert_eq!(prod.status.as_ref().map(|s| s.phase), Some(Phase::Synced));
    assert_eq!(counters(&accounts.production().await).0, prod_before + 1);
    assert!(note_of(&accounts, &main_head).contains("travel-desk/prod"));

    // A tag works as well: prod goes back to the tagged commit.
    git(&accounts.work, &["tag", "v1", &first_release]);
    git(&accounts.work, &["push", "--quiet", "origin", "v1"]);
    follow(&accounts, "v1");
    let tagged = accounts.sync().await;
    let prod = report(&tagged, "travel-desk/prod");
    assert_eq!(prod.commit.to_string(), first_release, "{prod:?}");
    assert_eq!(prod.status.as_ref().map(|s| s.phase), Some(Phase::Synced));
    assert_eq!(counters(&accounts.production().await).0, prod_before + 2);

    // A branch the remote does not have is said, and nothing is imported.
    follow(&accounts, "no-such-branch");
    let missing = accounts.sync().await;
    let prod = report(&missing, "travel-desk/prod");
    assert!(prod.status.is_none(), "{prod:?}");
    let why = prod.promotion.clone().unwrap_or_default();
    assert!(
        why.contains("no branch or tag named \"no-such-branch\""),
        "{why}"
    );
    assert_eq!(counters(&accounts.production().await).0, prod_before + 2);
}

/// Commits a `bot.toml` on main in which prod follows `name`.
fn follow(accounts: &Accounts, name: &str) {
    let path = accounts.work.join("bots/travel-desk/bot.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("branch = ").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    let text = format!("{}branch = {name:?}{}", &text[..start], &text[end..]);
    accounts.write("bot.toml", &text);
    accounts.commit_all(&format!("prod follows {name}"));
}
