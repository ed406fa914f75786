//! A fake git host's API on loopback: records every request, and answers
//! with a status the test sets (201 by default, with a JSON reason otherwise).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// One request the host received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    answer: Mutex<Option<(u16, String)>>,
    /// Answers for the next requests, before `answer`: (status, Retry-After).
    next: Mutex<std::collections::VecDeque<(u16, Option<u64>)>>,
    /// How long each answer takes.
    delay: Mutex<Duration>,
}

/// The running fake host.
pub struct FakeHost {
    pub base: String,
    shared: Arc<Shared>,
}

impl FakeHost {
    /// A host answering 201 to everything.
    pub async fn start() -> FakeHost {
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(record).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeHost { base, shared }
    }

    /// From now on, answers `status` with `{"message": reason}`.
    pub fn refuse(&self, status: u16, reason: &str) {
        *self.shared.answer.lock().unwrap() = Some((status, reason.to_owned()));
    }

    /// The next `count` requests are answered `status` (with `Retry-After`).
    pub fn fail_next(&self, status: u16, count: usize, retry_after: Option<u64>) {
        let mut next = self.shared.next.lock().unwrap();
        next.extend(std::iter::repeat_n((status, retry_after), count));
    }

    /// Every answer takes `delay` from now on (recorded on arrival).
    pub fn slow_down(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap() = delay;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Waits until `count` requests arrived (at most 10 s), then a little
    /// longer so that an extra one would be seen too.
    pub async fn until_requests(&self, count: usize) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.requests().len() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {:?}",
                self.requests()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.requests()
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    shared.requests.lock().unwrap().push(recorded);
    let delay = *shared.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    if let Some((status, retry_after)) = shared.next.lock().unwrap().pop_front() {
        let mut response = (
            StatusCode::from_u16(status).unwrap(),
            axum::Json(json!({"message": "scripted"})),
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert("retry-after", seconds.to_string().parse().unwrap());
        }
        return response;
    }
    match shared.answer.lock().unwrap().clone() {
        None => (StatusCode::CREATED, axum::Json(json!({"id": 1}))).into_response(),
        Some((status, reason)) => (
            StatusCode::from_u16(status).unwrap(),
            axum::Json(json!({"message": reason})),
        )
            .into_response(),
    }
}
