//! Wiring: the configuration becomes a mirror, a platform client and a
//! reconciler; triggers (start, poll, local watch, resync) feed the queue; the
//! workers run passes. `sync` and `plan` reuse the same pieces for one pass.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use secrecy::ExposeSecret;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::{Config, GitConfig, PlatformSettings};
use crate::platform::{ClientId, Credentials, PlatformClient, PlatformConfig};
use crate::source::{GitRemote, Mirror, REMOTE, RefWatch, SourceError, local_repository, maintain};

use super::attach::attach;
use super::notes::Notes;
use super::pass::{Reconciler, Report};
use super::policy::backoff;
use super::queue::WorkQueue;
use super::router::Reconcilers;
use super::runner::run_workers;
use super::secrets::SecretStore;
use super::select::{SelectError, known, select};
use super::snapshot::Scope;
use super::snapshot::Snapshot;
use super::suspend::{paused_report, skipped_pass, suspended_in};
use super::telemetry::{MetricsObserver, pass_span};
use crate::observe::{FetchResult, ObserveState, Trigger};
use crate::status::Phase;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The platform settings do not make a client.
    #[error("platform: {0}")]
    Platform(String),
    /// The mirror could not be opened.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The operator suspensions kept in the state folder cannot be read.
    #[error("reading the operator suspensions: {0}")]
    Suspensions(std::io::Error),
    /// A blocking task died.
    #[error("internal: {0}")]
    Internal(#[from] tokio::task::JoinError),
}

/// The pieces of a running kore-gitops.
#[derive(Debug)]
pub struct Daemon {
    git: Arc<GitConfig>,
    state_dir: PathBuf,
    mirror: PathBuf,
    reconciler: Arc<Reconcilers>,
    /// For lookups outside a pass (`--bot` by live name): the first platform.
    platform: PlatformClient,
    /// Which targets this daemon reconciles.
    scope: Scope,
    concurrency: usize,
    resync: Duration,
    full_resync: Duration,
    shutdown_grace: Duration,
    observe: Option<ObserveState>,
    /// Whether passes only report (no import, no note).
    dry_run: bool,
    /// Taken by [`Daemon::run`].
    triggers: std::sync::Mutex<Option<mpsc::Receiver<Trigger>>>,
}

impl Daemon {
    /// Opens the mirror and builds the client; `dry_run` forces a dry run.
    pub async fn start(config: Config, dry_run: bool) -> Result<Daemon, StartError> {
        Daemon::start_observed(config, dry_run, None).await
    }

