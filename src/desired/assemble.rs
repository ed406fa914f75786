//! Turning the entries of one bot folder into a [`DesiredBot`], shared by the
//! git reader and the plain-folder reader so both apply exactly the same rules.

use super::files::{BotFiles, DefinitionName};
use super::gate::{
    MAX_SUITE_BYTES, SuiteFile, check_gate_languages, definition_intents, is_suite_path,
    parse_suite,
};
use super::languages::check_listed;
use super::problem::{Problem, json_error_reason};
use super::settings::{BotSettings, BotTarget, not_utf8, parse_settings};
use super::shared::{folder_list, shared_claims};
use super::{BotEntry, BotError, BotName, DesiredBot};

/// Largest accepted `botDefinition.json` (real ones are up to a few MB): the
/// largest file the daemon accepts back in an export, so a definition it
/// imports is one it can read back and compare.
pub const MAX_DEFINITION_BYTES: u64 = crate::limits::MAX_EXPORT_ENTRY_BYTES;
/// Largest accepted `config.json`.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;
/// Largest accepted `icon.png`.
pub const MAX_ICON_BYTES: u64 = 4 * 1024 * 1024;
/// Largest accepted bot functions file.
pub const MAX_FUNCTION_BYTES: u64 = 16 * 1024 * 1024;
/// Largest accepted `bot.toml`.
pub const MAX_SETTINGS_BYTES: u64 = 64 * 1024;

const SETTINGS_FILE: &str = "bot.toml";
const CONFIG_FILE: &str = "config.json";
const ICON_FILE: &str = "icon.png";

/// One entry of a bot folder, as the reader found it.
#[derive(Debug)]
pub(crate) struct RawEntry {
    pub name: String,
    pub kind: EntryKind,
}

/// What an entry is; only regular files within their cap carry bytes.
#[derive(Debug)]
pub(crate) enum EntryKind {
    File(Vec<u8>),
    Oversized(u64),
    Symlink,
    Submodule,
    Folder,
    Special,
}

/// The size cap for a file name (unknown names get the smallest cap; they are refused anyway).
pub(crate) fn cap_for(name: &str) -> u64 {
    match name {
        _ if DefinitionName::from_file_name(name).is_some() => MAX_DEFINITION_BYTES,
        CONFIG_FILE => MAX_CONFIG_BYTES,
        ICON_FILE => MAX_ICON_BYTES,
        _ if name.ends_with(".js") => MAX_FUNCTION_BYTES,
        _ if is_suite_path(name) => MAX_SUITE_BYTES,
        _ => MAX_SETTINGS_BYTES,
    }
}

/// Whether a file name has a role in a bot folder.
fn is_known(name: &str) -> bool {
    DefinitionName::from_file_name(name).is_some()
        || [SETTINGS_FILE, CONFIG_FILE, ICON_FILE].contains(&name)
        || (name.ends_with(".js") && !name.contains('/'))
        || is_suite_path(name)
}

/// Files nobody imports but people keep next to a bot: ignored, not refused.
pub(crate) fn is_ignorable(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.starts_with('.') || base.ends_with(".md")
}

/// A bot folder of a repository: `bot.toml` is required.
pub(crate) fn desired_bot(folder: &str, label: &str, entries: Vec<RawEntry>) -> BotEntry {
    let name = BotName::parse(folder);
    let assembled = assemble(label, entries, true);
    let error = |problems| BotError {
        folder: folder.to_owned(),
        problems,
    };
    match (name, assembled) {
        (Ok(name), Ok((Some(settings), files, suites))) => Ok(DesiredBot {
            name,
            settings,
            files,
            suites,
        }),
        (Err(reason), Ok(_)) => Err(error(vec![Problem::in_file(label, reason)])),
        (Err(reason), Err(mut problems)) => {
            problems.insert(0, Problem::in_file(label, reason));
            Err(error(problems))
        }
        (_, Err(problems)) => Err(error(problems)),
        (Ok(_), Ok((None, _, _))) => unreachable!("assemble requires bot.toml when asked to"),
    }
}

