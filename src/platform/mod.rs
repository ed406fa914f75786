//! The Kore.ai XO platform client: the only code that talks HTTP to Kore.ai.
//!
//! It mints a fresh JWT per request, paces itself under the platform's rate
//! limits, retries only what is safe to retry, waits for the asynchronous jobs
//! with a deadline, and reads the export zip as untrusted input.

pub mod archive;
pub mod auth;
pub mod pacing;
