//! Status notes: the outcome of each reconcile, written as a git note on the
//! reconciled commit under [`NOTES_REF`], one section per bot.
//!
//! - [`note`]: the note format (TOML with a human summary line on top, so that
//!   `git log --notes=kore-gitops` reads well and `kore-gitops status --json`
//!   can parse it).
//! - [`store`]: read and update the notes of a local repository; a section is
//!   rewritten only when its content changes.
//! - [`index`]: the sections of the notes being written, parsed once per
//!   commit and kept in memory, with the sections staged for the next write.
//! - [`sync`]: exchange the notes ref with a remote — push, and when another
//!   writer got there first, fetch, merge section by section, and retry.

pub mod gate;
pub mod index;
pub mod layout;
pub mod note;
pub mod store;
pub mod sync;

pub use gate::{GateNote, SuiteRun};
pub use note::{BotStatus, Foreign, Note, NoteError, Phase};
pub use store::{NoteStore, StoreError};
pub use sync::{SyncError, exchange_notes, notes_pending, pull_notes, push_notes};

/// The ref under which kore-gitops keeps its notes.
pub const NOTES_REF: &str = "refs/notes/kore-gitops";
