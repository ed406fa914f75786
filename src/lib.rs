//! kore-gitops keeps Kore.ai XO bots in step with a git repository.
//!
//! # Layout
//!
//! The modules follow the data as it flows through the daemon:
//!
//! - [`cli`]: the command line (clap); each command calls into the modules below.
//! - [`ids`]: identifiers shared by every module (`BotId`, `CommitId`, `Digest`).
//! - [`platform`]: the Kore.ai client: JWT, pacing and retries, asynchronous jobs, and the
//!   export zip read as untrusted input.
//! - [`status`]: the outcome of each reconcile as a git note on the commit.
//! - [`observe`]: logging (and later metrics and the HTTP endpoints).

pub mod cli;
pub mod ids;
pub mod observe;
pub mod platform;
pub mod status;
