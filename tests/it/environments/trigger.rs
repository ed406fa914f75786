//! `POST /trigger/{folder}/{environment}` queues one environment of a folder.

use kore_gitops::observe::Trigger;
use reqwest::StatusCode;

use crate::observe::harness::{TRIGGER_TOKEN, start};

#[tokio::test]
async fn one_environment_of_a_folder_is_triggered_by_its_path() {
    let mut server = start("team/bots").await;
    server.state.set_known_bots([
        "travel-desk/prod".to_owned(),
        "travel-desk/staging".to_owned(),
    ]);
    let (http, base) = (server.http.clone(), server.url(""));
    let post = |path: &str| {
        http.post(format!("{base}{path}"))
            .header("authorization", format!("Bearer {TRIGGER_TOKEN}"))
            .send()
    };
    let accepted = post("/trigger/travel-desk/prod").await.unwrap();
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    assert_eq!(
        server.triggers.try_recv().ok(),
        Some(Trigger::Bot("travel-desk/prod".to_owned()))
    );
    let unknown = post("/trigger/travel-desk/qa").await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}
