//! kore-gitops keeps Kore.ai XO bots in step with a git repository.
//!
//! # Layout
//!
//! The modules follow the data as it flows through the daemon:
//!
//! - [`cli`]: the command line (clap); each command calls into the modules below.
//! - [`ids`]: identifiers shared by every module (`BotId`, `CommitId`, `Digest`).
//! - [`observe`]: logging (and later metrics and the HTTP endpoints).
//! - [`sim`]: the Kore.ai platform simulator; talks to the rest only over HTTP.

pub mod cli;
pub mod ids;
pub mod observe;
pub mod sim;
