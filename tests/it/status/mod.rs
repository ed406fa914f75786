//! Status notes against real repositories: written on the commit, pushed, and
//! merged when two writers annotate the same remote.

mod daemon;
mod notes;
