//! Designer edits timed to a bot's jobs (`POST /_sim/bots/{id}/edit-at`): a
//! person editing the bot in the web UI at exactly the worst moment of a
//! pass — when an import, a training, a publish or an export of the bot is
//! accepted or finishes. Each hook fires once.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::jobs::JobKind;
use super::state::State;

/// The moment of a job a hook waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Moment {
    /// The platform accepted the request (the job exists, its input is taken).
    Accepted,
    /// The job finished (whatever its outcome).
    Finished,
}

/// One edit of the in-development definition: JSON pointer → new value.
#[derive(Debug, Clone, Deserialize)]
pub struct Patch {
    pub pointer: String,
    pub value: Value,
}

/// An edit waiting for a job of a bot to reach a moment.
#[derive(Debug, Clone)]
pub struct EditHook {
    pub bot: String,
    pub kind: JobKind,
    pub moment: Moment,
    /// Occurrences of the moment to let pass before firing (0: the next).
    pub skip: u32,
    pub patches: Vec<Patch>,
}

impl State {
    /// Applies (and forgets) the hooks waiting for this moment of a job.
    pub fn fire_hooks(&mut self, bot: &str, kind: JobKind, moment: Moment) {
        let mut due = Vec::new();
        for mut hook in std::mem::take(&mut self.edit_hooks) {
            let matches = hook.bot == bot && hook.kind == kind && hook.moment == moment;
            match (matches, hook.skip) {
                (true, 0) => due.push(hook),
                (true, _) => {
                    hook.skip -= 1;
                    self.edit_hooks.push(hook);
                }
                (false, _) => self.edit_hooks.push(hook),
            }
        }
        for hook in due {
            self.apply_patches(bot, &hook.patches);
        }
    }

    /// Edits the in-development definition as a designer would; a pointer
    /// that does not resolve is skipped (the edit has nothing to change).
    pub fn apply_patches(&mut self, bot: &str, patches: &[Patch]) -> bool {
        let Some(current) = self.bot(bot).map(|b| Arc::clone(&b.dev)) else {
            return false;
        };
        let mut definition = current.definition.clone();
        for patch in patches {
            if let Some(slot) = definition.pointer_mut(&patch.pointer) {
                *slot = patch.value.clone();
            }
        }
        self.replace_dev_definition(bot, definition)
    }
}
