//! The integration tests: one binary, real sockets on loopback, real git.

mod platform;
mod status;
mod support;
