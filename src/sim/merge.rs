//! What an import makes of the target bot (platform-api.md, "Import options
//! and their meaning"):
//!
//! - no `importOptions`, or options that name none of `tasks`/`nlpData`/
//!   `settings` (ASSUMED): a full import. The bot becomes the file; what the
//!   file lacks is gone, except a webhook channel, which the platform keeps.
//! - otherwise an incremental import of the named components: dialogs and
//!   dialog components with the same `refId` are replaced, new ones added,
//!   the others kept; utterances and patterns of the file's tasks are appended
//!   (the default) or replaced; variables are updated by key; every other
//!   component's keys are replaced by the file's when the file has them.
//! - a full import that asks for `options.utterances.append` (or patterns)
//!   explicitly still appends (ASSUMED, the harsher reading): the file's
//!   tasks keep the utterances and patterns the bot has for them.
//! - `options.botVariables.ignore`: those variables keep the target's entry
//!   (one the target lacks is added from the file, ASSUMED).

use serde_json::{Map, Value};

use super::components::{COMPONENTS, Group, Selection};
use super::seed::BotFiles;

/// How one import meets the target bot.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// `None`: a full import.
    incremental: Option<Selection>,
    append_utterances: bool,
    append_patterns: bool,
    /// `append: true` said in so many words (honoured by a full import too).
    explicit_append: [bool; 2],
    ignore: Vec<String>,
}

impl ImportPlan {
    /// Reads a request's `importOptions`.
    pub fn from_options(options: Option<&Value>) -> Self {
        let Some(options) = options else {
            return Self::default();
        };
        let incremental =
            Selection::names_any_list(options).then(|| Selection::from_options(options));
        let flags = options.get("options");
        let on = |key: &str, flag: &str| {
            flags
                .and_then(|f| f.get(key))
                .and_then(|m| m.get(flag))
                .and_then(Value::as_bool)
                == Some(true)
        };
        // Append unless the request asks for replace (and not append).
        let appends = |key: &str| !on(key, "replace") || on(key, "append");
        let ignore = flags
            .and_then(|f| f.pointer("/botVariables/ignore"))
            .and_then(Value::as_array)
            .map(|keys| {
                keys.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Self {
            incremental,
            append_utterances: appends("utterances"),
            append_patterns: appends("patterns"),
            explicit_append: [on("utterances", "append"), on("patterns", "append")],
            ignore,
        }
    }
}

/// The target's new in-development copy after importing `file` into `current`.
pub fn apply(current: &BotFiles, mut file: BotFiles, plan: &ImportPlan) -> BotFiles {
    match &plan.incremental {
        None => {
            keep_webhook(&current.definition, &mut file.definition);
            keep_for_file_tasks(
                &current.definition,
                &mut file.definition,
                plan.explicit_append,
            );
        }
        Some(selection) => {
            let mut merged = current.clone();
            incremental(&mut merged, &file, selection, plan);
            file.definition = merged.definition;
            file.config = merged.config;
        }
    }
    keep_ignored(&current.config, &mut file.config, &plan.ignore);
    file
}

fn incremental(target: &mut BotFiles, file: &BotFiles, selection: &Selection, plan: &ImportPlan) {
    let (Some(into), Some(from)) = (
        target.definition.as_object_mut(),
        file.definition.as_object(),
    ) else {
        return;
    };
    for (group, name, keys) in COMPONENTS {
        if !selection.includes(*group, name) {
            continue;
        }
        match (*group, *name) {
            (Group::Tasks, "botTask") => {
                by_ref_id(into, from, "dialogs");
                by_ref_id(into, from, "dialogComponents");
                replace_keys(into, from, &["panels", "widgets"]);
            }
            (Group::NlpData, "utterances") => utterances(into, from, plan.append_utterances),
            (Group::NlpData, "patterns") => patterns(into, from, plan.append_patterns),
            (Group::Settings, "botVariables") => {
                variables(&mut target.config, &file.config);
                let keys: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
                replace_keys(into, from, &keys);
            }
            _ => {
                let keys: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
                replace_keys(into, from, &keys);
            }
        }
    }
}

type Object = Map<String, Value>;

fn replace_keys(into: &mut Object, from: &Object, keys: &[&str]) {
    for key in keys {
        if let Some(value) = from.get(*key) {
            into.insert((*key).to_owned(), value.clone());
        }
    }
}

fn array_mut<'a>(root: &'a mut Object, key: &str) -> &'a mut Vec<Value> {
    let slot = root.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    slot.as_array_mut().expect("made an array above")
}

fn items<'a>(root: &'a Object, key: &str) -> &'a [Value] {
    root.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Same `refId` replaced in place, new ones added, the others kept.
fn by_ref_id(into: &mut Object, from: &Object, key: &str) {
    let incoming = items(from, key).to_vec();
    let target = array_mut(into, key);
    for item in incoming {
        let id = str_at(&item, "refId");
        match target
            .iter_mut()
            .find(|t| id.is_some() && str_at(t, "refId") == id)
        {
            Some(slot) => *slot = item,
            None => target.push(item),
        }
    }
}

