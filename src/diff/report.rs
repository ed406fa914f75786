//! A difference between two bots, in words people know, as a short log line,
//! a multi-line report, or JSON. Names, keys and utterance texts are shown;
//! values of variables and settings never are.

use std::fmt::Write as _;

use serde::Serialize;

/// The parts of a bot people talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Dialog tasks.
    Dialogs,
    /// Dialog nodes no dialog refers to.
    DialogComponents,
    /// Intent nodes.
    Intents,
    /// ML utterances (per intent and language).
    Utterances,
    /// Intent patterns.
    Patterns,
    /// Entity nodes.
    Entities,
    /// Knowledge graphs: FAQs and taxonomy.
    KnowledgeGraph,
    /// Small-talk groups.
    SmallTalk,
    /// Bot events (welcome, intent unidentified, …).
    BotEvents,
    /// Every other bot setting, and `config.json` apart from its variables.
    Settings,
    /// Environment variables of `config.json`.
    Variables,
    /// Bot functions (`*.js`).
    Functions,
    /// `icon.png`.
    Icon,
}

impl Component {
    fn label(self) -> &'static str {
        match self {
            Component::Dialogs => "dialogs",
            Component::DialogComponents => "dialog components",
            Component::Intents => "intents",
            Component::Utterances => "utterances",
            Component::Patterns => "patterns",
            Component::Entities => "entities",
            Component::KnowledgeGraph => "knowledge graph",
            Component::SmallTalk => "small talk",
            Component::BotEvents => "bot events",
            Component::Settings => "settings",
            Component::Variables => "variables",
            Component::Functions => "functions",
            Component::Icon => "icon",
        }
    }
}

/// What happened to a thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Only on the right.
    Added,
    /// Only on the left.
    Removed,
    /// On both sides under another name (and maybe changed too: see `aspects`).
    Renamed,
    /// On both sides, different.
    Changed,
}

impl Action {
    fn word(self) -> &'static str {
        match self {
            Action::Added => "added",
            Action::Removed => "removed",
            Action::Renamed => "renamed",
            Action::Changed => "changed",
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Which part of the bot.
    pub component: Component,
    /// What happened.
    pub action: Action,
    /// The thing's name (dialog name, intent, FAQ question, variable key, setting key, …),
    /// the left name for renames.
    pub name: String,
    /// The new name, for renames.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_to: Option<String>,
    /// The language, where the thing is per language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// What about it changed, in words or field names (`nodes`, `answer`, `value`); never values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aspects: Vec<String>,
    /// Utterances only on the right.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// Utterances only on the left.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

impl Change {
    /// A change with no rename, language or utterance lists.
    pub(crate) fn new(component: Component, action: Action, name: impl Into<String>) -> Self {
        Change {
            component,
            action,
            name: name.into(),
            renamed_to: None,
            language: None,
            aspects: Vec::new(),
            added: Vec::new(),
            removed: Vec::new(),
        }
    }

    pub(crate) fn with_aspects(mut self, aspects: Vec<String>) -> Self {
        self.aspects = aspects;
        self
    }

    pub(crate) fn in_language(mut self, language: Option<String>) -> Self {
        self.language = language;
        self
    }

    /// The change in a few words; `all_aspects` lists every aspect, otherwise only
    /// a couple (a summary must stay one short line).
    fn short(&self, all_aspects: bool) -> String {
        let language = self
            .language
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let few = self.aspects.len() <= SUMMARY_ASPECTS;
        let aspects = if self.aspects.is_empty() || !(all_aspects || few) {
            String::new()
        } else {
            format!(": {}", self.aspects.join(", "))
        };
        match (self.component, self.action) {
            (Component::Utterances, _) => {
                format!(
                    "+{} −{} in \"{}\"{language}{aspects}",
                    self.added.len(),
                    self.removed.len(),
                    self.name
                )
            }
            (_, Action::Renamed) => {
                format!(
                    "{} → {}{language}{aspects}",
                    self.name,
                    self.renamed_to.as_deref().unwrap_or("")
                )
            }
            (_, Action::Changed) => format!("{}{language}{aspects}", self.name),
            _ => format!("{}{language}", self.name),
        }
    }
}

/// The differences between two normalised bots; empty exactly when their digests are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BotDiff {
    /// Every difference, grouped by component.
    pub changes: Vec<Change>,
}

/// Longest summary, so it fits a log line and a note.
const MAX_SUMMARY_CHARS: usize = 300;
/// Aspects of one change shown in the summary (more are left to the detailed form).
const SUMMARY_ASPECTS: usize = 2;
/// Names listed per action in the summary before "+N more".
const NAMES_PER_ACTION: usize = 3;

impl BotDiff {
    /// True when the two sides are equivalent.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// One short line for logs and notes, e.g.
    /// `dialogs: 1 renamed (Book Flight → Book a Flight); utterances: +1 −0 in "Book Flight" (en)`.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "no differences".to_owned();
        }
        let parts: Vec<String> = self
            .by_component()
            .map(|(c, changes)| summarise(c, changes))
            .collect();
        truncate(parts.join("; "), MAX_SUMMARY_CHARS)
    }

    /// A multi-line report for people at a terminal.
    pub fn detailed(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            out.push_str("equivalent: no differences\n");
        }
        for (component, changes) in self.by_component() {
            let _ = writeln!(out, "{}:", component.label());
            for change in changes {
                let _ = writeln!(out, "  {:<8} {}", change.action.word(), change.short(true));
                for utterance in &change.added {
                    let _ = writeln!(out, "      + {utterance}");
                }
                for utterance in &change.removed {
                    let _ = writeln!(out, "      − {utterance}");
                }
            }
        }
        out
    }

    fn by_component(&self) -> impl Iterator<Item = (Component, &[Change])> {
        self.changes
            .chunk_by(|a, b| a.component == b.component)
            .map(|chunk| (chunk[0].component, chunk))
    }

    /// Orders changes by component, keeping each component's own order.
    pub(crate) fn from_changes(mut changes: Vec<Change>) -> Self {
        changes.sort_by_key(|c| c.component);
        BotDiff { changes }
    }
}

