//! The note format.
//!
//! A note is a TOML document with one table per bot, preceded by comment lines
//! that summarise it for a person reading `git log --notes=kore-gitops`:
//!
//! ```text
//! # kore-gitops: travel-desk Synced · it-helpdesk Failed
//!
//! [bots.travel-desk]
//! bot_id = "st-…"
//! phase = "Synced"
//! summary = "utterances: +1 in \"Book Flight\" (en)"
//! …
//! ```
//!
//! Comments are ignored when the note is parsed, so the summary line can never
//! disagree with the data: it is always re-rendered from the tables.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::layout;
use crate::ids::{BotId, Digest};

/// Where a bot stands after a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Both live copies match the commit.
    Synced,
    /// The live bot differs from the commit and the change was not applied
    /// (a dry run): what `plan` and `sync --dry-run` report for such a bot.
    OutOfSync,
    /// An import of the commit's definition is under way.
    Importing,
    /// Training after an import is under way.
    Training,
    /// A publish is under way.
    Publishing,
    /// Published, but an administrator must still approve the version.
    AwaitingApproval,
    /// The pass failed; `error` says why.
    Failed,
    /// `suspend = true` in the bot's `bot.toml`: not reconciled.
    Suspended,
    /// The live bot changed although the commit did not, and the drift policy
    /// says to report it only.
    Drifted,
    /// Imported and trained, but a batch test suite missed its thresholds:
    /// not published (the in-development copy holds the commit); `gate`
    /// says which suite, figure and utterances.
    GateFailed,
    /// A later commit took over while this commit's apply waited on a job:
    /// `summary` names that commit and says how the job ended (`error`, when
    /// it failed). Written only over an older commit's section, never
    /// verified at it, so never read as synced.
    Superseded,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One bot's section of a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotStatus {
    /// The live bot, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<BotId>,
    /// Where the bot stands.
    pub phase: Phase,
    /// One line saying what changed (or "no change").
    pub summary: String,
    /// Digest of the normalised definition at the commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Digest>,
    /// Digest of the normalised live (in-development) bot when last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<Digest>,
    /// Platform job ids by step (`import`, `train.en`, `publish`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub jobs: BTreeMap<String, String>,
    /// When the pass that produced this status started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<DateTime<Utc>>,
    /// On failure: what went wrong, where, and whether it will be retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The publish gate's suites and figures, when the bot has a gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<super::gate::GateNote>,
    /// When this section was written; decides which of two writers wins.
    pub updated: DateTime<Utc>,
}

impl BotStatus {
    /// A section with only a phase and a summary, written now.
    pub fn new(phase: Phase, summary: impl Into<String>) -> BotStatus {
        BotStatus {
            bot_id: None,
            phase,
            summary: summary.into(),
            desired: None,
            live: None,
            jobs: BTreeMap::new(),
            started: None,
            finished: None,
            error: None,
            gate: None,
            updated: Utc::now(),
        }
    }

    /// True when `other` says the same thing, whatever the times it was
    /// written and its pass ran: a pass that finds nothing new leaves the note
    /// as it is (no new notes commit, no push), and `started`/`finished` stay
    /// those of the pass that first reached this status.
    pub fn same_content(&self, other: &BotStatus) -> bool {
        BotStatus {
            updated: other.updated,
            started: other.started,
            finished: other.finished,
            ..self.clone()
        } == *other
    }

    /// Whether this status, written over `previous`, would say nothing new:
    /// the same content, or a pass that found the bot still synced to the
    /// digest `previous` synced it to. The latter keeps the section of the
    /// pass that did the work (its change summary and job ids) instead of
    /// replacing it with "in sync".
    pub fn adds_nothing_to(&self, previous: &BotStatus) -> bool {
        let confirms_sync = self.phase == Phase::Synced
            && self.jobs.is_empty()
            && previous.phase == Phase::Synced
            && previous.desired == self.desired;
        confirms_sync || self.same_content(previous)
    }
}

