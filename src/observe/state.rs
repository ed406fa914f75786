//! What the HTTP endpoints read and the daemon writes: readiness flags, the
//! last result of every bot, the trigger channel, and the endpoint secrets.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;
use tokio::sync::mpsc;

use super::connections::HttpLimits;
use super::events::{PassEvent, Reporters};
use super::metrics::Metrics;
use super::requests::Requests;
use crate::config::Config;
use crate::desired::TargetKey;
use crate::ids::CommitId;
use crate::status::Phase;

/// Room for triggers the daemon has not taken yet.
const TRIGGER_QUEUE: usize = 64;

/// How long a trigger waits for room in a full channel before it is refused:
/// the daemon takes triggers as fast as they come, so a channel full for this
/// long means it is stuck, and the sender should hear so.
const TRIGGER_WAIT: Duration = Duration::from_millis(500);

/// A request for work, sent to the daemon by the webhook and trigger endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Fetch the repository now and reconcile whatever it says.
    Refresh,
    /// Reconcile this bot (by folder name) now.
    Bot(String),
}

/// Which webhook deliveries are accepted and which of them mean "refresh".
pub struct WebhookSettings {
    /// The shared secret (HMAC key, or GitLab's token).
    pub secret: SecretString,
    /// The watched repository: its URL (https, ssh, scp-like) or `owner/name`.
    pub repository: String,
    /// The watched branch, without `refs/heads/`.
    pub branch: String,
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("secret", &"[redacted]")
            .field("repository", &self.repository)
            .field("branch", &self.branch)
            .finish()
    }
}

/// The three conditions `/readyz` waits for. Each may be set and unset.
#[derive(Debug, Default)]
pub struct Readiness {
    config_loaded: AtomicBool,
    mirror_fetched: AtomicBool,
    platform_reachable: AtomicBool,
}

impl Readiness {
    /// The configuration was loaded and validated.
    pub fn set_config_loaded(&self, value: bool) {
        self.config_loaded.store(value, Ordering::Relaxed);
    }

    /// The mirror holds at least one successful fetch.
    pub fn set_mirror_fetched(&self, value: bool) {
        self.mirror_fetched.store(value, Ordering::Relaxed);
    }

    /// The platform answered the last time it was asked.
    pub fn set_platform_reachable(&self, value: bool) {
        self.platform_reachable.store(value, Ordering::Relaxed);
    }

    /// The names of the conditions not met yet; empty when ready.
    pub fn missing(&self) -> Vec<&'static str> {
        [
            ("config", &self.config_loaded),
            ("mirror", &self.mirror_fetched),
            ("platform", &self.platform_reachable),
        ]
        .into_iter()
        .filter(|(_, flag)| !flag.load(Ordering::Relaxed))
        .map(|(name, _)| name)
        .collect()
    }
}

/// One bot's last result as `/status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotReport {
    /// The target's key: its folder name, or `folder/environment`.
    pub bot: String,
    /// The key's parts as fields of their own: `folder` and `environment`.
    #[serde(flatten)]
    pub target: TargetKey,
    /// Where it stands.
    pub phase: Phase,
    /// The commit the last pass reconciled, once known (40 hex digits).
    #[serde(serialize_with = "commit_hex")]
    pub commit: Option<CommitId>,
    /// One line saying what changed.
    pub summary: String,
    /// On failure, why (never a secret: the daemon's errors do not carry any).
    pub error: Option<String>,
    /// When this report was written.
    pub updated: DateTime<Utc>,
    /// When the bot will be reconciled again, if scheduled.
    pub next_attempt: Option<DateTime<Utc>>,
    /// When a pass last found (or left) the bot in sync, since the daemon
    /// started.
    pub last_synced: Option<DateTime<Utc>>,
}

/// `CommitId` has no serde form of its own; `/status` shows it as git does.
fn commit_hex<S: serde::Serializer>(commit: &Option<CommitId>, s: S) -> Result<S::Ok, S::Error> {
    match commit {
        Some(commit) => s.collect_str(commit),
        None => s.serialize_none(),
    }
}

