//! The platform client: one per app, cheap to clone, safe to share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::ids::BotId;

use super::auth::{AuthError, TokenMinter};
use super::config::PlatformConfig;
use super::http::Http;
use super::jobs::Patience;
use super::pacing::PaceKey;

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the HTTP client could not be built: {0}")]
    Http(String),
}

/// Talks to one platform host as one app. Operations live in `ops/`.
#[derive(Debug, Clone)]
pub struct PlatformClient {
    pub(crate) http: Http,
    pub(crate) config: Arc<PlatformConfig>,
    /// One export per bot at a time: the export status has no request id.
    export_locks: Arc<Mutex<HashMap<BotId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl PlatformClient {
    /// Builds the client; a JWE app or an empty secret is refused here.
    pub fn new(config: PlatformConfig) -> Result<Self, ClientError> {
        let minter = TokenMinter::new(config.credentials.clone())?;
        let http = Http::new(&config, minter).map_err(|err| ClientError::Http(err.to_string()))?;
        Ok(PlatformClient {
            http,
            config: Arc::new(config),
            export_locks: Arc::default(),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &PlatformConfig {
        &self.config
    }

    /// The lock that keeps exports of `bot` from overlapping.
    pub(crate) fn export_lock(&self, bot: &BotId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .export_locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        locks.entry(bot.clone()).or_default().clone()
    }

    /// How long a pass would wait for the budgets of a non-idempotent call
    /// on `bot` preceded by `uploads` uploads (the account-wide upload budget
    /// and the bot's design-time budget): zero when they fit now. Nothing is
    /// booked.
    pub fn budget_wait(&self, bot: &BotId, uploads: u32) -> std::time::Duration {
        let design = self.http.budget_wait(&PaceKey::DesignTime(bot.clone()), 1);
        match uploads {
            0 => design,
            n => design.max(self.http.budget_wait(&PaceKey::Upload, n)),
        }
    }

    /// How to wait for jobs, from the configuration.
    pub(crate) fn patience(&self) -> Patience {
        Patience {
            interval: self.config.poll_interval,
            max_interval: self.config.max_poll_interval,
            deadline: self.config.job_deadline,
        }
    }
}