fn summarise(component: Component, changes: &[Change]) -> String {
    if component == Component::Utterances {
        return format!(
            "{}: {}",
            component.label(),
            list(changes.iter().map(|c| c.short(false)).collect())
        );
    }
    let mut parts = Vec::new();
    for action in [
        Action::Added,
        Action::Removed,
        Action::Renamed,
        Action::Changed,
    ] {
        let items: Vec<String> = changes
            .iter()
            .filter(|c| c.action == action)
            .map(|c| c.short(false))
            .collect();
        if !items.is_empty() {
            parts.push(format!(
                "{} {} ({})",
                items.len(),
                action.word(),
                list(items)
            ));
        }
    }
    format!("{}: {}", component.label(), parts.join(", "))
}

fn list(items: Vec<String>) -> String {
    let extra = items.len().saturating_sub(NAMES_PER_ACTION);
    let mut shown: Vec<String> = items.into_iter().take(NAMES_PER_ACTION).collect();
    if extra > 0 {
        shown.push(format!("+{extra} more"));
    }
    shown.join(", ")
}

fn truncate(text: String, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text;
    }
    let mut cut: String = text.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_like_the_example() {
        let mut rename = Change::new(Component::Dialogs, Action::Renamed, "Book Flight");
        rename.renamed_to = Some("Book a Flight".into());
        let mut utterance = Change::new(Component::Utterances, Action::Changed, "Book Flight");
        utterance.language = Some("en".into());
        utterance.added = vec!["fly me to rome".into()];
        let diff = BotDiff::from_changes(vec![utterance, rename]);
        assert_eq!(
            diff.summary(),
            "dialogs: 1 renamed (Book Flight → Book a Flight); utterances: +1 −0 in \"Book Flight\" (en)"
        );
        assert!(
            diff.detailed().contains("      + fly me to rome"),
            "{}",
            diff.detailed()
        );
    }

    #[test]
    fn long_summaries_are_cut() {
        let changes = (0..200)
            .map(|i| Change::new(Component::Settings, Action::Changed, format!("k{i}")))
            .collect();
        let summary = BotDiff::from_changes(changes).summary();
        assert!(summary.contains("+197 more"), "{summary}");
        let long = (0..50)
            .map(|i| Change::new(Component::from_index(i), Action::Added, "x".repeat(40)))
            .collect();
        assert!(BotDiff::from_changes(long).summary().chars().count() <= MAX_SUMMARY_CHARS);
    }

    impl Component {
        fn from_index(i: usize) -> Self {
            [
                Component::Dialogs,
                Component::Intents,
                Component::Settings,
                Component::Variables,
            ][i % 4]
        }
    }
}
