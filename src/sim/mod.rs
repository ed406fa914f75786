//! The Kore.ai XO platform simulator (`kore-gitops sim`).
//!
//! A stateful model of one account (apps, bots with an in-development and a
//! published copy, uploads, jobs) behind an axum router, serving every
//! endpoint of `platform-api.md` under `/api/public` and `/api/1.1/public`
//! with the platform's quirks, plus a test-only control API under `/_sim/`
//! (scripted faults, job stepping, inspection, reset) and a request log of
//! the latest calls (`request_log_entries`), with exact counters beside it.
//!
//! It imports nothing from the rest of the crate and has its own wire
//! types: the daemon talks to it only over HTTP, so a serialisation slip on
//! one side cannot be mirrored on the other.

pub mod api;
pub mod archive;
pub mod auth;
pub mod changelog;
pub mod cli;
pub mod components;
pub mod config;
pub mod control;
pub mod crypto;
pub mod error;
pub mod faults;
pub mod history;
pub mod hooks;
pub mod identity;
pub mod jobs;
pub mod limits;
pub mod merge;
pub mod numbers;
pub mod scripted;
pub mod seed;
pub mod server;
pub mod shuffle;
pub mod state;
pub mod testsuite;
pub mod volatile;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{IdentityRewrite, JobMode, SimConfig};
pub use error::SimError;
pub use server::TlsIdentity;

use error::ApiError;
use seed::BotFiles;
use state::{App, SeedBot, Shared, State};

/// Largest request body (uploads of big bot definitions).
const BODY_LIMIT: usize = 100 * 1024 * 1024;

/// What to start.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub listen: SocketAddr,
    pub seeds: Vec<PathBuf>,
    pub config: SimConfig,
    /// Serve HTTPS with this certificate (plain HTTP when `None`).
    pub tls: Option<server::TlsIdentity>,
}

/// Everything a client needs: base URL, apps with secrets, bot ids.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub base_url: String,
    pub apps: Vec<AppCredential>,
    pub bots: Vec<SeededBot>,
}

/// One app's credentials.
#[derive(Clone, Serialize, Deserialize)]
pub struct AppCredential {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub kind: String,
    pub scopes: Vec<String>,
    pub jti_enforced: bool,
}

/// A seeded bot: its seed name and platform id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeededBot {
    pub name: String,
    pub id: String,
}

impl Credentials {
    /// The app named `name`; panics when there is none (a test set-up error).
    pub fn app(&self, name: &str) -> &AppCredential {
        self.apps
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no sim app {name:?}"))
    }

    /// The bot seeded from `name`; panics when there is none (a test set-up error).
    pub fn bot(&self, name: &str) -> &SeededBot {
        self.bots
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no sim bot {name:?}"))
    }
}

impl fmt::Debug for AppCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredential")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("kind", &self.kind)
            .field("scopes", &self.scopes)
            .field("jti_enforced", &self.jti_enforced)
            .finish()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("base_url", &self.base_url)
            .field("apps", &self.apps)
            .field("bots", &self.bots)
            .finish()
    }
}

