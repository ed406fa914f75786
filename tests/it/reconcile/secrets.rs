//! No secret in any log line or note of an end-to-end run: client secrets,
//! tokens, and the values of the bots' variables (old and new).

use serde_json::json;

use super::world::World;
use crate::support::git::git;
use crate::support::logs::capture;

const ROTATED: &str = "rotated-api-key-5d1e";
const VARIABLE_VALUES: &[&str] = &["example-key-not-a-real-secret", "helpdesk-l1", ROTATED];

#[tokio::test]
async fn logs_and_notes_of_a_full_run_hold_no_secret() {
    let world = World::start().await;
    let (buffer, guard) = capture();
    world.sync().await;
    // A rotated credential, a failing import with the platform's message, a retry.
    let config = world.work.join("bots/travel-desk/config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("example-key-not-a-real-secret", ROTATED),
    )
    .unwrap();
    world.commit_all("rotate the travel API key");
    world
        .fault("/job-failures", json!({"kind": "import", "count": 1}))
        .await;
    world
        .fault(
            "/faults",
            json!({"endpoint": "export", "status": 503, "count": 1}),
        )
        .await;
    let failed = world.sync().await;
    let converged = world.sync().await;
    drop(guard);

    let logs = buffer.text();
    assert!(
        logs.contains("reconciled"),
        "the passes were logged:\n{logs}"
    );
    let travel = World::status_of(&converged, "travel-desk");
    assert!(
        travel.summary.contains("API_KEY"),
        "the change is named: {}",
        travel.summary
    );
    git(
        &world.work,
        &["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"],
    );
    let notes = git(&world.work, &["log", "--notes=kore-gitops", "--format=%N"]);
    let reports = format!("{failed:?}{converged:?}");
    for (what, text) in [("logs", &logs), ("notes", &notes), ("reports", &reports)] {
        for app in &world.sim.credentials.apps {
            assert!(
                !text.contains(&app.client_secret),
                "{what} hold the {} secret",
                app.name
            );
        }
        assert!(!text.contains("eyJ"), "{what} hold a token");
        for value in VARIABLE_VALUES {
            assert!(
                !text.contains(value),
                "{what} hold the variable value {value}"
            );
        }
    }
}
