//! The safety properties of the soak test, checked over one bot's history
//! as the simulator records it (`GET /_sim/bots/{id}/history`): no publish of
//! content that was never committed, none without a successful import of that
//! content and a successful training of each of its languages since the
//! in-development copy last changed, and no publish of the content the
//! published copy already holds.

use std::collections::BTreeSet;

use serde::Deserialize;

/// One event of the history, parsed independently of the simulator's types.
#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Import {
        ok: bool,
        digest: Option<String>,
    },
    Train {
        language: String,
        ok: bool,
        digest: String,
    },
    PublishRequested {
        digest: String,
    },
    Publish {
        ok: bool,
        digest: String,
    },
    Edit {
        digest: String,
    },
}

/// What the test knows of one bot.
#[derive(Debug)]
pub struct Expected<'a> {
    /// Every content digest committed for the bot, the initial one included.
    pub committed: &'a BTreeSet<String>,
    /// The seeded content: both copies hold it before any event.
    pub initial: &'a str,
    /// The languages its `bot.toml` trains.
    pub languages: &'a [String],
}

/// What the in-development copy holds, as far as the history tells.
#[derive(Debug, PartialEq)]
enum Dev<'a> {
    Seeded,
    Imported(&'a str),
    Edited(&'a str),
    /// An import succeeded with files the simulator could not digest.
    Unknown,
}

/// Walks the history, tracking the in-development copy, the languages trained
/// on it and the published content.
struct Walk<'a> {
    dev: Dev<'a>,
    trained: BTreeSet<&'a str>,
    published: &'a str,
}

/// Every way `events` breaks a safety property, in words (empty: safe).
pub fn violations(events: &[Event], expected: &Expected) -> Vec<String> {
    let mut walk = Walk {
        dev: Dev::Seeded,
        trained: BTreeSet::new(),
        published: expected.initial,
    };
    let mut problems = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let found = walk.step(event, expected);
        problems.extend(found.into_iter().map(|p| format!("#{i}: {p}")));
    }
    problems
}

impl<'a> Walk<'a> {
    fn step(&mut self, event: &'a Event, expected: &Expected) -> Vec<String> {
        match event {
            Event::Import {
                ok: true,
                digest: Some(digest),
            } => self.dev_changed(Dev::Imported(digest)),
            Event::Import { ok: true, .. } => self.dev_changed(Dev::Unknown),
            Event::Edit { digest } => self.dev_changed(Dev::Edited(digest)),
            Event::Train {
                language,
                ok: true,
                digest,
            } if self.dev == Dev::Imported(digest) => {
                self.trained.insert(language);
            }
            Event::PublishRequested { digest } => return self.publish_requested(digest, expected),
            Event::Publish { ok: true, digest } => {
                let again = self.published == digest;
                self.published = digest;
                if again {
                    return vec!["the published content published again".to_owned()];
                }
            }
            Event::Import { ok: false, .. } | Event::Train { .. } | Event::Publish { .. } => {}
        }
        Vec::new()
    }

    fn dev_changed(&mut self, dev: Dev<'a>) {
        self.dev = dev;
        self.trained.clear();
    }

    fn publish_requested(&self, digest: &str, expected: &Expected) -> Vec<String> {
        let mut problems = Vec::new();
        if !expected.committed.contains(digest) {
            problems.push("publish of content never committed".to_owned());
        }
        if self.dev != Dev::Imported(digest) {
            problems.push(format!("publish of content not imported ({:?})", self.dev));
        }
        let untrained: Vec<&String> = expected
            .languages
            .iter()
            .filter(|l| !self.trained.contains(l.as_str()))
            .collect();
        if !untrained.is_empty() {
            problems.push(format!("publish without training {untrained:?}"));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(events: serde_json::Value) -> Vec<String> {
        let events: Vec<Event> = serde_json::from_value(events).unwrap();
        let committed = BTreeSet::from(["c0".to_owned(), "c1".to_owned()]);
        let languages = ["en".to_owned(), "es".to_owned()];
        let expected = Expected {
            committed: &committed,
            initial: "c0",
            languages: &languages,
        };
        violations(&events, &expected)
    }

    fn train(language: &str, digest: &str) -> serde_json::Value {
        json!({"event": "train", "language": language, "ok": true, "digest": digest})
    }

    #[test]
    fn import_then_training_of_every_language_then_publish_is_safe() {
        let events = json!([
            {"event": "import", "ok": false, "digest": "c1"},
            {"event": "import", "ok": true, "digest": "c1"},
            train("en", "c1"),
            {"event": "train", "language": "es", "ok": false, "digest": "c1"},
            train("es", "c1"),
            {"event": "publish_requested", "digest": "c1"},
            {"event": "publish", "ok": false, "digest": "c1"},
            {"event": "publish_requested", "digest": "c1"},
            {"event": "publish", "ok": true, "digest": "c1"},
        ]);
        assert_eq!(check(events), Vec::<String>::new());
    }

    #[test]
    fn every_unsafe_publish_is_named() {
        let events = json!([
            {"event": "import", "ok": true, "digest": "x"},
            train("en", "x"),
            train("es", "x"),
            {"event": "publish_requested", "digest": "x"},
            {"event": "import", "ok": true, "digest": "c1"},
            train("en", "c1"),
            {"event": "edit", "digest": "e"},
            train("es", "c1"),
            {"event": "publish_requested", "digest": "c1"},
            {"event": "publish", "ok": true, "digest": "c0"},
        ]);
        let problems = check(events);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].starts_with("#3: publish of content never committed"));
        assert!(problems[1].starts_with("#8: publish of content not imported (Edited(\"e\"))"));
        assert!(problems[2].starts_with("#8: publish without training [\"en\", \"es\"]"));
        assert!(problems[3].starts_with("#9: the published content published again"));
    }
}
