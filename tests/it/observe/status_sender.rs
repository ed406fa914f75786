//! Posting one commit status against a fake host: retried after a 503 and
//! after a 429 (never sooner than its `Retry-After`), paced by `min_interval`,
//! given up (not retried) on a refusal.

use std::time::{Duration, Instant};

use kore_gitops::config::{StatusProvider, StatusSettings};
use kore_gitops::ids::CommitId;
use kore_gitops::observe::commit_status::{Posted, Sender, State, Status};
use secrecy::SecretString;

use crate::support::git_host::FakeHost;

fn sender(host: &FakeHost, min_interval: Duration) -> Sender {
    Sender::new(StatusSettings {
        provider: StatusProvider::GitHub,
        api_url: host.base.clone(),
        repository: "team/bots".to_owned(),
        token: SecretString::from("token-for-the-sender-tests".to_owned()),
        target_url: None,
        min_interval,
    })
}

fn status() -> Status {
    Status::new("travel-desk", State::Success, "in sync", None)
}

fn commit() -> CommitId {
    CommitId::from_bytes([7; 20])
}

#[tokio::test]
async fn a_503_and_a_429_are_retried_and_retry_after_is_honoured() {
    let host = FakeHost::start().await;
    let mut sender = sender(&host, Duration::ZERO);
    host.fail_next(503, 1, None);
    assert_eq!(sender.post(commit(), &status()).await, Posted::Accepted);
    assert_eq!(host.requests().len(), 2);

    host.fail_next(429, 1, Some(2));
    let started = Instant::now();
    assert_eq!(sender.post(commit(), &status()).await, Posted::Accepted);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(host.requests().len(), 4);
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_requests_are_paced() {
    let host = FakeHost::start().await;
    let mut sender = sender(&host, Duration::from_millis(400));
    host.fail_next(403, 1, None);
    let started = Instant::now();
    assert_eq!(sender.post(commit(), &status()).await, Posted::Refused(403));
    assert_eq!(sender.post(commit(), &status()).await, Posted::Accepted);
    assert_eq!(host.requests().len(), 2, "a refusal is not retried");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "the second request waited out min_interval: {:?}",
        started.elapsed()
    );
}
