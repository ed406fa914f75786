//! What an operator sees and how the outside reaches the daemon: structured
//! logs, Prometheus metrics, and the HTTP endpoints (health, readiness,
//! metrics, status, push webhooks, manual triggers).
//!
//! The daemon builds a [`Metrics`] and an [`ObserveState`], hands a clone of
//! the state to [`serve`], keeps the other to update readiness and bot reports,
//! and reads [`Trigger`]s from the channel the state was given.

mod auth;
pub mod commit_status;
pub mod connections;
mod control;
pub mod events;
pub mod exposition;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod notify;
mod outcomes;
pub mod requests;
pub mod server;
pub mod state;
mod trigger;
pub mod webhook;

pub use connections::HttpLimits;
pub use events::PassEvent;
pub use metrics::{
    CallStatus, FetchResult, Format, Metrics, PassResult, PushResult, WebhookOutcome,
};
pub use server::{router, serve, serve_with};
pub use state::{BotReport, ObserveState, Readiness, Secured, Trigger, WebhookSettings};
pub use webhook::{BODY_READ_TIMEOUT, MAX_WEBHOOK_BODY};
