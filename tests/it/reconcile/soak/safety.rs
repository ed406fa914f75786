//! The safety properties of the soak test, checked over one bot's history
//! as the simulator records it (`GET /_sim/bots/{id}/history`): no publish of
//! content that was never committed, none without a successful import of that
//! content and a successful training of each of its languages since the
//! in-development copy last changed, no publish of the content the
//! published copy already holds, and, for a bot with a publish gate, none
//! without a passing run of every suite in every gated language on that
//! same content.

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
    TestRun {
        suite: String,
        language: String,
        version: String,
        ok: bool,
        digest: String,
        f1: String,
    },
}

/// A bot's publish gate, as the test configured it.
#[derive(Debug)]
pub struct Gate<'a> {
    pub suites: &'a [String],
    pub languages: &'a [String],
    pub min_f1: f64,
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
    /// Its publish gate, if it has one.
    pub gate: Option<Gate<'a>>,
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
    /// Suites (and languages) whose last run on the in-development copy passed.
    passed: BTreeSet<(&'a str, &'a str)>,
    published: &'a str,
}

/// Every way `events` breaks a safety property, in words (empty: safe).
pub fn violations(events: &[Event], expected: &Expected) -> Vec<String> {
    let mut walk = Walk {
        dev: Dev::Seeded,
        trained: BTreeSet::new(),
        passed: BTreeSet::new(),
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
            Event::TestRun {
                suite,
                language,
                version,
                ok: true,
                digest,
                f1,
            } if version == "inDevelopment" && self.dev == Dev::Imported(digest) => {
                let min = expected.gate.as_ref().map_or(0.0, |g| g.min_f1);
                let f1: f64 = f1.parse().unwrap_or(0.0);
                match f1 + 1e-9 >= min {
                    true => self.passed.insert((suite, language)),
                    false => self.passed.remove(&(suite.as_str(), language.as_str())),
                };
            }
            Event::PublishRequested { digest } => return self.publish_requested(digest, expected),
            Event::Publish { ok: true, digest } => {
                let again = self.published == digest;
                self.published = digest;
                if again {
                    return vec!["the published content published again".to_owned()];
                }
            }
            Event::Import { ok: false, .. }
            | Event::Train { .. }
            | Event::Publish { .. }
            | Event::TestRun { .. } => {}
        }
        Vec::new()
    }

    fn dev_changed(&mut self, dev: Dev<'a>) {
        self.dev = dev;
        self.trained.clear();
        self.passed.clear();
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
        if let Some(gate) = &expected.gate {
            let unpassed: Vec<(&str, &str)> = gate
                .suites
                .iter()
                .flat_map(|s| gate.languages.iter().map(move |l| (s.as_str(), l.as_str())))
                .filter(|pair| !self.passed.contains(pair))
                .collect();
            if !unpassed.is_empty() {
                problems.push(format!("publish without a passing gate {unpassed:?}"));
            }
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
            gate: None,
        };
        violations(&events, &expected)
    }

    #[test]
    fn a_gated_publish_needs_a_passing_run_of_the_same_content() {
        let events: Vec<Event> = serde_json::from_value(json!([
            {"event": "import", "ok": true, "digest": "c1"},
            train("en", "c1"),
            {"event": "test_run", "suite": "s", "language": "en", "version": "inDevelopment",
             "ok": true, "digest": "c1", "f1": "0.50"},
            {"event": "publish_requested", "digest": "c1"},
            {"event": "test_run", "suite": "s", "language": "en", "version": "inDevelopment",
             "ok": true, "digest": "c1", "f1": "0.95"},
            {"event": "publish_requested", "digest": "c1"},
        ]))
        .unwrap();
        let committed = BTreeSet::from(["c0".to_owned(), "c1".to_owned()]);
        let (languages, suites) = (["en".to_owned()], ["s".to_owned()]);
        let expected = Expected {
            committed: &committed,
            initial: "c0",
            languages: &languages,
            gate: Some(Gate {
                suites: &suites,
                languages: &languages,
                min_f1: 0.9,
            }),
        };
        let problems = violations(&events, &expected);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].starts_with("#3: publish without a passing gate"),
            "{problems:#?}"
        );
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
