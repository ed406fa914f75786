//! Per-bot history: the ordered record of what changed a bot's copies (jobs
//! that finished, publishes accepted, live edits), each with the digest of
//! the content involved. Counters say how often; the history says what and
//! in which order, so a test can prove that nothing was published that was
//! not first imported and trained (`GET /_sim/bots/{id}/history`).

use std::collections::VecDeque;

use serde::Serialize;

/// Events kept per bot; older ones are dropped (and counted) so that a
/// long-running `kore-gitops sim` does not grow without bound.
pub const HISTORY_LIMIT: usize = 10_000;

/// One thing that happened to a bot. Digests are those of `/_sim/bots/{id}`
/// (`dev_digest`, `published_digest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// An import job finished. `digest` is the imported content; absent when
    /// the uploaded files could not be read as a bot.
    Import { ok: bool, digest: Option<String> },
    /// A training job finished; `digest` is the in-development content it was
    /// queued for.
    Train {
        language: String,
        ok: bool,
        digest: String,
    },
    /// A publish was accepted: a new version of this content is being made.
    PublishRequested { digest: String },
    /// A publish job finished (`ok`: the content is published or awaits
    /// approval).
    Publish { ok: bool, digest: String },
    /// The in-development copy was replaced through the control API, as a
    /// person editing the live bot would.
    Edit { digest: String },
    /// A batch test run finished (`ok`: completed); `digest` is the copy
    /// whose model ran, `f1` its F1 score as the platform writes it.
    TestRun {
        suite: String,
        language: String,
        version: String,
        ok: bool,
        digest: String,
        f1: String,
    },
}

/// A bot's events, oldest first, bounded by [`HISTORY_LIMIT`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct History {
    /// How many of the oldest events were dropped to keep the bound.
    pub dropped: u64,
    /// The events kept, oldest first.
    pub events: VecDeque<Event>,
}

impl History {
    /// Appends an event, dropping the oldest one past the limit.
    pub fn push(&mut self, event: Event) {
        self.push_bounded(event, HISTORY_LIMIT);
    }

    fn push_bounded(&mut self, event: Event, limit: usize) {
        self.events.push_back(event);
        while self.events.len() > limit {
            self.events.pop_front();
            self.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::sim::archive::digest;
    use crate::sim::config::SimConfig;
    use crate::sim::jobs::{JobKind, Payload};
    use crate::sim::seed::BotFiles;
    use crate::sim::state::{SeedBot, State};

    fn files(utterance: &str) -> BotFiles {
        BotFiles {
            definition_name: "botDefinition.json".into(),
            definition: json!({"localeData": {"en": {}}, "sentences": [{"sentence": utterance}]}),
            config: json!({"name": "bot", "envVariables": []}),
            icon: None,
            functions: None,
        }
    }

    fn state() -> State {
        let seed = SeedBot {
            id: "st-1".into(),
            seed_name: "bot".into(),
            files: Arc::new(files("seeded")),
        };
        State::new(SimConfig::instant(), Vec::new(), vec![seed])
    }

    fn events(state: &State) -> Vec<Event> {
        let bot = state.bot("st-1").unwrap();
        bot.history.events.iter().cloned().collect()
    }

    fn import(state: &mut State, files: BotFiles) {
        let payload = Payload::Import {
            files: Ok(files),
            status_logs: Vec::new(),
        };
        state.add_job("bir-1".into(), JobKind::Import, "st-1", payload);
    }

    #[test]
    fn jobs_record_their_outcome_and_content_in_order() {
        let mut state = state();
        let new = files("changed");
        let wanted = digest(&new);
        state
            .faults
            .add_job_failure("import", 1, "refused".to_owned());
        import(&mut state, new.clone());
        import(&mut state, new);
        let dev = state.bot("st-1").unwrap().dev.clone();
        let payload = Payload::Train {
            language: "en".into(),
            state: "configured".into(),
            digest: digest(&dev),
        };
        state.add_job("t-1".into(), JobKind::Train, "st-1", payload);
        let payload = Payload::Publish {
            snapshot: dev,
            approval: false,
        };
        state.add_job("ds-1".into(), JobKind::Publish, "st-1", payload);
        let d = || wanted.clone();
        assert_eq!(
            events(&state),
            [
                Event::Import {
                    ok: false,
                    digest: Some(d())
                },
                Event::Import {
                    ok: true,
                    digest: Some(d())
                },
                Event::Train {
                    language: "en".into(),
                    ok: true,
                    digest: d()
                },
                Event::PublishRequested { digest: d() },
                Event::Publish {
                    ok: true,
                    digest: d()
                },
            ]
        );
        let bot = state.bot("st-1").unwrap();
        assert_eq!(digest(&bot.published), wanted);
    }

    #[test]
    fn a_reset_clears_the_history_and_a_live_edit_is_recorded() {
        let mut state = state();
        let edited = files("edited live");
        assert!(state.replace_dev_definition("st-1", edited.definition.clone()));
        assert_eq!(
            events(&state),
            [Event::Edit {
                digest: digest(&edited)
            }]
        );
        state.reset_bots();
        assert!(events(&state).is_empty());
    }

    #[test]
    fn the_history_is_bounded_and_counts_what_it_dropped() {
        let mut history = History::default();
        for n in 0..5 {
            let event = Event::Edit {
                digest: n.to_string(),
            };
            history.push_bounded(event, 3);
        }
        assert_eq!(history.dropped, 2);
        let kept: Vec<_> = history.events.iter().cloned().collect();
        let edit = |n: &str| Event::Edit { digest: n.into() };
        assert_eq!(kept, [edit("2"), edit("3"), edit("4")]);
    }
}
