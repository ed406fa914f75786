//! The integration tests: one binary, real sockets on loopback, real git.

mod diff;
mod support;
