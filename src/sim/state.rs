//! The simulator's model: one account with its apps, bots (each with an
//! in-development and a published copy), uploaded files, export files,
//! jobs, faults and counters. Handlers lock it briefly; nothing awaits
//! while holding the lock.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::auth::JtiLedger;
use super::config::{AppConfig, JobMode, SimConfig};
use super::crypto;
use super::faults::Faults;
use super::history::{Event, History};
use super::jobs::{Job, JobIndex};
use super::limits::RateLimiter;
use super::seed::BotFiles;

/// Admin Console (account-wide) or App Builder (per bot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    Admin,
    Builder,
}

/// An API app: client id, secret, kind, scopes.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    pub kind: AppKind,
    pub scopes: Vec<String>,
    pub jti_enforced: bool,
    pub client_id: String,
    pub secret: SecretString,
    /// An App Builder app's own bot, the only one it may reach (set by
    /// `auth::bind_builders` once the seeds are known).
    pub bot: Option<String>,
}

impl App {
    /// Builds an app from its configuration, deriving missing ids.
    pub fn from_config(config: &AppConfig) -> Result<Self, String> {
        let kind = match config.kind.as_str() {
            "admin" => AppKind::Admin,
            "builder" => AppKind::Builder,
            other => return Err(format!("app {:?}: unknown kind {other:?}", config.name)),
        };
        Ok(Self {
            name: config.name.clone(),
            kind,
            scopes: config.scopes.clone(),
            jti_enforced: config.jti_enforced,
            client_id: config
                .client_id
                .clone()
                .unwrap_or_else(|| crypto::client_id(&config.name)),
            secret: config
                .client_secret
                .clone()
                .unwrap_or_else(|| crypto::client_secret(&config.name))
                .into(),
            bot: config.bot.clone(),
        })
    }

    pub fn secret_bytes(&self) -> &[u8] {
        self.secret.expose_secret().as_bytes()
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            AppKind::Admin => "admin",
            AppKind::Builder => "builder",
        }
    }
}

/// A seeded bot as it was at start, to reset to.
#[derive(Debug, Clone)]
pub struct SeedBot {
    pub id: String,
    pub seed_name: String,
    pub files: Arc<BotFiles>,
}

/// One bot of the account.
#[derive(Debug)]
pub struct Bot {
    pub id: String,
    pub seed_name: String,
    pub dev: Arc<BotFiles>,
    pub published: Arc<BotFiles>,
    /// A publish waiting for approval holds the copy it will publish.
    pub awaiting_approval: Option<Arc<BotFiles>>,
    pub channels_enabled: bool,
    pub exports: u64,
    pub imports: u64,
    pub trainings: u64,
    pub publishes: u64,
    pub last_version_comment: Option<String>,
    pub publish_state: &'static str,
    pub ml_in_sync: HashMap<String, bool>,
    pub created_on: String,
    /// What changed the bot's copies, in order.
    pub history: History,
    /// The platform's change log of the bot, oldest first.
    pub changelog: Vec<super::changelog::Entry>,
    /// Batch test suites (not part of exports or imports).
    pub suites: Vec<super::testsuite::Suite>,
    pub suite_imports: u64,
    pub test_runs: u64,
    /// The copy each language's model was last trained on (absent: the seed).
    pub trained: HashMap<String, Arc<BotFiles>>,
    seed_copy: Arc<BotFiles>,
}

impl Bot {
    pub fn from_seed(seed: &SeedBot, created_on: &str) -> Self {
        Self {
            id: seed.id.clone(),
            seed_name: seed.seed_name.clone(),
            dev: seed.files.clone(),
            published: seed.files.clone(),
            awaiting_approval: None,
            channels_enabled: true,
            exports: 0,
            imports: 0,
            trainings: 0,
            publishes: 0,
            last_version_comment: None,
            publish_state: "published",
            ml_in_sync: HashMap::new(),
            created_on: created_on.to_owned(),
            history: History::default(),
            changelog: Vec::new(),
            suites: Vec::new(),
            suite_imports: 0,
            test_runs: 0,
            trained: HashMap::new(),
            seed_copy: seed.files.clone(),
        }
    }

    /// The copy whose model answers for `language` of the in-development
    /// bot: the one its last training saw (the seed before any training).
    pub fn trained_copy(&self, language: &str) -> Arc<BotFiles> {
        self.trained
            .get(language)
            .unwrap_or(&self.seed_copy)
            .clone()
    }
}

/// An uploaded file.
#[derive(Debug)]
pub struct Upload {
    pub bytes: Arc<Vec<u8>>,
    pub extension: String,
    pub expires: Instant,
}

/// The whole model.
#[derive(Debug)]
pub struct State {
    pub config: SimConfig,
    pub base_url: String,
    pub apps: Vec<App>,
    pub seeds: Vec<SeedBot>,
    pub bots: Vec<Bot>,
    pub uploads: HashMap<String, Upload>,
    /// Export archives by file id.
    pub exports: HashMap<String, Arc<Vec<u8>>>,
    /// When each export's link expires (since `started`), oldest first:
    /// the platform keeps an export only as long as its link works, and so
    /// does the simulator (a daemon exporting for hours kept every zip).
    pub export_expiry: VecDeque<(Duration, String)>,
    pub jobs: Vec<Job>,
    /// Where the jobs are (see [`JobIndex`]).
    pub job_index: JobIndex,
    /// Each bot's place in `bots`, by id.
    bot_index: HashMap<String, usize>,
    pub faults: Faults,
    pub limiter: RateLimiter,
    pub jti: JtiLedger,
    /// Download links with a sequence number below this are expired.
    pub links_expired_below: u64,
    pub links_issued: u64,
    /// Signs download links; random per run.
    pub link_key: [u8; 32],
    pub started: Instant,
    pub last_stamp: chrono::DateTime<chrono::Utc>,
    pub last_log_stamp: chrono::DateTime<chrono::Utc>,
    /// Designer edits waiting for a job of a bot to reach a point.
    pub edit_hooks: Vec<super::hooks::EditHook>,
}

