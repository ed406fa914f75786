//! The integration tests: one binary, real sockets on loopback, real git.

mod sim;
mod source;
mod status;
mod support;