    /// Like [`Daemon::start`], reporting to `observe` (metrics, `/status`,
    /// readiness) and taking its triggers (webhook, manual) when given.
    pub async fn start_observed(
        config: Config,
        dry_run: bool,
        observe: Option<(ObserveState, mpsc::Receiver<Trigger>)>,
    ) -> Result<Daemon, StartError> {
        let (observe, triggers) = observe.unzip();
        if let Some(observe) = &observe {
            attach(&config, observe)?;
        }
        if let Some(observe) = &observe {
            observe.readiness().set_config_loaded(true);
        }
        let mut clients = BTreeMap::new();
        let mut first_config = None;
        for (name, settings) in &config.platforms {
            let mut platform_config = platform_config(settings)
                .map_err(|e| StartError::Platform(format!("[platforms.{name}] {e}")))?;
            if let Some(observe) = &observe {
                platform_config.observer = Some(Arc::new(MetricsObserver(observe.clone())));
            }
            first_config.get_or_insert_with(|| platform_config.clone());
            let client = PlatformClient::new(platform_config)
                .map_err(|e| StartError::Platform(e.to_string()))?;
            clients.insert(name.clone(), client);
        }
        let platform = clients
            .values()
            .next()
            .cloned()
            .expect("at least one platform");
        let scope = Scope {
            platforms: clients.keys().cloned().collect(),
            environments: config.daemon.environments.clone(),
        };
        let state_dir = config.daemon.state_dir.clone();
        let (dir, url) = (state_dir.clone(), config.git.url.clone());
        let mirror = tokio::task::spawn_blocking(move || {
            Mirror::open(&dir, &url).map(|m| m.path().to_owned())
        })
        .await??;
        let git = Arc::new(config.git);
        let connection = Arc::new(GitRemote::new(&git));
        let mut notes = Notes::new(mirror.clone(), Some((REMOTE.to_owned(), connection)));
        if let Some(observe) = &observe {
            notes = notes.with_observe(observe.clone());
        }
        let dry_run = dry_run || config.daemon.dry_run;
        let first_config = first_config.expect("at least one platform");
        let tests = test_clients(&config.test_apps, &first_config)?;
        let secrets = SecretStore::new(config.daemon.secrets_dir.clone(), state_dir.clone());
        let mut by_platform = BTreeMap::new();
        for (name, client) in clients {
            let mut reconciler =
                Reconciler::new(client, notes.clone(), config.daemon.drift, dry_run)
                    .with_secrets(secrets.clone())
                    .with_test_clients(tests.clone());
            if let Some(observe) = &observe {
                reconciler = reconciler.with_observe(observe.clone());
            }
            by_platform.insert(name, reconciler);
        }
        let reconciler = Arc::new(Reconcilers::new(by_platform));
        Ok(Daemon {
            git,
            state_dir,
            mirror,
            reconciler,
            platform,
            scope,
            concurrency: config.daemon.concurrency,
            resync: config.daemon.resync_interval,
            full_resync: config.daemon.full_resync_interval,
            shutdown_grace: config.daemon.shutdown_grace,
            observe,
            dry_run,
            triggers: std::sync::Mutex::new(triggers),
        })
    }

    /// Fetches the branch; on a new head, reads it and pulls the notes.
    /// Returns the snapshot when the head changed.
    pub async fn refresh(&self) -> Result<Option<Arc<Snapshot>>, RefreshError> {
        if let Some(path) = missing_local_repository(&self.git.url) {
            return Err(RefreshError::NoSuchRepository(path.to_owned()));
        }
        let (state_dir, git) = (self.state_dir.clone(), self.git.clone());
        let (before, head) = tokio::task::spawn_blocking(move || {
            let mut mirror = Mirror::open(&state_dir, &git.url)?;
            let before = mirror.head(&git.branch).ok();
            mirror.fetch(&git).map(|head| (before, head))
        })
        .await??;
        // The remote answered: exchange notes on every refresh, not only on
        // a new commit, so notes written while it was away are pushed and a
        // note another writer changed is seen by the next pass.
        if let Err(e) = self.reconciler.notes().exchange().await {
            tracing::warn!(error = %e, "could not exchange status notes with the remote; retried at the next refresh");
        }
        self.keep_mirror_packed().await;
        if let Some(current) = self.reconciler.snapshot().filter(|s| s.commit == head) {
            self.fetch_followed(&current).await;
            return Ok(None);
        }
        let (mirror, bots_dir) = (self.mirror.clone(), self.git.bots_dir.clone());
        let scope = self.scope.clone();
        let snapshot = Arc::new(
            tokio::task::spawn_blocking(move || Snapshot::read(&mirror, head, &bots_dir, &scope))
                .await??,
        );
        tracing::info!(commit = %head, bots = snapshot.bots.len(), "new commit");
        for environment in snapshot.environments_missing(&self.scope) {
            tracing::warn!(
                environment,
                "[daemon] environments names an environment no bot folder has at this commit (a typo?)"
            );
        }
        // The branch moved since the mirror last saw it (a push, or a
        // force-push back to an older commit): the head is desired state,
        // whatever an older note on it says.
        let moved = before.is_some_and(|before| before != head);
        let gated = snapshot.bots.values().flatten();
        for (bot, problem) in self.reconciler.test_clients().unconfigured(gated) {
            tracing::error!(bot, %problem, "the bot's publish gate cannot run");
        }
        self.fetch_followed(&snapshot).await;
        self.reconciler.set_snapshot(snapshot.clone(), moved);
        Ok(Some(snapshot))
    }

