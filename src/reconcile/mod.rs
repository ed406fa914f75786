//! Reconciliation: the one place that ties source, desired, platform, diff and
//! status together.
//!
//! - [`queue`]: the keyed work queue every trigger feeds.

pub mod queue;

pub use queue::{Lease, WorkQueue};
