//! Seeds: export folders or export zips that become the simulator's bots.
//!
//! A seed folder may hold other files (a kore-gitops `bot.toml`, a README):
//! only the files an export contains are read, so a bot folder of a
//! kore-gitops repository is a valid seed.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::SimError;

/// The files of one bot copy, exactly the files an export archive holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BotFiles {
    /// `botDefinition.json` or `appDefinition.json`.
    pub definition_name: String,
    /// The parsed bot definition.
    pub definition: Value,
    /// The parsed `config.json` (bot name and variables; secret-bearing).
    pub config: Value,
    /// `icon.png`, when the bot has one.
    pub icon: Option<Vec<u8>>,
    /// The bot functions file (`<name>.js`), when the bot has one.
    pub functions: Option<(String, Vec<u8>)>,
}

impl BotFiles {
    /// The platform's bot name, from `config.json` (falling back to the definition).
    pub fn bot_name(&self) -> String {
        let from = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned);
        from(&self.config)
            .or_else(|| from(&self.definition))
            .unwrap_or_else(|| "unnamed".to_owned())
    }

    /// The bot's languages, from `localeData` (or `defaultLanguage`).
    pub fn languages(&self) -> Vec<String> {
        let mut langs: Vec<String> = self
            .definition
            .get("localeData")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        if langs.is_empty() {
            langs.push(self.default_language());
        }
        langs
    }

    /// The bot's default language.
    pub fn default_language(&self) -> String {
        self.definition
            .get("defaultLanguage")
            .and_then(Value::as_str)
            .unwrap_or("en")
            .to_owned()
    }
}

/// The seed's name: the folder name, or the zip's file stem.
pub fn seed_name(path: &Path) -> String {
    let name = if path.is_dir() {
        path.file_name()
    } else {
        path.file_stem()
    };
    name.map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads a seed folder or zip.
pub fn load(path: &Path) -> Result<BotFiles, SimError> {
    let mut entries = Vec::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| seed_err(path, e))? {
            let entry = entry.map_err(|e| seed_err(path, e))?;
            if entry.file_type().map_err(|e| seed_err(path, e))?.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if is_export_file(&name) {
                    let bytes = std::fs::read(entry.path()).map_err(|e| seed_err(path, e))?;
                    entries.push((name, bytes));
                }
            }
        }
    } else {
        let bytes = std::fs::read(path).map_err(|e| seed_err(path, e))?;
        entries = read_zip(&bytes).map_err(|e| seed_err(path, e))?;
    }
    from_entries(entries).map_err(|e| seed_err(path, e))
}

/// Whether a file name is one an export archive holds.
fn is_export_file(name: &str) -> bool {
    matches!(
        name,
        "botDefinition.json" | "appDefinition.json" | "config.json" | "icon.png"
    ) || name.ends_with(".js")
}

/// The root entries of a zip (folders and nested files are ignored).
pub fn read_zip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("bad zip: {e}"))?;
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .map_err(|e| format!("bad zip entry: {e}"))?;
        let name = file
            .name()
            .map_err(|e| format!("bad zip entry name: {e}"))?
            .into_owned();
        if file.is_dir() || name.contains('/') || !is_export_file(&name) {
            continue;
        }
        let mut data = Vec::new();
        file.read_to_end(&mut data)
            .map_err(|e| format!("bad zip entry {name}: {e}"))?;
        entries.push((name, data));
    }
    Ok(entries)
}

/// Assembles bot files from named entries.
pub fn from_entries(entries: Vec<(String, Vec<u8>)>) -> Result<BotFiles, String> {
    let (mut definition, mut config, mut icon, mut functions) = (None, None, None, None);
    for (name, bytes) in entries {
        match name.as_str() {
            "botDefinition.json" | "appDefinition.json" => definition = Some((name, bytes)),
            "config.json" => config = Some(bytes),
            "icon.png" => icon = Some(bytes),
            _ => functions = Some((name, bytes)),
        }
    }
    let (definition_name, definition) = definition.ok_or("no botDefinition.json")?;
    let definition = parse_object(&definition_name, &definition)?;
    let config = match config {
        Some(bytes) => parse_object("config.json", &bytes)?,
        None => serde_json::json!({"envVariables": []}),
    };
    Ok(BotFiles {
        definition_name,
        definition,
        config,
        icon,
        functions,
    })
}

/// Parses a JSON object, naming the file in the error. Numbers that would
/// not come back byte for byte are kept as marked strings (`numbers.rs`).
pub fn parse_object(name: &str, bytes: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(&super::numbers::protect(bytes)) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(format!("{name} is not a JSON object")),
        Err(e) => Err(format!("{name} is not valid JSON: {e}")),
    }
}

fn seed_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::Seed {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