/// A whole note: every bot's section on one commit, and whatever text other
/// writers put around it (see [`super::layout`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// Sections by bot folder name.
    #[serde(default)]
    pub bots: BTreeMap<String, BotStatus>,
    /// Text of other writers, kept verbatim.
    #[serde(skip)]
    pub foreign: Foreign,
}

/// The text of a note that is not ours: before and after our block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Foreign {
    /// Before our block.
    pub before: String,
    /// After our block.
    pub after: String,
}

impl Foreign {
    fn is_empty(&self) -> bool {
        self.before.trim().is_empty() && self.after.trim().is_empty()
    }
}

/// A note that is not in the format above (written by hand or by another tool).
#[derive(Debug, thiserror::Error)]
#[error("note is not a kore-gitops status note: {0}")]
pub struct NoteError(String);

impl Note {
    /// Parses a note's text: our block and the foreign text around it. A note
    /// with no block of ours, or a malformed one, is an error.
    pub fn parse(text: &str) -> Result<Note, NoteError> {
        let cut = layout::split(text);
        let block = cut
            .block
            .ok_or_else(|| NoteError("no kore-gitops section".into()))?;
        let mut note = Note::parse_block(block).or_else(|e| {
            // A hand-made note of ours without the summary line.
            Note::parse_block(text).map_err(|_| e)
        })?;
        note.foreign = Foreign {
            before: cut.before.to_owned(),
            after: cut.after.to_owned(),
        };
        Ok(note)
    }

    /// Like [`Note::parse`], for a writer: a note without a block of ours is
    /// all foreign text, and a malformed block of ours is dropped (it is
    /// rewritten from what the daemon knows), with the reason.
    pub fn parse_for_update(text: &str) -> (Note, Option<NoteError>) {
        if let Ok(note) = Note::parse(text) {
            return (note, None);
        }
        let cut = layout::split(text);
        let foreign = Foreign {
            before: cut.before.to_owned(),
            after: cut.after.to_owned(),
        };
        let error = match cut.block {
            Some(block) => Note::parse_block(block).err(),
            None => None,
        };
        let note = Note {
            bots: BTreeMap::new(),
            foreign,
        };
        (note, error)
    }

    /// One bot's section of a note's text, cut out without parsing the
    /// others: every pass of a commit reading the whole note (one section
    /// per bot) would cost O(bots²) per commit. `Ok(None)`: no section for
    /// `bot`. A note laid out otherwise (by hand) is parsed whole.
    pub fn section(text: &str, bot: &str) -> Result<Option<BotStatus>, NoteError> {
        let block = layout::split(text).block.unwrap_or(text);
        let key = toml_key(bot);
        let header = format!("[bots.{key}]");
        // A note that is not ours at all has no section for the bot.
        let whole = || match layout::split(text).block.is_some() {
            true => Ok(Note::parse(text)?.bots.remove(bot)),
            false => Ok(Note::parse(text).ok().and_then(|mut n| n.bots.remove(bot))),
        };
        let Some(start) = line_at(block, &header) else {
            return match block.contains(bot) {
                true => whole(),
                false => Ok(None),
            };
        };
        let (rest, subtable) = (&block[start..], format!("[bots.{key}."));
        let mut end = header.len();
        for line in rest[header.len()..].split_inclusive('\n') {
            if line.starts_with('[') && !line.starts_with(&subtable) {
                break;
            }
            end += line.len();
        }
        match Note::parse_block(&rest[..end]) {
            Ok(mut note) => Ok(note.bots.remove(bot)),
            Err(_) => whole(),
        }
    }

    fn parse_block(text: &str) -> Result<Note, NoteError> {
        toml::from_str(text).map_err(|e| NoteError(e.message().to_owned()))
    }

