//! The platform client against real exports and (over real HTTP) the simulator.

mod archive;
mod faults;
mod logs;
mod lost;
mod ops;
mod pacing;
mod setup;
