//! What an operator sees: structured logs (and, later, metrics and endpoints).

pub mod logging;
