//! Black-box tests of the platform simulator over real HTTP.

mod auth;
mod binary;
mod control;
mod flow;
mod gaps;
mod identity;
mod options;
mod testsuite;
mod volatile;
