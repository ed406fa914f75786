//! End to end: the simulator, real git repositories, and kore-gitops passes.

mod append;
mod converge;
mod crash;
mod credentials;
mod daemon;
mod faults;
mod follow;
mod gate;
mod languages;
mod logs;
mod lost;
mod monitoring;
mod notify;
mod operator;
mod policy;
mod requeue;
mod resync;
mod scale;
mod secrets;
mod signals;
mod soak;
mod statuses;
mod superseded;
mod targets;
mod truth;
mod waits;
pub mod world;
