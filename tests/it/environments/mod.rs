//! Environments end to end: one definition, two accounts.

mod scope;
mod secrets;
pub mod world;
