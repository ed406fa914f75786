//! kore-gitops keeps Kore.ai XO bots in step with a git repository.
//!
//! # Layout
//!
//! The modules follow the data as it flows through the daemon:
//!
//! - [`cli`]: the command line (clap); each command calls into the modules below.
//! - [`config`]: the TOML file and environment overrides, validated at once.
//! - [`cpu`]: CPU-bound work off the runtime, one job per core at a time.
//! - [`ids`]: identifiers shared by every module (`BotId`, `CommitId`, `Digest`).
//! - [`source`]: the git mirror (fetch, credentials) and the local ref watch.
//! - [`desired`]: bot folders of the repository (at a commit, or a plain folder) ->
//!   `DesiredBot`; repository lint (`validate`).
//! - [`platform`]: the Kore.ai client: JWT, pacing and retries, asynchronous jobs, and the
//!   export zip read as untrusted input.
//! - [`diff`]: normalise both sides, digest, and describe differences per component
//!   (pure and synchronous).
//! - [`reconcile`]: the work queue, the pass decision and the worker loop.
//! - [`status`]: the outcome of each reconcile as a git note on the commit.
//! - [`network`]: trust (CA files on top of the system store) and proxies, for git and the
//!   platform client alike.
//! - [`observe`]: logging, metrics, and the HTTP endpoints (health, readiness,
//!   metrics, status, push webhooks, manual triggers).
//! - [`sim`]: the Kore.ai platform simulator; talks to the rest only over HTTP.

pub mod cli;
pub mod config;
pub mod cpu;
pub mod desired;
pub mod diff;
pub mod ids;
pub mod limits;
pub mod network;
pub mod observe;
pub mod platform;
pub mod reconcile;
pub mod sim;
pub mod source;
pub mod status;