/// The state shared by handlers.
pub type Shared = Arc<Mutex<State>>;

/// Locks the state, recovering it if a handler panicked while holding it.
pub fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    /// How long a download link works.
    pub fn link_ttl(&self) -> Duration {
        Duration::from_secs(self.config.link_ttl_secs)
    }

    /// Drops the export archives whose links have expired.
    pub fn forget_expired_exports(&mut self) {
        let now = self.started.elapsed();
        while let Some((expires, _)) = self.export_expiry.front() {
            if *expires > now {
                break;
            }
            if let Some((_, file_id)) = self.export_expiry.pop_front() {
                self.exports.remove(&file_id);
            }
        }
    }

    pub fn new(config: SimConfig, apps: Vec<App>, seeds: Vec<SeedBot>) -> Self {
        let mut state = Self {
            config,
            base_url: String::new(),
            apps,
            seeds,
            bots: Vec::new(),
            uploads: HashMap::new(),
            exports: HashMap::new(),
            export_expiry: VecDeque::new(),
            jobs: Vec::new(),
            job_index: JobIndex::default(),
            bot_index: HashMap::new(),
            faults: Faults::default(),
            limiter: RateLimiter::default(),
            jti: JtiLedger::default(),
            links_expired_below: 0,
            links_issued: 0,
            link_key: crypto::hmac_sha256(crypto::random_hex(64).as_bytes(), b"links"),
            started: Instant::now(),
            last_stamp: chrono::Utc::now(),
            last_log_stamp: chrono::Utc::now(),
            edit_hooks: Vec::new(),
        };
        state.reset_bots();
        state
    }

    /// Back to the seeded bots, with nothing uploaded, exported or running.
    pub fn reset_bots(&mut self) {
        let created_on = self.iso_now();
        self.bots = self
            .seeds
            .iter()
            .map(|seed| Bot::from_seed(seed, &created_on))
            .collect();
        self.uploads.clear();
        self.exports.clear();
        self.export_expiry.clear();
        self.jobs.clear();
        self.job_index.clear();
        self.edit_hooks.clear();
        self.bot_index = (self.bots.iter().enumerate())
            .map(|(n, b)| (b.id.clone(), n))
            .collect();
    }

    pub fn bot(&self, id: &str) -> Option<&Bot> {
        self.bot_index.get(id).map(|n| &self.bots[*n])
    }

    pub fn bot_mut(&mut self, id: &str) -> Option<&mut Bot> {
        self.bot_index.get(id).map(|n| &mut self.bots[*n])
    }

    /// Appends to a bot's history (an unknown bot has none).
    pub fn record(&mut self, bot_id: &str, event: Event) {
        if let Some(bot) = self.bot_mut(bot_id) {
            bot.history.push(event);
        }
    }

    /// Replaces the in-development definition, as a live edit in the UI
    /// would; `false` when there is no such bot.
    pub fn replace_dev_definition(&mut self, bot_id: &str, definition: serde_json::Value) -> bool {
        let Some(bot) = self.bot_mut(bot_id) else {
            return false;
        };
        let files = BotFiles {
            definition,
            ..bot.dev.as_ref().clone()
        };
        let digest = super::archive::digest(&files);
        bot.dev = Arc::new(files);
        bot.history.push(Event::Edit { digest });
        let author = super::changelog::Author::Designer;
        self.log_change(bot_id, author, ("stream", bot_id), "Bot updated".into());
        true
    }

    /// An export time at least one second after the previous export's, so
    /// that even second-precision dates (`botEvents` `lMod`) differ between
    /// two exports; it runs ahead of the clock only under bursts of exports.
    pub fn next_export_stamp(&mut self) -> chrono::DateTime<chrono::Utc> {
        let now = chrono::Utc::now();
        let next = self.last_stamp + chrono::Duration::seconds(1);
        self.last_stamp = now.max(next);
        self.last_stamp
    }

    /// The ISO time the platform puts on documents.
    pub fn iso_now(&self) -> String {
        chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    }

    /// When a job created now is due, by the job mode.
    pub fn job_due(&self, now: Instant) -> Option<Instant> {
        match self.config.job_mode {
            JobMode::Instant => Some(now),
            JobMode::Timed => Some(now + self.config.job_duration()),
            JobMode::Manual => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_export_is_forgotten_once_its_link_has_expired() {
        let mut config = SimConfig::instant();
        config.link_ttl_secs = 60;
        let mut state = State::new(config, Vec::new(), Vec::new());
        for (file, at) in [("old", 0), ("new", 30)] {
            tokio::time::advance(Duration::from_secs(at)).await;
            let expires = state.started.elapsed() + state.link_ttl();
            state.exports.insert(file.to_owned(), Arc::new(vec![0; 10]));
            state.export_expiry.push_back((expires, file.to_owned()));
        }
        tokio::time::advance(Duration::from_secs(29)).await;
        state.forget_expired_exports();
        assert_eq!(state.exports.len(), 2, "both links still work");
        tokio::time::advance(Duration::from_secs(1)).await;
        state.forget_expired_exports();
        assert!(!state.exports.contains_key("old") && state.exports.contains_key("new"));
        assert_eq!(state.export_expiry.len(), 1);
    }
}