/// The shared state behind the endpoints. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ObserveState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    metrics: Arc<Metrics>,
    readiness: Readiness,
    reports: RwLock<BTreeMap<String, BotReport>>,
    known_bots: RwLock<Option<BTreeSet<String>>>,
    triggers: mpsc::Sender<Trigger>,
    webhook: Option<WebhookSettings>,
    trigger_token: Option<SecretString>,
    http_limits: HttpLimits,
    reporters: Reporters,
    requests: Requests,
    /// Where operator suspensions are kept across restarts, once known.
    suspensions_file: std::sync::OnceLock<std::path::PathBuf>,
}

/// What happened to a trigger handed to the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// In the channel: the daemon will act on it.
    Accepted,
    /// The channel stayed full: not queued, the sender should try again.
    Busy,
    /// The daemon no longer listens (shutting down).
    Closed,
}

/// The endpoints that need a secret; each is off (404) while absent.
#[derive(Debug, Default)]
pub struct Secured {
    /// Push webhooks, verified with the shared secret.
    pub webhook: Option<WebhookSettings>,
    /// `POST /trigger/{bot}`, with `Authorization: Bearer <token>`.
    pub trigger_token: Option<SecretString>,
}

impl ObserveState {
    /// The state the router serves; the daemon keeps a clone to update it.
    pub fn new(
        metrics: Arc<Metrics>,
        triggers: mpsc::Sender<Trigger>,
        secured: Secured,
    ) -> ObserveState {
        let inner = Inner {
            metrics,
            readiness: Readiness::default(),
            reports: RwLock::default(),
            known_bots: RwLock::default(),
            triggers,
            webhook: secured.webhook,
            trigger_token: secured.trigger_token,
            http_limits: HttpLimits::default(),
            reporters: Reporters::default(),
            requests: Requests::default(),
            suspensions_file: std::sync::OnceLock::new(),
        };
        ObserveState {
            inner: Arc::new(inner),
        }
    }

    /// The state for a configuration: the webhook watches `git.url` and
    /// `git.branch` with `[daemon] webhook_secret`, `/trigger` takes
    /// `[daemon] trigger_token`. Also returns the channel triggers arrive on.
    pub fn for_config(config: &Config, version: &str) -> (ObserveState, mpsc::Receiver<Trigger>) {
        let metrics = Arc::new(Metrics::new(version));
        let (sender, receiver) = mpsc::channel(TRIGGER_QUEUE);
        let webhook = config
            .daemon
            .webhook_secret
            .clone()
            .map(|secret| WebhookSettings {
                secret,
                repository: config.git.url.clone(),
                branch: config.git.branch.clone(),
            });
        let secured = Secured {
            webhook,
            trigger_token: config.daemon.trigger_token.clone(),
        };
        let mut state = ObserveState::new(metrics, sender, secured);
        if let Some(inner) = Arc::get_mut(&mut state.inner) {
            inner.http_limits.max_connections = config.daemon.max_connections;
        }
        (state, receiver)
    }

    /// The metrics the endpoints record into and `/metrics` renders.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The limits [`super::serve`] holds the HTTP port to.
    pub fn http_limits(&self) -> HttpLimits {
        self.inner.http_limits
    }

    /// The readiness flags behind `/readyz`.
    pub fn readiness(&self) -> &Readiness {
        &self.inner.readiness
    }

    /// Names the bots the daemon manages, so `/trigger` can answer 404 for others.
    /// Their metrics series exist from now on; a bot no longer named loses
    /// its state series.
    pub fn set_known_bots<I: IntoIterator<Item = String>>(&self, bots: I) {
        let bots: BTreeSet<String> = bots.into_iter().collect();
        let metrics = self.metrics();
        bots.iter().for_each(|bot| metrics.register_bot(bot));
        let before = write(&self.inner.known_bots).replace(bots.clone());
        before
            .into_iter()
            .flatten()
            .filter(|bot| !bots.contains(bot))
            .for_each(|bot| metrics.forget_bot(&bot));
    }

    /// Records `report` as its bot's last result.
    pub fn update_report(&self, report: BotReport) {
        write(&self.inner.reports).insert(report.bot.clone(), report);
    }

