//! The Kore.ai XO platform client: the only code that talks HTTP to Kore.ai.
//!
//! It mints a fresh JWT per request ([`auth`]), paces itself under the
//! platform's rate limits ([`pacing`]), retries only what is safe to retry
//! ([`retry`]), waits for the asynchronous jobs with a deadline ([`jobs`]), and
//! reads the export zip as untrusted input ([`archive`]). Every operation is a
//! method of [`PlatformClient`] (see [`ops`]); every failure is a
//! [`PlatformError`] that says what, where, and whether to try again.

pub mod archive;
pub mod auth;
mod client;
pub mod config;
mod download;
pub mod error;
mod http;
pub mod idle;
pub mod jobs;
mod network;
pub mod observer;
pub mod ops;
pub mod pacing;
pub mod retry;

pub use archive::{ArchiveError, ExportArchive, Limits, read_export_zip};
pub use auth::{ClientId, Credentials};
pub use client::{ClientError, PlatformClient};
pub use config::PlatformConfig;
pub use error::{Context, Operation, PlatformError, TransportFailure};
pub use http::AUTH_HEADER;
pub use observer::CallObserver;
pub use ops::bots::BotSummary;
pub use ops::changelog::{ChangeLogEntry, ChangeMark};
pub use ops::export::ExportKind;
pub use ops::import::{
    ImportOptions, ImportOutcome, ImportRequest, ImportRequestId, StatusLog, UtteranceMode,
    UtteranceOptions, VariableOptions,
};
pub use ops::publish::{PublishOutcome, PublishStarted, PublishStatus};
pub use ops::testsuite::{ReportRow, RunCounts, RunResult, RunVersion, SuiteSummary};
pub use ops::train::{BotCopy, TrainingStart, TrainingStatus, training_job};
pub use ops::upload::{FileId, FileKind};
