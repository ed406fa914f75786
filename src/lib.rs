//! kore-gitops keeps Kore.ai XO bots in step with a git repository.
//!
//! # Layout
//!
//! The modules follow the data as it flows through the daemon:
//!
//! - [`cli`]: the command line (clap); each command calls into the modules below.
//! - [`ids`]: identifiers shared by every module (`BotId`, `CommitId`, `Digest`).
//! - [`desired`]: bot folders of the repository (at a commit, or a plain folder) ->
//!   `DesiredBot`; repository lint (`validate`).
//! - [`diff`]: normalise both sides, digest, and describe differences per component
//!   (pure and synchronous).
//! - [`observe`]: logging (and later metrics and the HTTP endpoints).

pub mod cli;
pub mod desired;
pub mod diff;
pub mod ids;
pub mod observe;
