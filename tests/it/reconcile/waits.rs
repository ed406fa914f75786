//! A pass waiting on a platform job holds no worker: with one worker, a bot
//! whose training the platform holds does not delay another bot's change.

use serde_json::{Value, json};

use super::daemon::{phase_of, start_with};
use super::world::{BOTS, World, count};

#[tokio::test]
async fn a_bot_waiting_on_its_training_does_not_hold_the_only_worker() {
    let world = World::start().await;
    let text = std::fs::read_to_string(&world.config).unwrap();
    // One worker, and a job deadline far beyond the test's patience: without
    // lending the worker, the second bot would wait for the first's training.
    let text = text
        .replace("concurrency = 2", "concurrency = 1")
        .replace("job_timeout = \"10s\"", "job_timeout = \"120s\"");
    std::fs::write(&world.config, text).unwrap();
    let daemon = start_with(world.load_config()).await;
    daemon
        .until_status("both synced", |s| {
            BOTS.iter().all(|b| phase_of(s, b) == Some("Synced"))
        })
        .await;

    world.fault("/jobs/mode", json!({"mode": "manual"})).await;
    world.commit_definition("travel-desk", "a change whose training waits", |d| {
        d["sentences"][0]["sentence"] = "trained slowly".into();
    });
    assert!(
        world.step_jobs_until_accepted("travel-desk", "train").await,
        "travel-desk never reached its training"
    );
    world.commit_definition("it-helpdesk", "a change behind it", |d: &mut Value| {
        d["sentences"][0]["sentence"] = "not delayed".into();
    });
    assert!(
        world.step_jobs_until_accepted("it-helpdesk", "train").await,
        "it-helpdesk was not imported while travel-desk waited on its training"
    );
    assert_eq!(count(&world.bot("it-helpdesk").await, "imports"), 1);

    world.fault("/jobs/mode", json!({"mode": "instant"})).await;
    world.fault("/jobs/step", json!({})).await;
    for bot in BOTS {
        let mut published = 0;
        for _ in 0..500 {
            published = count(&world.bot(bot).await, "publishes");
            if published == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(published, 1, "{bot} was published once");
    }
    daemon.stop.notify_one();
    daemon.done.await.unwrap();
}