    /// Renders the note: the foreign text where it was, and our block (the
    /// summary comment, then the tables, then the end marker).
    pub fn render(&self) -> String {
        let summary: Vec<String> = self
            .bots
            .iter()
            .map(|(name, status)| format!("{name} {}", status.phase))
            .collect();
        let body = toml::to_string(self).expect("a note always serialises");
        let block = format!("{}{}\n\n{body}", layout::BEGIN, summary.join(" · "));
        layout::join(&self.foreign.before, &block, &self.foreign.after)
    }

    /// Merges `other` into `self`, section by section; where both hold a bot,
    /// the section written last wins. Foreign text is kept from both sides:
    /// `self`'s, and `other`'s where `self` does not already hold it. Returns
    /// true when `self` changed.
    pub fn merge(&mut self, other: &Note) -> bool {
        let mut changed = self.merge_foreign(&other.foreign);
        for (name, theirs) in &other.bots {
            let take = match self.bots.get(name) {
                Some(ours) => theirs.updated > ours.updated && !ours.same_content(theirs),
                None => true,
            };
            if take {
                self.bots.insert(name.clone(), theirs.clone());
                changed = true;
            }
        }
        changed
    }

    fn merge_foreign(&mut self, other: &Foreign) -> bool {
        if other.is_empty() || *other == self.foreign {
            return false;
        }
        if self.foreign.is_empty() {
            self.foreign = other.clone();
            return true;
        }
        let mut changed = false;
        for theirs in [&other.before, &other.after] {
            let text = theirs.trim();
            let ours = &self.foreign;
            if !text.is_empty() && !ours.before.contains(text) && !ours.after.contains(text) {
                self.foreign.after = format!("{}\n{text}\n", self.foreign.after);
                changed = true;
            }
        }
        changed
    }
}

/// `name` as a TOML key: bare when it can be (as the serialiser writes it).
fn toml_key(name: &str) -> String {
    let bare = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    match !name.is_empty() && name.chars().all(bare) {
        true => name.to_owned(),
        false => format!("{name:?}"),
    }
}

