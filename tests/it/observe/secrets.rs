//! The webhook secret, the trigger token, signatures and payloads never reach
//! the logs or the answers, whatever is posted.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::StatusCode;
use tracing_subscriber::fmt::MakeWriter;

use super::harness::{Server, TRIGGER_TOKEN, WEBHOOK_SECRET, hmac_hex, start};
use super::payloads::{HOSTS, Host, Signing};

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Posts `body` with `headers` and returns the answer's headers and body as text.
async fn post(
    server: &Server,
    path: &str,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
) -> (StatusCode, String) {
    let mut request = server.http.post(server.url(path)).body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("answer");
    let status = response.status();
    let head = format!("{:?}", response.headers());
    (status, head + &response.text().await.unwrap_or_default())
}

/// Every kind of delivery and trigger, answered; returns what was answered and
/// every signature that was sent.
async fn exercise(host: Host) -> (Vec<String>, Vec<String>) {
    let mut server = start(host.repository()).await;
    let mut answers = Vec::new();
    let mut signatures = Vec::new();
    let event = host.push_event();
    let deliveries = [
        (host.push("main"), Signing::Correct),
        (host.push("main"), Signing::Wrong),
        (host.push("main"), Signing::Missing),
        (host.push("feature"), Signing::Correct),
        (b"{not json".to_vec(), Signing::Correct),
        (
            vec![b' '; kore_gitops::observe::MAX_WEBHOOK_BODY + 1],
            Signing::Correct,
        ),
    ];
    for (body, signing) in deliveries {
        signatures.push(hmac_hex("not-the-configured-secret", &body));
        signatures.push(hmac_hex(WEBHOOK_SECRET, &body));
        let headers = host.headers(event, &body, signing);
        answers.push(post(&server, "/webhook", &headers, body).await.1);
    }
    for token in [
        TRIGGER_TOKEN.to_owned(),
        format!("{TRIGGER_TOKEN}-wrong"),
        "x".to_owned(),
    ] {
        let headers = [("authorization", format!("Bearer {token}"))];
        answers.push(
            post(&server, "/trigger/greeter", &headers, Vec::new())
                .await
                .1,
        );
    }
    for path in ["/status", "/metrics", "/readyz", "/healthz"] {
        let response = server
            .http
            .get(server.url(path))
            .send()
            .await
            .expect("answer");
        answers.push(response.text().await.unwrap_or_default());
    }
    tracing::info!(state = ?server.state, "state as Debug");
    while server.triggers.try_recv().is_ok() {}
    server.stop().await;
    (answers, signatures)
}

/// The check runs in a process of its own: tracing caches per call site
/// whether anyone listens, and a call site first reached by a concurrent test
/// (with no subscriber) can stay silent for a scoped subscriber here. Alone in
/// its process, every event reaches the capture.
#[test]
fn secrets_signatures_and_bodies_stay_out_of_logs_and_answers() {
    let name = "observe::secrets::capture_logs_in_a_process_of_its_own";
    crate::support::process::run_ignored_test_alone(name);
}

#[test]
#[ignore = "run by secrets_signatures_and_bodies_stay_out_of_logs_and_answers in its own process"]
fn capture_logs_in_a_process_of_its_own() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    // One thread: every task the server spawns logs through this subscriber.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (answers, signatures) = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let mut answers = Vec::new();
            let mut signatures = Vec::new();
            for host in HOSTS {
                let (a, s) = exercise(host).await;
                answers.extend(a);
                signatures.extend(s);
            }
            (answers, signatures)
        })
    });
    let logs = captured.text();
    assert!(
        logs.contains("webhook refused"),
        "refusals are logged:\n{logs}"
    );
    assert!(
        logs.contains("manual trigger refused"),
        "bad tokens are logged:\n{logs}"
    );
    assert!(
        logs.contains("WebhookSettings"),
        "the state's Debug was logged:\n{logs}"
    );
    let secrets = [WEBHOOK_SECRET, TRIGGER_TOKEN, "not-the-configured-secret"];
    for secret in secrets
        .iter()
        .copied()
        .chain(signatures.iter().map(String::as_str))
    {
        assert!(!logs.contains(secret), "logs contain {secret}");
        for answer in &answers {
            assert!(
                !answer.contains(secret),
                "an answer contains {secret}: {answer}"
            );
        }
    }
    // Payload content (a commit message) never reaches the logs.
    assert!(!logs.contains("answer in French"), "logs contain a payload");
}
