//! A refused credential is an operator's problem, not the commit's: every
//! bot says so clearly, nothing is touched, and it is retried with backoff
//! (a fixed secret is picked up without a new commit).

use kore_gitops::reconcile::Action;
use kore_gitops::status::Phase;

use super::world::{World, counters};

#[tokio::test]
async fn a_wrong_client_secret_is_named_and_retried_without_a_commit() {
    let world = World::start().await;
    let wrong = "not-the-secret-0b7f1c";
    let secret_file = world.config.with_file_name("client-secret");
    let right = std::fs::read_to_string(&secret_file).unwrap();
    std::fs::write(&secret_file, wrong).unwrap();
    world.commit_definition("travel-desk", "a change", |d| {
        d["sentences"][0]["sentence"] = "changed while the secret is wrong".into();
    });

    let reports = world.sync().await;
    for report in &reports {
        let status = report.status.as_ref().unwrap();
        assert_eq!(status.phase, Phase::Failed, "{status:?}");
        let error = status.error.as_deref().unwrap();
        assert!(
            error.contains("401") && error.contains("client secret"),
            "{error}"
        );
        assert!(!error.contains(wrong) && !error.contains(&right), "{error}");
        assert!(
            matches!(report.action, Action::Requeue(_)),
            "retried, not parked until a new commit: {report:?}"
        );
    }
    assert_eq!(counters(&world.bot("travel-desk").await), (0, 0, 0));

    std::fs::write(&secret_file, right).unwrap();
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 1));
}