/// Utterances of the file's tasks: appended to (union) or replacing the bot's.
fn utterances(into: &mut Object, from: &Object, append: bool) {
    let incoming = items(from, "sentences").to_vec();
    let tasks: Vec<Option<&str>> = incoming.iter().map(|s| str_at(s, "taskId")).collect();
    let target = array_mut(into, "sentences");
    if !append {
        target.retain(|s| !tasks.contains(&str_at(s, "taskId")));
    }
    let key =
        |s: &Value| ["taskId", "sentence", "language"].map(|k| str_at(s, k).map(str::to_owned));
    for sentence in incoming.iter() {
        if !target.iter().any(|t| key(t) == key(sentence)) {
            target.push(sentence.clone());
        }
    }
}

/// Patterns of the file's tasks (one element per task `refId`, lists per
/// language and kind): appended value by value, or the file's element.
fn patterns(into: &mut Object, from: &Object, append: bool) {
    if !append {
        return by_ref_id(into, from, "patterns");
    }
    let incoming = items(from, "patterns").to_vec();
    let target = array_mut(into, "patterns");
    for item in incoming {
        let id = str_at(&item, "refId");
        match target
            .iter_mut()
            .find(|t| id.is_some() && str_at(t, "refId") == id)
        {
            Some(slot) => union_lists(slot, &item),
            None => target.push(item),
        }
    }
}

/// Adds the list elements of `from` missing in `into`, recursively through objects.
fn union_lists(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                match into.get_mut(key) {
                    Some(slot) => union_lists(slot, value),
                    None => drop(into.insert(key.clone(), value.clone())),
                }
            }
        }
        (Value::Array(into), Value::Array(from)) => {
            for value in from {
                if !into.contains(value) {
                    into.push(value.clone());
                }
            }
        }
        _ => {}
    }
}

fn variables_of(config: &Value) -> &[Value] {
    config
        .get("envVariables")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Matching keys updated, new keys added, the others kept.
fn variables(into: &mut Value, from: &Value) {
    let incoming = variables_of(from).to_vec();
    let Some(root) = into.as_object_mut() else {
        return;
    };
    let target = array_mut(root, "envVariables");
    for variable in incoming {
        let key = str_at(&variable, "key");
        match target
            .iter_mut()
            .find(|t| key.is_some() && str_at(t, "key") == key)
        {
            Some(slot) => *slot = variable,
            None => target.push(variable),
        }
    }
}

/// The ignored variables keep the target's entries.
fn keep_ignored(current: &Value, config: &mut Value, ignore: &[String]) {
    if ignore.is_empty() {
        return;
    }
    let theirs = variables_of(current);
    let Some(root) = config.as_object_mut() else {
        return;
    };
    let vars = array_mut(root, "envVariables");
    for key in ignore {
        let Some(kept) = theirs.iter().find(|t| str_at(t, "key") == Some(key)) else {
            continue;
        };
        match vars.iter_mut().find(|v| str_at(v, "key") == Some(key)) {
            Some(slot) => *slot = kept.clone(),
            None => vars.push(kept.clone()),
        }
    }
}

/// A full import keeps the target's webhook channel when the file has none.
fn keep_webhook(current: &Value, definition: &mut Value) {
    let is_webhook = |c: &Value| str_at(c, "type") == Some("webhook");
    let Some(webhook) = current
        .get("channels")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| is_webhook(c)))
    else {
        return;
    };
    let Some(root) = definition.as_object_mut() else {
        return;
    };
    let channels = array_mut(root, "channels");
    if !channels.iter().any(is_webhook) {
        channels.push(webhook.clone());
    }
}

/// A full import asked to append: the file's tasks keep the bot's utterances
/// (and patterns) for them on top of the file's.
fn keep_for_file_tasks(
    current: &Value,
    definition: &mut Value,
    [sentences, patterns_too]: [bool; 2],
) {
    let (Some(from), Some(into)) = (current.as_object(), definition.as_object_mut()) else {
        return;
    };
    if sentences {
        let tasks: Vec<Option<String>> = items(into, "sentences")
            .iter()
            .map(|s| str_at(s, "taskId").map(str::to_owned))
            .collect();
        let theirs: Vec<Value> = items(from, "sentences")
            .iter()
            .filter(|s| tasks.contains(&str_at(s, "taskId").map(str::to_owned)))
            .cloned()
            .collect();
        let mut only_theirs = Object::new();
        only_theirs.insert("sentences".into(), Value::Array(theirs));
        utterances(into, &only_theirs, true);
    }
    if patterns_too {
        let target = array_mut(into, "patterns");
        for theirs in items(from, "patterns") {
            let id = str_at(theirs, "refId");
            if let Some(slot) = target
                .iter_mut()
                .find(|p| id.is_some() && str_at(p, "refId") == id)
            {
                union_lists(slot, theirs);
            }
        }
    }
}