/// The byte offset of the line of `text` that is exactly `line`.
fn line_at(text: &str, line: &str) -> Option<usize> {
    let mut at = 0;
    for candidate in text.split_inclusive('\n') {
        if candidate.trim_end_matches(['\n', '\r']) == line {
            return Some(at);
        }
        at += candidate.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_section_is_read_without_the_others() {
        let mut note = Note::default();
        for (name, phase) in [
            ("a", Phase::Synced),
            ("b.c", Phase::Failed),
            ("d", Phase::Drifted),
        ] {
            note.bots.insert(name.to_owned(), status(phase, 10));
        }
        note.foreign.before = "reviewed by Ana\n".into();
        let text = note.render();
        for (name, want) in &note.bots {
            assert_eq!(
                Note::section(&text, name).unwrap().as_ref(),
                Some(want),
                "{name}"
            );
        }
        assert_eq!(Note::section(&text, "b").unwrap(), None);
        assert_eq!(Note::section("a person's note", "a").unwrap(), None);
        // A section the cut cannot find falls back to the whole parse.
        let inline = "# kore-gitops: a Synced\n\n[bots]\na = { phase = \"Synced\", summary = \"x\", updated = \"1970-01-01T00:00:10Z\" }\n";
        assert_eq!(
            Note::section(inline, "a").unwrap().unwrap().phase,
            Phase::Synced
        );
    }

    fn status(phase: Phase, secs: i64) -> BotStatus {
        BotStatus {
            bot_id: Some("st-d80da043-d205-5297-85dd-08e4fdd86ba0".parse().unwrap()),
            phase,
            summary: "dialogs: 1 renamed".into(),
            desired: Some(Digest::from_bytes([1; 32])),
            live: None,
            jobs: BTreeMap::from([("import".into(), "bir-1".into())]),
            started: None,
            finished: None,
            error: None,
            gate: None,
            updated: DateTime::from_timestamp(secs, 0).unwrap(),
        }
    }

    #[test]
    fn a_pass_confirming_a_sync_keeps_the_section_of_the_pass_that_did_the_work() {
        let applied = status(Phase::Synced, 10);
        let confirmed = BotStatus {
            summary: "in sync".into(),
            jobs: BTreeMap::new(),
            ..status(Phase::Synced, 20)
        };
        assert!(confirmed.adds_nothing_to(&applied));
        let other_digest = BotStatus {
            desired: Some(Digest::from_bytes([2; 32])),
            ..confirmed.clone()
        };
        assert!(!other_digest.adds_nothing_to(&applied));
        let reverted = BotStatus {
            summary: "reverted drift: dialogs: 1 renamed".into(),
            ..status(Phase::Synced, 30)
        };
        assert!(!reverted.adds_nothing_to(&applied), "a revert is news");
        let failed = status(Phase::Failed, 5);
        assert!(!confirmed.adds_nothing_to(&failed));
    }

    #[test]
    fn renders_a_readable_summary_and_parses_back() {
        let mut note = Note::default();
        note.bots
            .insert("travel-desk".into(), status(Phase::Synced, 10));
        note.bots
            .insert("it-helpdesk".into(), status(Phase::Failed, 10));
        let text = note.render();
        assert!(text.starts_with("# kore-gitops: it-helpdesk Failed · travel-desk Synced\n"));
        assert!(text.contains("[bots.travel-desk]"), "{text}");
        assert_eq!(Note::parse(&text).unwrap(), note);
    }

    #[test]
    fn merge_keeps_the_newest_section_of_each_bot() {
        let mut ours = Note::default();
        ours.bots.insert("a".into(), status(Phase::Importing, 20));
        ours.bots.insert("b".into(), status(Phase::Synced, 20));
        let mut theirs = Note::default();
        theirs.bots.insert("a".into(), status(Phase::Synced, 30));
        theirs.bots.insert("b".into(), status(Phase::Failed, 10));
        theirs.bots.insert("c".into(), status(Phase::Suspended, 5));
        assert!(ours.merge(&theirs));
        assert_eq!(ours.bots["a"].phase, Phase::Synced);
        assert_eq!(ours.bots["b"].phase, Phase::Synced);
        assert_eq!(ours.bots["c"].phase, Phase::Suspended);
        assert!(!ours.clone().merge(&ours));
    }

    #[test]
    fn the_same_outcome_of_a_later_pass_is_the_same_content() {
        let first = BotStatus {
            started: DateTime::from_timestamp(100, 0),
            finished: DateTime::from_timestamp(101, 0),
            ..status(Phase::Synced, 101)
        };
        let later = BotStatus {
            started: DateTime::from_timestamp(700, 0),
            finished: DateTime::from_timestamp(702, 0),
            ..status(Phase::Synced, 702)
        };
        assert!(first.same_content(&later));
        let failed = BotStatus {
            phase: Phase::Failed,
            ..later
        };
        assert!(!first.same_content(&failed));
    }

    #[test]
    fn a_failed_gate_is_written_with_its_figures_and_read_back() {
        use crate::status::{GateNote, SuiteRun};
        let mut status = status(Phase::GateFailed, 10);
        status.gate = Some(GateNote {
            digest: "ab12".into(),
            passed: false,
            runs: vec![SuiteRun {
                suite: "smoke".into(),
                language: "en".into(),
                run: Some("tr-1".into()),
                f1: "0.67".into(),
                precision: "1.00".into(),
                recall: "0.50".into(),
                published_f1: None,
                passed: false,
                reason: Some("F1 0.67 < 0.90".into()),
                failing: vec![
                    "\"the VPN is down\": expected \"Report Outage\", got no intent".into(),
                ],
            }],
        });
        let mut note = Note::default();
        note.bots.insert("helpdesk".into(), status);
        let text = note.render();
        assert!(text.contains("phase = \"GateFailed\""), "{text}");
        assert!(text.contains("the VPN is down"), "{text}");
        assert_eq!(Note::parse(&text).unwrap(), note);
    }

    #[test]
    fn out_of_sync_is_written_and_read_back_and_old_notes_still_parse() {
        let mut note = Note::default();
        note.bots
            .insert("travel-desk".into(), status(Phase::OutOfSync, 10));
        let text = note.render();
        assert!(
            text.starts_with("# kore-gitops: travel-desk OutOfSync\n"),
            "{text}"
        );
        assert!(text.contains("phase = \"OutOfSync\""), "{text}");
        assert_eq!(Note::parse(&text).unwrap(), note);
        // A note written before the phase existed (and before the end marker).
        let old = "# kore-gitops: a Synced\n\n[bots.a]\nphase = \"Synced\"\n\
                   summary = \"in sync\"\nupdated = \"2026-03-02T09:14:07Z\"\n";
        assert_eq!(Note::parse(old).unwrap().bots["a"].phase, Phase::Synced);
    }

    #[test]
    fn superseded_is_written_and_read_back_and_a_note_from_before_it_still_parses() {
        let mut note = Note::default();
        let mut section = status(Phase::Superseded, 10);
        section.error = Some("the import job bir-1 failed: bad zip".into());
        note.bots.insert("travel-desk".into(), section);
        let text = note.render();
        assert!(
            text.starts_with("# kore-gitops: travel-desk Superseded\n"),
            "{text}"
        );
        assert!(text.contains("phase = \"Superseded\""), "{text}");
        assert_eq!(Note::parse(&text).unwrap(), note);
        // A note written before the phase existed: a waiting section.
        let old = "# kore-gitops: a Importing\n\n[bots.a]\nphase = \"Importing\"\n\
                   summary = \"x; waiting on the import job bir-1\"\n\
                   updated = \"2026-11-02T09:14:07Z\"\n\n[bots.a.jobs]\nimport = \"bir-1\"\n";
        let a = &Note::parse(old).unwrap().bots["a"];
        assert_eq!(
            (a.phase, a.jobs["import"].as_str()),
            (Phase::Importing, "bir-1")
        );
        assert_eq!(Note::section(old, "a").unwrap().as_ref(), Some(a));
    }

    #[test]
    fn foreign_notes_are_rejected() {
        assert!(Note::parse("reviewed-by: someone").is_err());
        assert!(Note::parse("[bots.a]\nphase = \"Synced\"\nsurprise = 1\n").is_err());
    }

    #[test]
    fn foreign_text_lives_beside_our_section() {
        let (mut note, error) = Note::parse_for_update("reviewed-by: someone\n");
        assert!(error.is_none() && note.bots.is_empty());
        note.bots.insert("a".into(), status(Phase::Synced, 10));
        let text = note.render();
        assert!(text.starts_with("reviewed-by: someone\n\n# kore-gitops: a Synced\n"));
        let back = Note::parse(&format!("{text}\nappended by git notes append\n")).unwrap();
        assert_eq!(back.bots, note.bots);
        assert_eq!(back.foreign.after, "\nappended by git notes append\n");
        // A merge keeps both sides' foreign text.
        let mut theirs = Note::default();
        assert!(theirs.merge(&back));
        assert_eq!(theirs, back);
        let mut other = back.clone();
        other.foreign.before = "a second reviewer\n".into();
        assert!(theirs.merge(&other));
        let merged = theirs.render();
        assert!(merged.contains("reviewed-by: someone") && merged.contains("a second reviewer"));
        assert!(
            !theirs.clone().merge(&other),
            "merging again changes nothing"
        );
    }

    #[test]
    fn a_malformed_section_of_ours_is_dropped_for_a_rewrite_and_foreign_text_kept() {
        let text = "keep me\n\n# kore-gitops: a Synced\n\n[bots.a]\nbroken\n";
        assert!(Note::parse(text).is_err());
        let (note, error) = Note::parse_for_update(text);
        assert!(error.is_some());
        assert!(note.bots.is_empty());
        assert_eq!(note.foreign.before, "keep me\n\n");
    }
}
