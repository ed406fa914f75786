//! Environments end to end: one definition, two accounts.

mod branch;
mod fixtures;
mod promotion;
mod pull;
mod scope;
mod secrets;
mod trigger;
pub mod world;
