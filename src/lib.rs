//! kore-gitops keeps Kore.ai XO bots in step with a git repository.
//!
//! # Layout
//!
//! The modules follow the data as it flows through the daemon:
//!
//! - [`cli`]: the command line (clap); each command calls into the modules below.
//! - [`config`]: the TOML file and environment overrides, validated at once.
//! - [`ids`]: identifiers shared by every module (`BotId`, `CommitId`, `Digest`).
//! - [`reconcile`]: the work queue (and, next, the per-bot pipeline).
//! - [`source`]: the git mirror (fetch, credentials) and the local ref watch.
//! - [`status`]: the outcome of each reconcile as a git note on the commit.
//! - [`observe`]: logging, metrics, and the HTTP endpoints (health, readiness,
//!   metrics, status, push webhooks, manual triggers).
//! - [`sim`]: the Kore.ai platform simulator; talks to the rest only over HTTP.

pub mod cli;
pub mod config;
pub mod ids;
pub mod observe;
pub mod reconcile;
pub mod sim;
pub mod source;
pub mod status;
