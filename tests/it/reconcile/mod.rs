//! End to end: the simulator, real git repositories, and kore-gitops passes.

mod converge;
mod daemon;
mod faults;
mod policy;
mod secrets;
mod soak;
pub mod world;
