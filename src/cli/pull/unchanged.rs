//! A pull into an existing folder leaves the definition and `config.json`
//! byte for byte as they were when the live bot holds what they say: the
//! platform regenerates ids, dates, hashes and order on every export, and a
//! pull after no designer edit must make no git diff at all.

use std::path::Path;

use crate::desired::{BotFiles, IgnoreRules, read_bot_folder};
use crate::diff::normalise;
use crate::platform::ExportArchive;

/// The files of `folder` to leave untouched: its definition and
/// `config.json` when they normalise to what `archive` holds (the folder's
/// `bot.toml` ignore rules applied to both).
pub fn unchanged_files(folder: &Path, archive: &ExportArchive) -> Vec<String> {
    let Ok((settings, previous)) = read_bot_folder(folder) else {
        return Vec::new();
    };
    let ignore = settings.map(|s| s.ignore).unwrap_or_default();
    let exported = BotFiles::from(archive.clone());
    let same = |a: &BotFiles, b: &BotFiles, ignore: &IgnoreRules| {
        let only = |f: &BotFiles| BotFiles {
            definition_name: f.definition_name,
            definition: f.definition.clone(),
            config: f.config.clone(),
            icon: None,
            functions: Default::default(),
        };
        match (normalise(&only(a), ignore), normalise(&only(b), ignore)) {
            (Ok(a), Ok(b)) => a.digest() == b.digest(),
            _ => false,
        }
    };
    if previous.definition_name != exported.definition_name || !same(&previous, &exported, &ignore)
    {
        return Vec::new();
    }
    vec![
        previous.definition_name.file_name().to_owned(),
        "config.json".to_owned(),
    ]
}
