//! The HTTP port under load it did not ask for: idle connections beyond the
//! cap never lock out `/healthz`, idle connections are closed after the idle
//! timeout, and a manual trigger answered 202 is always queued.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use kore_gitops::observe::{HttpLimits, Metrics, ObserveState, Secured, Trigger, serve_with};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::harness::{CHANNEL, TRIGGER_TOKEN, start};

/// A server within `limits`; its address, and the stop switch.
async fn serve_limited(limits: HttpLimits) -> (String, oneshot::Sender<()>) {
    let (sender, _triggers) = mpsc::channel(1);
    let state = ObserveState::new(Arc::new(Metrics::new("test")), sender, Secured::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_with(listener, state, limits, async {
        let _ = stopped.await;
    }));
    (address, stop)
}

/// True when the server has closed `stream` (within `wait`).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {} // an answer (a 408, say): read on to the end
        }
    }
}

#[tokio::test]
async fn idle_connections_beyond_the_cap_never_lock_out_healthz() {
    let limits = HttpLimits {
        max_connections: 4,
        idle_timeout: Duration::from_secs(30),
    };
    let (address, stop) = serve_limited(limits).await;
    let mut idle = Vec::new();
    for _ in 0..12 {
        idle.push(TcpStream::connect(&address).await.unwrap());
    }
    let healthz = reqwest::Client::new()
        .get(format!("http://{address}/healthz"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .expect("healthz answers with 12 idle connections open");
    assert_eq!(healthz.status(), StatusCode::OK);
    let mut open = 0;
    for stream in &mut idle {
        if !closed_within(stream, Duration::from_millis(200)).await {
            open += 1;
        }
    }
    assert!(
        open < limits.max_connections,
        "{open} idle connections still open beside /healthz's, cap {}",
        limits.max_connections
    );
    let _ = stop.send(());
}

#[tokio::test]
async fn idle_and_slow_connections_are_closed_after_the_idle_timeout() {
    let limits = HttpLimits {
        max_connections: 16,
        idle_timeout: Duration::from_millis(300),
    };
    let (address, stop) = serve_limited(limits).await;
    // Never sends a byte.
    let mut silent = TcpStream::connect(&address).await.unwrap();
    // Sends half a request head, then nothing.
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // One answered request, then idle on a kept-alive connection.
    let mut kept = TcpStream::connect(&address).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let n = kept.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &answer[..n]
    );

    let started = tokio::time::Instant::now();
    for (name, stream) in [
        ("silent", &mut silent),
        ("slow", &mut slow),
        ("kept", &mut kept),
    ] {
        assert!(
            closed_within(stream, Duration::from_secs(3)).await,
            "the {name} connection is still open"
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(200));
    let _ = stop.send(());
}

async fn trigger(client: &reqwest::Client, url: String) -> reqwest::Response {
    client
        .post(url)
        .bearer_auth(TRIGGER_TOKEN)
        .send()
        .await
        .expect("an answer")
}

#[tokio::test]
async fn a_manual_trigger_answered_202_is_always_queued() {
    let mut server = start("https://github.com/acme/kore-bots.git").await;
    let mut accepted = BTreeSet::new();
    let mut refused = 0;
    for n in 0..CHANNEL + 3 {
        let bot = format!("bot-{n}");
        let answer = trigger(&server.http, server.url(&format!("/trigger/{bot}"))).await;
        match answer.status() {
            StatusCode::ACCEPTED => {
                accepted.insert(bot);
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(answer.headers()["retry-after"], "1");
                refused += 1;
            }
            other => panic!("{bot}: {other}"),
        }
    }
    assert_eq!((accepted.len(), refused), (CHANNEL, 3));
    let queued: BTreeSet<String> = std::iter::from_fn(|| server.triggers.try_recv().ok())
        .map(|trigger| match trigger {
            Trigger::Bot(bot) => bot,
            Trigger::Refresh => panic!("a refresh"),
        })
        .collect();
    assert_eq!(queued, accepted, "every 202 is a queued trigger");

    // A trigger that finds the channel full waits for room and is queued.
    for n in 0..CHANNEL {
        let answer = trigger(&server.http, server.url(&format!("/trigger/again-{n}"))).await;
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
    }
    let (http, url) = (server.http.clone(), server.url("/trigger/late"));
    let waiting = tokio::spawn(async move { trigger(&http, url).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.triggers.recv().await.is_some());
    assert_eq!(waiting.await.unwrap().status(), StatusCode::ACCEPTED);
    let rest: Vec<Trigger> = std::iter::from_fn(|| server.triggers.try_recv().ok()).collect();
    assert_eq!(rest.last(), Some(&Trigger::Bot("late".into())));
    server.stop().await;
}
