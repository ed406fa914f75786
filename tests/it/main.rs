//! The integration tests: one binary, real sockets on loopback, real git.

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
