//! A hook through which the client reports its calls, retries and pacing
//! waits, so the daemon can count them without the client knowing about
//! metrics.

use std::fmt::Debug;
use std::time::Duration;

use super::error::Operation;

/// Told about every call the client makes.
pub trait CallObserver: Send + Sync + Debug {
    /// One attempt ended: `status` is the HTTP status, `None` when no answer came.
    fn call(&self, op: Operation, status: Option<u16>);
    /// A failed attempt is about to be retried.
    fn retry(&self, op: Operation);
    /// A call waited `waited` for its rate-limit slot.
    fn paced(&self, waited: Duration);
}
