//! Helpers shared by the integration tests.

pub mod client;
pub mod fixtures;
pub mod git;
pub mod git_host;
pub mod git_http;
pub mod logs;
pub mod process;
pub mod proxy;
pub mod sim;
pub mod tls;