/// A running simulator; dropping it stops the server.
#[derive(Debug)]
pub struct RunningSim {
    pub base_url: String,
    pub credentials: Credentials,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningSim {
    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The router: platform endpoints under both prefixes, the download links,
/// and the control API under `/_sim`.
pub fn router(state: Shared) -> Router {
    Router::new()
        .nest("/api/public", api::platform_routes())
        .nest("/api/1.1/public", api::platform_routes())
        .route(
            "/api/getMediaStream/orgFiles/{file}",
            get(api::download::download),
        )
        .nest("/_sim", control::routes())
        .fallback(|| async { ApiError::not_found("No such API") })
        .layer(from_fn_with_state(state.clone(), api::gate))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Loads the seeds, binds, and serves in the background.
pub async fn start(options: SimOptions) -> Result<RunningSim, SimError> {
    let SimOptions {
        listen,
        seeds,
        config,
        tls,
    } = options;
    let tls = tls
        .map(|identity| identity.acceptor())
        .transpose()
        .map_err(SimError::Config)?;
    let extra = config.extra_bots;
    let mode = match config.stamp_seeds {
        true => config.identity_rewrite,
        false => IdentityRewrite::None,
    };
    let seeds = tokio::task::spawn_blocking(move || load_seeds(&seeds, extra, mode))
        .await
        .map_err(|e| SimError::Config(format!("seed loading panicked: {e}")))??;
    let mut apps = config
        .apps
        .iter()
        .map(App::from_config)
        .collect::<Result<Vec<_>, _>>()
        .map_err(SimError::Config)?;
    auth::bind_builders(&mut apps, &seeds);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: listen.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: listen.to_string(),
        source,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{addr}");
    let mut model = State::new(config, apps, seeds);
    model.base_url = base_url.clone();
    let credentials = credentials(&model);
    let shared: Shared = Arc::new(Mutex::new(model));
    let (sender, receiver) = oneshot::channel();
    let task = tokio::spawn(server::serve(listener, router(shared), receiver, tls));
    Ok(RunningSim {
        base_url,
        credentials,
        shutdown: Some(sender),
        task,
    })
}

fn credentials(model: &State) -> Credentials {
    Credentials {
        base_url: model.base_url.clone(),
        apps: model
            .apps
            .iter()
            .map(|app| AppCredential {
                name: app.name.clone(),
                client_id: app.client_id.clone(),
                client_secret: app.secret.expose_secret().to_owned(),
                kind: app.kind_name().to_owned(),
                scopes: app.scopes.clone(),
                jti_enforced: app.jti_enforced,
            })
            .collect(),
        bots: model
            .seeds
            .iter()
            .map(|s| SeededBot {
                name: s.seed_name.clone(),
                id: s.id.clone(),
            })
            .collect(),
    }
}

/// Reads every seed, plus `extra` synthetic clones of the first one, each
/// stamped with its own bot id as `mode` says.
fn load_seeds(
    paths: &[PathBuf],
    extra: usize,
    mode: IdentityRewrite,
) -> Result<Vec<SeedBot>, SimError> {
    let mut seeds: Vec<SeedBot> = Vec::new();
    for path in paths {
        let seed_name = seed::seed_name(path);
        if seeds.iter().any(|s| s.seed_name == seed_name) {
            return Err(SimError::DuplicateSeed(seed_name));
        }
        let id = crypto::bot_id(&seed_name);
        let mut files = seed::load(path)?;
        stamp_seed(&mut files, &id, mode);
        seeds.push(SeedBot {
            id,
            seed_name,
            files: Arc::new(files),
        });
    }
    if extra > 0 {
        let first = seeds
            .first()
            .cloned()
            .ok_or_else(|| SimError::Config("extra_bots needs at least one seed".into()))?;
        for n in 1..=extra {
            seeds.push(clone_seed(&first, n, mode));
        }
    }
    Ok(seeds)
}

fn stamp_seed(files: &mut BotFiles, bot_id: &str, mode: IdentityRewrite) {
    let target = identity::Target {
        bot_id,
        current: None,
    };
    identity::stamp(&mut files.definition, target, mode);
}

fn clone_seed(first: &SeedBot, n: usize, mode: IdentityRewrite) -> SeedBot {
    let seed_name = format!("{}-extra-{n}", first.seed_name);
    let id = crypto::bot_id(&seed_name);
    let mut files: BotFiles = first.files.as_ref().clone();
    stamp_seed(&mut files, &id, mode);
    if let Some(config) = files.config.as_object_mut() {
        config.insert(
            "name".into(),
            format!("{} {n}", first.files.bot_name()).into(),
        );
    }
    SeedBot {
        id,
        seed_name,
        files: Arc::new(files),
    }
}
