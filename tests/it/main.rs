//! The integration tests: one binary, real sockets on loopback, real git.

mod source;
mod status;
mod support;
