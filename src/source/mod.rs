//! Where the bot definitions come from: a git2 mirror of the remote in the
//! state folder, fetched on every trigger, and for a local repository a
//! file-system watch on its refs so a commit is seen within a second.
//!
//! Bot folders are read straight from the fetched commit's tree (by
//! `desired`), never from a checkout.

mod auth;
mod connect;
mod mirror;
mod pack;
mod preflight;
pub(crate) mod trust;
mod watch;

pub use auth::remote_callbacks;
pub use connect::{Connect, GitRemote};
pub use mirror::{MIRROR_DIR, Mirror, REMOTE, SourceError};
pub use pack::{LOOSE_LIMIT, PACK_LIMIT, Repacked, loose_objects, maintain};
pub use watch::{RefWatch, local_repository};
