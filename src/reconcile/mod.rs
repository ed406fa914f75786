//! Reconciliation: the one place that ties source, desired, platform, diff and
//! status together.
//!
//! - [`queue`]: the keyed work queue every trigger feeds.
//! - [`runner`]: the worker loop with bounded concurrency and graceful stop.
//! - [`pass`]: one pass of one bot, and what passes share ([`Reconciler`]);
//!   `converge` decides it (exports, or the change log on an idle resync),
//!   `stages` carries out an apply on the platform as stages that may span
//!   passes (a pass waiting on a job ends with "look again in T"), `steps`
//!   holds the checks between them, `bookkeeping` is what passes remember
//!   (attempts, parked bots, lost imports, verifications, applies waiting
//!   on a job).
//! - [`plan`]: the decision of a pass, a pure function of digests.
//! - [`policy`]: what to do after a pass, and the error policy.
//! - [`targets`]: the live bot of every folder of a commit, and the folders
//!   that share one (refused); the account's bots, read once and kept.
//! - [`notes`]: status notes staged in memory and written in batches.

mod apply;
mod attach;
mod bookkeeping;
mod branches;
mod converge;
mod convert;
pub mod daemon;
pub mod error;
pub mod gate;
mod guard;
pub mod identity;
mod live;
pub mod notes;
mod notes_flush;
pub mod pass;
pub mod plan;
pub mod policy;
pub mod promotion;
pub mod queue;
mod resume;
pub mod router;
pub mod runner;
pub mod secrets;
pub mod select;
pub mod snapshot;
mod stages;
mod steps;
pub mod suspend;
pub mod targets;
pub mod telemetry;
mod trim;

pub use apply::upload_and_import;
pub use daemon::Daemon;
pub use error::PassError;
pub use notes::Notes;
pub use pass::{Reconciler, Report};
pub use plan::{Observed, Plan, Steps, decide};
pub use policy::{Action, Retry, error_policy};
pub use queue::{Lease, WorkQueue};
pub use runner::run_workers;
pub use select::SelectError;
pub use snapshot::Snapshot;