    /// Forgets a bot that left the repository.
    pub fn remove_report(&self, bot: &str) {
        write(&self.inner.reports).remove(bot);
    }

    /// One bot's last result (a pass reads its own: cloning every bot's
    /// report per pass would cost O(bots) each).
    pub fn report_of(&self, bot: &str) -> Option<BotReport> {
        read(&self.inner.reports).get(bot).cloned()
    }

    /// Every bot's last result, by name.
    pub fn reports(&self) -> Vec<BotReport> {
        read(&self.inner.reports).values().cloned().collect()
    }

    /// A new reporter's stream of pass events (statuses, notifications).
    pub fn subscribe(&self) -> mpsc::Receiver<PassEvent> {
        self.inner.reporters.subscribe()
    }

    /// Hands `event` to every reporter without waiting for any.
    pub fn announce(&self, event: &PassEvent) {
        self.inner.reporters.announce(event);
    }

    /// Requests for passes and operator suspensions.
    pub(crate) fn requests(&self) -> &Requests {
        &self.inner.requests
    }

    /// Whether an operator suspended `bot` (`kore-gitops suspend`).
    pub fn is_suspended(&self, bot: &str) -> bool {
        self.inner.requests.is_suspended(bot)
    }

    /// A pass of `bot` that started at `started` ended: the requests it
    /// handles get its outcome.
    pub fn pass_ended(
        &self,
        bot: &str,
        started: tokio::time::Instant,
        outcome: (Phase, &str, Option<&str>),
    ) {
        self.inner.requests.pass_ended(bot, started, outcome);
    }

    /// Keeps suspensions in `path` (one bot per line): loads those recorded
    /// there, and rewrites it on every change.
    pub fn keep_suspensions_in(&self, path: std::path::PathBuf) -> std::io::Result<()> {
        for bot in super::requests::read_suspensions(&path)? {
            self.inner.requests.set_suspended(&bot, true);
        }
        let _ = self.inner.suspensions_file.set(path);
        Ok(())
    }

    /// Suspends or resumes `bot`, on disk first when a file is kept: an
    /// emergency pause must survive a restart. Whether anything changed.
    pub(crate) async fn set_suspended(&self, bot: &str, on: bool) -> std::io::Result<bool> {
        let mut wanted = self.inner.requests.suspended();
        let changed = match on {
            true => wanted.insert(bot.to_owned()),
            false => wanted.remove(bot),
        };
        if let Some(path) = self.inner.suspensions_file.get() {
            let text: String = wanted.iter().map(|b| format!("{b}\n")).collect();
            let partial = path.with_extension("partial");
            tokio::fs::write(&partial, text).await?;
            tokio::fs::rename(&partial, path).await?;
        }
        self.inner.requests.set_suspended(bot, on);
        Ok(changed)
    }

    /// `Some(known)` when the bot list is known.
    pub(crate) fn is_known_bot(&self, bot: &str) -> Option<bool> {
        read(&self.inner.known_bots)
            .as_ref()
            .map(|bots| bots.contains(bot))
    }

    pub(crate) fn webhook(&self) -> Option<&WebhookSettings> {
        self.inner.webhook.as_ref()
    }

    pub(crate) fn trigger_token(&self) -> Option<&SecretString> {
        self.inner.trigger_token.as_ref()
    }

    /// Hands `trigger` to the daemon. Accepted means queued: a trigger is
    /// never dropped for want of room (a full channel can hold other bots'
    /// triggers only), it waits up to [`TRIGGER_WAIT`] and is refused after.
    pub(crate) async fn send(&self, trigger: Trigger) -> Sent {
        match self
            .inner
            .triggers
            .send_timeout(trigger, TRIGGER_WAIT)
            .await
        {
            Ok(()) => Sent::Accepted,
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => Sent::Busy,
            Err(mpsc::error::SendTimeoutError::Closed(_)) => Sent::Closed,
        }
    }
}

/// Locks are held for a map operation only; a panic elsewhere cannot leave the
/// maps half-written, so a poisoned lock is still usable.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
