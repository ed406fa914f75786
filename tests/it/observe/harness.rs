//! Starts the observe router on 127.0.0.1:0 with a known webhook secret and
//! trigger token, and keeps the receiving end of the trigger channel.

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use kore_gitops::observe::{Metrics, ObserveState, Secured, Trigger, WebhookSettings};
use secrecy::SecretString;
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The webhook secret every test server is configured with.
pub const WEBHOOK_SECRET: &str = "whsec-3f9c2e71-only-for-tests";
/// The manual-trigger token every test server is configured with.
pub const TRIGGER_TOKEN: &str = "trig-b81d40aa-only-for-tests";
/// The branch the test servers watch.
pub const BRANCH: &str = "main";
/// Room in the trigger channel (small, so that tests can fill it).
pub const CHANNEL: usize = 4;

/// A running server and the daemon's side of it.
pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    pub state: ObserveState,
    pub triggers: mpsc::Receiver<Trigger>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

/// What the server is configured with.
pub struct Options {
    pub repository: Option<&'static str>,
    pub trigger_token: bool,
}

impl Options {
    /// Webhooks for `repository` and the manual trigger, both on.
    pub fn watching(repository: &'static str) -> Options {
        Options {
            repository: Some(repository),
            trigger_token: true,
        }
    }
}

/// A server with webhooks for `repository` and the trigger token.
pub async fn start(repository: &'static str) -> Server {
    start_with(Options::watching(repository)).await
}

/// A server configured by `options`.
pub async fn start_with(options: Options) -> Server {
    let (sender, triggers) = mpsc::channel(CHANNEL);
    let secured = Secured {
        webhook: options.repository.map(|repository| WebhookSettings {
            secret: SecretString::from(WEBHOOK_SECRET.to_owned()),
            repository: repository.to_owned(),
            branch: BRANCH.to_owned(),
        }),
        trigger_token: options
            .trigger_token
            .then(|| SecretString::from(TRIGGER_TOKEN.to_owned())),
    };
    let state = ObserveState::new(Arc::new(Metrics::new("9.9.9-test")), sender, secured);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(kore_gitops::observe::serve(
        listener,
        state.clone(),
        async {
            let _ = stop.await;
        },
    ));
    Server {
        base,
        http: reqwest::Client::new(),
        state,
        triggers,
        shutdown: Some(shutdown),
        task,
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Asserts the server still answers `/healthz`.
    pub async fn assert_alive(&self) {
        let response = self
            .http
            .get(self.url("/healthz"))
            .send()
            .await
            .expect("healthz answers");
        assert_eq!(response.status(), 200);
    }

    /// Asserts no trigger is waiting in the channel.
    pub fn assert_no_trigger(&mut self, context: &str) {
        if let Ok(trigger) = self.triggers.try_recv() {
            panic!("{context}: unexpected trigger {trigger:?}");
        }
    }

    /// Stops the server and waits for it to finish cleanly.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task
            .await
            .expect("server task did not panic")
            .expect("server ended cleanly");
    }
}

/// Hex HMAC-SHA256 of `body` under `secret`, computed here independently of
/// the code under test.
pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
