//! What a target is called and where it lives: the unit the queue, notes,
//! metrics and logs key on.

use std::fmt;

use super::DesiredBot;
use super::environments::DEFAULT_PLATFORM;

/// What the queue, the notes, the metrics and the logs key on: a folder, or
/// one environment of a folder. Its text is the folder name for a folder
/// without environments (so notes and repositories from before environments
/// read exactly as before) and `folder/environment` otherwise; neither part
/// may hold a `/`.
///
/// Serialised (in `/status`) as its two parts, `folder` and `environment`
/// (`null` for a folder without environments).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct TargetKey {
    folder: String,
    environment: Option<String>,
}

impl TargetKey {
    /// The key of `folder`, in `environment` when given.
    pub fn new(folder: &str, environment: Option<&str>) -> TargetKey {
        TargetKey {
            folder: folder.to_owned(),
            environment: environment.map(str::to_owned),
        }
    }

    /// Reads the text form back.
    pub fn parse(text: &str) -> TargetKey {
        match text.split_once('/') {
            Some((folder, environment)) => TargetKey::new(folder, Some(environment)),
            None => TargetKey::new(text, None),
        }
    }

    /// The bot folder.
    pub fn folder(&self) -> &str {
        &self.folder
    }

    /// The environment, if the folder has environments.
    pub fn environment(&self) -> Option<&str> {
        self.environment.as_deref()
    }
}

impl fmt::Display for TargetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.environment {
            Some(environment) => write!(f, "{}/{environment}", self.folder),
            None => f.write_str(&self.folder),
        }
    }
}

/// Where a target lives and when it moves, beside its [`DesiredBot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOf {
    /// The environment (`None`: a folder without environments).
    pub environment: Option<String>,
    /// The daemon's platform.
    pub platform: String,
    /// Moves only to commits this environment is Synced at.
    pub after: Option<String>,
    /// The branch or tag it follows, when not the daemon's.
    pub branch: Option<String>,
}

impl Default for TargetOf {
    fn default() -> Self {
        TargetOf {
            environment: None,
            platform: DEFAULT_PLATFORM.to_owned(),
            after: None,
            branch: None,
        }
    }
}

impl<F> DesiredBot<F> {
    /// What the queue, notes, metrics and logs call this target.
    pub fn key(&self) -> TargetKey {
        TargetKey::new(self.name.as_str(), self.target.environment.as_deref())
    }
}
