//! Environments end to end: one definition, two accounts.

mod promotion;
mod scope;
mod secrets;
pub mod world;
