//! The daemon's HTTP face over real loopback HTTP: push webhooks of the four
//! hosts, health and readiness, status, manual triggers, metrics, secrets kept
//! out of logs, and the deployment manifests.

mod deploy;
mod endpoints;
pub mod harness;
mod limits;
mod log_pipe;
mod metrics;
pub mod monitoring;
mod payloads;
mod recipes;
mod secrets;
mod status_sender;
mod webhooks;
