//! The platform files of one bot, the same shape whether they come from git or
//! from a platform export, so one normalisation serves both sides.

use std::collections::BTreeMap;
use std::fmt;

/// What the definition file is called (platforms renamed it; both are accepted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DefinitionName {
    /// `botDefinition.json`.
    #[default]
    BotDefinition,
    /// `appDefinition.json` (newer platforms).
    AppDefinition,
}

impl DefinitionName {
    /// The file name.
    pub fn file_name(self) -> &'static str {
        match self {
            DefinitionName::BotDefinition => "botDefinition.json",
            DefinitionName::AppDefinition => "appDefinition.json",
        }
    }

    /// The variant for a file name, if it is a definition file.
    pub fn from_file_name(name: &str) -> Option<Self> {
        match name {
            "botDefinition.json" => Some(DefinitionName::BotDefinition),
            "appDefinition.json" => Some(DefinitionName::AppDefinition),
            _ => None,
        }
    }
}

/// The files the platform imports and exports for one bot, as raw bytes.
///
/// `config` (and possibly `definition`) holds secrets, so `Debug` shows only
/// sizes and names.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BotFiles {
    /// Which name the definition file had.
    pub definition_name: DefinitionName,
    /// `botDefinition.json` / `appDefinition.json`.
    pub definition: Vec<u8>,
    /// `config.json` (secret-bearing: variable values).
    pub config: Vec<u8>,
    /// `icon.png`.
    pub icon: Option<Vec<u8>>,
    /// Bot functions, by file name (`*.js`).
    pub functions: BTreeMap<String, Vec<u8>>,
}

impl fmt::Debug for BotFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let functions: BTreeMap<&str, usize> = self
            .functions
            .iter()
            .map(|(name, body)| (name.as_str(), body.len()))
            .collect();
        f.debug_struct("BotFiles")
            .field("definition_name", &self.definition_name.file_name())
            .field("definition_bytes", &self.definition.len())
            .field("config_bytes", &self.config.len())
            .field("icon_bytes", &self.icon.as_ref().map(Vec::len))
            .field("function_bytes", &functions)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_sizes_not_contents() {
        let files = BotFiles {
            config: br#"{"envVariables":[{"key":"k","value":"hunter2"}]}"#.to_vec(),
            ..BotFiles::default()
        };
        let debug = format!("{files:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("config_bytes"), "{debug}");
    }
}
