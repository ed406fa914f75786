//! The integration tests: one binary, real sockets on loopback, real git.

mod observe;
mod readme;
mod sim;
mod source;
mod status;
mod support;
