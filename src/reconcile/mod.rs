//! Reconciliation: the one place that ties source, desired, platform, diff and
//! status together.
//!
//! - [`queue`]: the keyed work queue every trigger feeds.
//! - [`policy`]: what to do after a pass, and the error policy.

pub mod policy;
pub mod queue;

pub use policy::{Action, Retry, error_policy};
pub use queue::{Lease, WorkQueue};