    /// Fetches the branches and tags the targets of `snapshot` follow.
    async fn fetch_followed(&self, snapshot: &Snapshot) {
        let names = super::branches::followed(snapshot);
        let (state_dir, git) = (self.state_dir.clone(), self.git.clone());
        let heads = super::branches::fetch_followed(state_dir, git, names).await;
        self.reconciler.set_followed(heads);
    }

    /// Repacks the mirror when note writes and fetches have piled up objects,
    /// with the object store to itself (see [`crate::source::maintain`]).
    async fn keep_mirror_packed(&self) {
        let mirror = self.mirror.clone();
        match self
            .reconciler
            .notes()
            .exclusive(move || maintain(&mirror))
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not repack the git mirror"),
            Err(e) => tracing::warn!(error = %e, "the git mirror repack died"),
        }
    }

    /// From now on, a pass of a bot whose last full pass verified it in sync
    /// reads its change log instead of exporting it, until a full pass comes
    /// due (`[daemon] full_resync_interval`); what the daemon does, and
    /// tests that drive passes themselves.
    /// Verifications an earlier run kept in the state folder are taken up.
    pub fn trust_change_log(&self) {
        self.reconciler.set_full_resync(self.full_resync);
        self.reconciler
            .restore_verified(super::resume::load(&self.state_dir));
    }

    /// Saves the verifications in the state folder when they changed, so
    /// that a restart resumes cheap resyncs (see [`Daemon::trust_change_log`]).
    pub async fn keep_verifications(&self) {
        let Some(verified) = self.reconciler.verified_to_save() else {
            return;
        };
        let dir = self.state_dir.clone();
        match tokio::task::spawn_blocking(move || super::resume::save(&dir, &verified)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not save the verifications; a restart exports every bot")
            }
            Err(e) => tracing::warn!(error = %e, "saving the verifications died"),
        }
    }

    /// One pass over `only` (every bot folder when empty), at most
    /// `concurrency` at once; the reports in bot order.
    pub async fn pass_all(&self, only: &[String]) -> Vec<Report> {
        let Some(snapshot) = self.reconciler.snapshot() else {
            return Vec::new();
        };
        let bots: Vec<String> = snapshot
            .names()
            .filter(|name| only.is_empty() || only.iter().any(|o| o == name))
            .map(str::to_owned)
            .collect();
        let mut reports: Vec<Report> = self.pass_stream(bots).collect().await;
        reports.sort_by(|a, b| a.bot.cmp(&b.bot));
        reports
    }

    /// One pass over `bots`, at most `concurrency` at once, each report as
    /// its pass ends, so a command can print it at once. The stream ends once
    /// the notes of the passes are written and pushed.
    pub fn pass_stream(&self, bots: Vec<String>) -> impl Stream<Item = Report> + use<> {
        let notes = self.reconciler.notes().clone();
        let flushed = futures_util::stream::once(async move {
            if let Err(e) = notes.flush().await {
                tracing::warn!(error = %e, "could not write or push the status notes");
            }
        })
        .filter_map(|()| std::future::ready(None));
        let reconciler = self.reconciler.clone();
        // An operator's emergency pause holds for one-shot passes too.
        let paused = suspended_in(&self.state_dir);
        futures_util::stream::iter(bots)
            .map(move |bot| {
                let reconciler = reconciler.clone();
                let span = pass_span(&bot);
                let paused = paused.contains(&bot);
                async move {
                    match paused {
                        true => paused_report(&reconciler, &bot),
                        false => reconciler.reconcile(&bot).await,
                    }
                }
                .instrument(span)
            })
            .buffer_unordered(self.concurrency)
            .chain(flushed)
    }

    /// [`Daemon::pass_stream`] in waves, so that an environment that follows
    /// another (`after`) runs once the one it follows has run: a one-off
    /// `sync` then promotes in one run. Each wave runs concurrently.
    pub fn pass_stream_in_order(&self, bots: Vec<String>) -> impl Stream<Item = Report> + use<> {
        let waves = match self.reconciler.snapshot() {
            Some(snapshot) => super::promotion::waves(&snapshot, bots),
            None => vec![bots],
        };
        let streams: Vec<_> = waves.into_iter().map(|w| self.pass_stream(w)).collect();
        futures_util::stream::iter(streams).flatten()
    }

    /// The folders `--bot` names select at the current commit (every folder
    /// when `wanted` is empty). Get Bots is asked only when a name matches no
    /// folder and no `bot_name`.
    pub async fn select(&self, wanted: &[String]) -> Result<Vec<String>, SelectError> {
        let Some(snapshot) = self.reconciler.snapshot() else {
            return Ok(Vec::new());
        };
        if let Ok(bots) = select(&snapshot, wanted, None) {
            return Ok(bots);
        }
        let live = self.platform.list_bots().await?;
        select(&snapshot, wanted, Some(&live)).map_err(|unknown| SelectError::Unknown {
            unknown,
            known: known(&snapshot),
        })
    }

    /// Runs until `stop` is notified: fetches on start, on every poll, on a
    /// local commit and on `refresh` (the webhook); reconciles every bot on a
    /// new commit and at every resync. Returns the passes abandoned at stop.
    pub async fn run(self, stop: Arc<Notify>, refresh: Arc<Notify>) -> usize {
        let queue = WorkQueue::new();
        self.reconciler.set_requeued();
        self.trust_change_log();
        let watch = self.watch_local(refresh.clone());
        if let Some(triggers) = self.triggers.lock().ok().and_then(|mut t| t.take()) {
            let reconciler = self.reconciler.clone();
            tokio::spawn(forward_triggers(
                triggers,
                (queue.clone(), reconciler),
                refresh.clone(),
            ));
        }
        let (reconciler, observe) = (self.reconciler.clone(), self.observe.clone());
        let dry_run = self.dry_run;
        let followers_queue = queue.clone();
        let woken = Arc::new(WokenFor::default());
        let workers = tokio::spawn(run_workers(
            queue.clone(),
            self.concurrency,
            self.shutdown_grace,
            move |bot| {
                let (reconciler, observe) = (reconciler.clone(), observe.clone());
                let (queue, woken) = (followers_queue.clone(), woken.clone());
                let span = pass_span(&bot);
                async move {
                    match observe.filter(|o| o.is_suspended(&bot)) {
                        Some(o) => skipped_pass(&reconciler, &o, &bot, dry_run).await,
                        None => {
                            let report = reconciler.reconcile(&bot).await;
                            wake_followers(&reconciler, &queue, &woken, &report);
                            report.action
                        }
                    }
                }
                .instrument(span)
            },
        ));
        // Readiness asks the platforms once the first commit says which ones
        // this daemon's targets are on (never one it has no target on).
        let mut pinged = self.observe.is_none();
        let stopped = stop.notified();
        tokio::pin!(stopped);
        let mut failures = 0u32;
        let mut next_resync = Instant::now() + self.resync;
        loop {
            let previous = self.reconciler.snapshot();
            let delay = match self.refresh_observed().await {
                Ok(snapshot) => {
                    failures = 0;
                    if !pinged {
                        pinged = true;
                        self.reconciler.ping().await;
                    }
                    if let Some(snapshot) = snapshot {
                        self.schedule_changed(&queue, &snapshot, previous.as_deref());
                    }
                    self.git.poll_interval
                }
                Err(e) => {
                    failures += 1;
                    let delay = backoff(failures).min(self.git.poll_interval.max(backoff(1)));
                    tracing::warn!(error = %e, retry_in_s = delay.as_secs(), "git fetch failed; the last good commit stays in force");
                    delay
                }
            };
            if Instant::now() >= next_resync {
                next_resync = Instant::now() + self.resync;
                self.reconciler.resync();
                if let Some(snapshot) = self.reconciler.snapshot() {
                    self.schedule_all(&queue, &snapshot);
                }
            }
            self.keep_verifications().await;
            if let Some(observe) = &self.observe {
                observe.metrics().set_queue_depth(queue.len());
            }
            let wait = delay.min(next_resync.saturating_duration_since(Instant::now()));
            // After a failed fetch only the backoff ends the wait: a burst of
            // watch events (a repository being rewritten or removed) must not
            // turn the retry into a tight loop.
            let woken = async {
                if failures == 0 {
                    refresh.notified().await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = &mut stopped => break,
                () = woken => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
        drop(watch);
        tracing::info!("stopping: no new passes; waiting for passes in flight");
        queue.close();
        let abandoned = workers.await.unwrap_or(0);
        self.flush_notes().await;
        self.keep_verifications().await;
        abandoned
    }

    /// Writes and pushes the notes passes staged (a flush follows every pass
    /// shortly anyway; this one is waited for).
    pub async fn flush_notes(&self) {
        if let Err(e) = self.reconciler.notes().flush().await {
            tracing::warn!(error = %e, "could not write or push the status notes");
        }
    }

    /// [`Daemon::refresh`], counted in the metrics and readiness.
    async fn refresh_observed(&self) -> Result<Option<Arc<Snapshot>>, RefreshError> {
        let result = self.refresh().await;
        if let Some(observe) = &self.observe {
            let fetch = match &result {
                Ok(Some(_)) => FetchResult::Updated,
                Ok(None) => FetchResult::Unchanged,
                Err(_) => FetchResult::Failed,
            };
            observe.metrics().git_fetch(fetch);
            if result.is_ok() {
                observe.readiness().set_mirror_fetched(true);
            }
        }
        result
    }

    /// A new commit: the folders whose desired state moved are reconciled
    /// at once; the others keep their schedule (the next resync), so that the
    /// time from a push to its import does not grow with the repository.
    fn schedule_changed(
        &self,
        queue: &WorkQueue<String>,
        snapshot: &Snapshot,
        previous: Option<&Snapshot>,
    ) {
        if let Some(observe) = &self.observe {
            observe.set_known_bots(snapshot.names().map(str::to_owned));
        }
        let changed = snapshot.changed_since(previous);
        tracing::debug!(
            changed = changed.len(),
            bots = snapshot.bots.len(),
            "scheduling the folders the commit changed"
        );
        changed
            .into_iter()
            .for_each(|bot| queue.schedule_now(bot.to_owned()));
    }

    fn schedule_all(&self, queue: &WorkQueue<String>, snapshot: &Snapshot) {
        let names: Vec<String> = snapshot.names().map(str::to_owned).collect();
        if let Some(observe) = &self.observe {
            observe.set_known_bots(names.iter().cloned());
        }
        names.into_iter().for_each(|bot| queue.schedule_now(bot));
    }

    fn watch_local(&self, refresh: Arc<Notify>) -> Option<RefWatch> {
        let git_dir = local_repository(&self.git.url)?;
        match RefWatch::start(&git_dir, refresh) {
            Ok(watch) => Some(watch),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the local repository; polling only");
                None
            }
        }
    }
}

/// The commit at which each target last woke its followers.
type WokenFor = std::sync::Mutex<HashMap<String, crate::ids::CommitId>>;

/// After a pass that left its target Synced at a commit it had not yet
/// woken its followers for, the targets that follow it (`after`) look at
/// once instead of at their next recheck. Once per commit: an idle resync of
/// the followed target does not make its followers pass again.
fn wake_followers(
    reconciler: &Reconcilers,
    queue: &WorkQueue<String>,
    woken: &WokenFor,
    report: &Report,
) {
    let synced = report
        .status
        .as_ref()
        .is_some_and(|s| s.phase == Phase::Synced);
    let Some(snapshot) = reconciler.snapshot().filter(|_| synced) else {
        return;
    };
    let mut woken = woken
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if woken.insert(report.bot.clone(), report.commit) == Some(report.commit) {
        return;
    }
    drop(woken);
    for follower in super::promotion::followers(&snapshot, &report.bot) {
        queue.schedule_now(follower);
    }
}

/// Webhook and manual triggers: a refresh wakes the fetch loop, a bot is
/// woken (even one parked until a new commit) and scheduled now.
async fn forward_triggers(
    mut triggers: mpsc::Receiver<Trigger>,
    (queue, reconciler): (Arc<WorkQueue<String>>, Arc<Reconcilers>),
    refresh: Arc<Notify>,
) {
    while let Some(trigger) = triggers.recv().await {
        match trigger {
            Trigger::Refresh => refresh.notify_one(),
            Trigger::Bot(bot) => {
                reconciler.wake(&bot);
                queue.schedule_now(bot);
            }
        }
    }
}

/// The path of a local repository URL (a path or `file://`) that does not
/// exist, which git would report as an "unsupported URL protocol".
fn missing_local_repository(url: &str) -> Option<&str> {
    let path = match url.strip_prefix("file://") {
        Some(path) => path,
        None if url.contains("://") => return None,
        // scp-like `host:path` is ssh; a local path with a colon needs ./ or /.
        None if url.split('/').next().is_some_and(|head| head.contains(':')) => return None,
        None => url,
    };
    (!std::path::Path::new(path).exists()).then_some(path)
}

/// A failed refresh: the last good commit stays in force.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The configured local repository path does not exist.
    #[error("no such repository: {0} does not exist")]
    NoSuchRepository(String),
    /// Fetching failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The commit could not be read as a bot repository.
    #[error("reading the new commit: {0}")]
    Repository(#[from] crate::desired::RepoError),
    /// A blocking task died.
    #[error("internal: {0}")]
    Internal(#[from] tokio::task::JoinError),
}

/// A client per `[test_apps]` app: the platform's settings, the app's
/// credentials.
fn test_clients(
    apps: &std::collections::BTreeMap<String, crate::config::TestApp>,
    platform: &PlatformConfig,
) -> Result<super::gate::TestClients, StartError> {
    let mut clients = std::collections::BTreeMap::new();
    for (name, app) in apps {
        let invalid = |what: String| StartError::Platform(format!("[test_apps.{name}] {what}"));
        let mut config = platform.clone();
        config.credentials = Credentials {
            client_id: ClientId::new(app.client_id.clone()).map_err(|e| invalid(e.to_string()))?,
            client_secret: app.client_secret.expose_secret().to_owned().into(),
            jwe: false,
        };
        let client = PlatformClient::new(config).map_err(|e| invalid(e.to_string()))?;
        clients.insert(name.clone(), client);
    }
    Ok(super::gate::TestClients::new(clients))
}

/// The platform client's configuration from the `[platform]` settings.
pub fn platform_config(settings: &PlatformSettings) -> Result<PlatformConfig, StartError> {
    let invalid = |what: String| StartError::Platform(what);
    let url = settings
        .host
        .parse()
        .map_err(|e| invalid(format!("host {:?}: {e}", settings.host)))?;
    let credentials = Credentials {
        client_id: ClientId::new(settings.client_id.clone()).map_err(|e| invalid(e.to_string()))?,
        client_secret: settings.client_secret.expose_secret().to_owned().into(),
        jwe: settings.jwe,
    };
    let mut platform = PlatformConfig::new(url, credentials);
    platform.api_prefix = settings.api_prefix.clone();
    platform.request_timeout = settings.request_timeout;
    platform.connect_timeout = settings.connect_timeout;
    platform.job_deadline = settings.job_timeout;
    platform.poll_interval = settings.job_poll_interval;
    platform.network = settings.network.clone();
    Ok(platform)
}