/// Reads the files of one folder; `label` prefixes file names in problems.
///
/// A bot folder of the repository (`repository_bot`) must have `bot.toml` and
/// nothing unexpected; an export folder may lack `bot.toml` and may hold other
/// files (an export's zip next to its contents), which are skipped.
pub(crate) fn assemble(
    label: &str,
    entries: Vec<RawEntry>,
    repository_bot: bool,
) -> Result<(Option<BotSettings>, BotFiles, Vec<SuiteFile>), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut suite_files = Vec::new();
    let mut settings = None;
    let mut definition: Option<(DefinitionName, Vec<u8>)> = None;
    let mut config = None;
    let mut files = BotFiles::default();
    for entry in entries {
        let file = format!("{label}/{}", entry.name);
        if !is_known(&entry.name) {
            if repository_bot {
                problems.extend(unknown_entry_problem(&file, &entry));
            }
            continue;
        }
        let bytes = match entry_bytes(&file, entry.kind) {
            Ok(bytes) => bytes,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let name = entry.name.as_str();
        if is_suite_path(name) {
            suite_files.push((file, entry.name, bytes));
        } else if let Some(kind) = DefinitionName::from_file_name(name) {
            if let Some((first, _)) = &definition {
                let message = format!(
                    "both {} and {} are present; keep one",
                    first.file_name(),
                    name
                );
                problems.push(Problem::in_file(&file, message));
            }
            check_json_object(&file, &bytes, &mut problems);
            definition = Some((kind, bytes));
        } else if name == CONFIG_FILE {
            check_json_object(&file, &bytes, &mut problems);
            config = Some(bytes);
        } else if name == SETTINGS_FILE {
            settings = parse_settings(&file, &bytes)
                .map_err(|p| problems.extend(p))
                .ok();
        } else if name == ICON_FILE {
            files.icon = Some(bytes);
        } else {
            match std::str::from_utf8(&bytes) {
                Ok(_) => drop(files.functions.insert(entry.name, bytes)),
                Err(e) => problems.push(not_utf8(&file, &bytes, &e)),
            }
        }
    }
    // A file refused above (a link, say) is not reported missing as well.
    let mut report_missing = |present: bool, what: &str| {
        let file = format!("{label}/{what}");
        if !present && !problems.iter().any(|p| p.file == file) {
            problems.push(Problem::in_file(file, "missing"));
        }
    };
    let definition_file = definition
        .as_ref()
        .map_or(DefinitionName::BotDefinition, |(kind, _)| *kind);
    files.definition_name = definition_file;
    report_missing(definition.is_some(), definition_file.file_name());
    report_missing(config.is_some(), CONFIG_FILE);
    report_missing(!repository_bot || settings.is_some(), SETTINGS_FILE);
    if let (Some(settings), Some((kind, bytes))) = (&settings, &definition) {
        let settings_file = format!("{label}/{SETTINGS_FILE}");
        let definition_file = kind.file_name();
        problems.extend(check_listed(
            &settings_file,
            settings,
            definition_file,
            bytes,
        ));
    }
    let intents = definition
        .as_ref()
        .and_then(|(_, bytes)| definition_intents(bytes));
    let mut suites = Vec::new();
    for (file, path, bytes) in suite_files {
        match parse_suite(&file, &path, &bytes, intents.as_ref()) {
            Ok(suite) => suites.push(suite),
            Err(found) => problems.extend(found),
        }
    }
    let gate = settings.as_ref().and_then(|s| s.gate.as_ref());
    if let (Some(gate), Some((_, bytes))) = (gate, &definition) {
        let held = super::languages::definition_languages(bytes);
        let file = format!("{label}/{SETTINGS_FILE}");
        problems.extend(check_gate_languages(&file, gate, &held));
    }
    let gated = gate.is_some();
    if gated && suites.is_empty() && !problems.iter().any(|p| p.file.contains("/tests/")) {
        problems.push(Problem::in_file(
            format!("{label}/{SETTINGS_FILE}"),
            "[gate] is set but tests/ holds no suite (tests/<suite>.json): nothing would gate \
             the publish",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    files.definition = definition.map(|(_, bytes)| bytes).unwrap_or_default();
    files.config = config.unwrap_or_default();
    Ok((settings, files, suites))
}

const UNEXPECTED_FILE: &str = "unexpected file: a bot folder holds bot.toml, botDefinition.json (or \
     appDefinition.json), config.json, icon.png, *.js functions, and optionally *.md notes";

/// In a repository bot folder: files with no role are refused (notes aside),
/// and links, submodules and folders are refused for what they are.
fn unknown_entry_problem(file: &str, entry: &RawEntry) -> Option<Problem> {
    match entry.kind {
        EntryKind::File(_) | EntryKind::Oversized(_) if is_ignorable(&entry.name) => None,
        EntryKind::File(_) | EntryKind::Oversized(_) => {
            Some(Problem::in_file(file, UNEXPECTED_FILE))
        }
        EntryKind::Symlink => Some(Problem::in_file(file, SYMLINK)),
        EntryKind::Submodule => Some(Problem::in_file(file, SUBMODULE)),
        EntryKind::Folder => Some(Problem::in_file(file, NESTED_FOLDER)),
        EntryKind::Special => Some(Problem::in_file(file, SPECIAL)),
    }
}

const SYMLINK: &str = "symbolic links are not allowed in a bot folder";
const SUBMODULE: &str = "submodules are not allowed in a bot folder";
const NESTED_FOLDER: &str = "nested folders are not allowed in a bot folder";
const SPECIAL: &str = "not a regular file";

fn entry_bytes(file: &str, kind: EntryKind) -> Result<Vec<u8>, Problem> {
    let refuse = |message: String| Err(Problem::in_file(file, message));
    match kind {
        EntryKind::File(bytes) => Ok(bytes),
        EntryKind::Oversized(size) => {
            let name = file.rsplit('/').next().unwrap_or(file);
            let cap = cap_for(name);
            let why = if DefinitionName::from_file_name(name).is_some() {
                " (the largest file kore-gitops reads back from an export, so it could \
                 never check the import)"
            } else {
                ""
            };
            refuse(format!(
                "file is {size} bytes, over the {cap}-byte limit ({} MiB) for {name}{why}",
                cap / (1024 * 1024)
            ))
        }
        EntryKind::Symlink => refuse(SYMLINK.into()),
        EntryKind::Submodule => refuse(SUBMODULE.into()),
        EntryKind::Folder => refuse(NESTED_FOLDER.into()),
        EntryKind::Special => refuse(SPECIAL.into()),
    }
}

/// Checks UTF-8, JSON syntax (with line and column) and that the top level is an object.
fn check_json_object(file: &str, bytes: &[u8], problems: &mut Vec<Problem>) {
    if let Err(e) = std::str::from_utf8(bytes) {
        problems.push(not_utf8(file, bytes, &e));
        return;
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        let message = format!("invalid JSON: {}", json_error_reason(&e));
        problems.push(Problem {
            file: file.into(),
            line: Some(e.line()),
            column: Some(e.column()),
            message,
        });
        return;
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        problems.push(Problem::in_file(
            file,
            "the top level must be a JSON object",
        ));
    }
}

/// Turns every bot naming the same live bot as another folder (the same
/// `bot_id`, or the same `bot_name`) into an error naming both: they would
/// import their definitions in turn, forever. A suspended folder never
/// touches its bot, so it takes no part.
pub(crate) fn refuse_shared_targets(entries: &mut [BotEntry], label_of: impl Fn(&str) -> String) {
    let claims = entries
        .iter()
        .flatten()
        .filter(|bot| !bot.settings.suspend)
        .map(|bot| (claim(&bot.settings.target), bot.name.to_string()));
    let shared = shared_claims(claims);
    for entry in entries.iter_mut() {
        let Ok(bot) = entry else { continue };
        if bot.settings.suspend {
            continue;
        }
        let key = claim(&bot.settings.target);
        let Some(folders) = shared.get(&key) else {
            continue;
        };
        let others: Vec<String> = folders
            .iter()
            .filter(|f| **f != bot.name.as_str())
            .map(|f| label_of(f))
            .collect();
        let file = format!("{}/{SETTINGS_FILE}", label_of(bot.name.as_str()));
        let message = format!(
            "{key} is also used by {}: one live bot takes one folder's definition, so \
             these folders are not reconciled (remove one, or point it at another bot)",
            folder_list(&others)
        );
        *entry = Err(BotError {
            folder: bot.name.to_string(),
            problems: vec![Problem::in_file(file, message)],
        });
    }
}

/// What a folder claims, as `bot.toml` says it.
fn claim(target: &BotTarget) -> String {
    match target {
        BotTarget::Id(id) => format!("bot_id {id}"),
        BotTarget::Name(name) => format!("bot_name {name:?}"),
    }
}
