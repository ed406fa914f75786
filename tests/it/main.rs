//! The integration tests: one binary, real sockets on loopback, real git.

// The benches' world of N generated bots serves the scale tests too; it
// finds its git helpers at `crate::git`, as in the benches.
#[allow(dead_code)]
#[path = "../../benches/support/world.rs"]
mod bench_world;
use support::git;

mod commands;
mod diff;
mod environments;
mod network;
mod observe;
mod platform;
mod readme;
mod reconcile;
mod sim;
mod source;
mod status;
mod support;
