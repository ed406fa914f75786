//! Secrets of bot variables: read by the daemon from its secrets folder at
//! pass time (a mounted Kubernetes Secret, a file the operator rotates),
//! never from git, and never written anywhere but into the import.
//!
//! The platform exports a secured variable blank, so the comparison cannot
//! see a rotated value. What the daemon keeps instead is a keyed fingerprint
//! (HMAC-SHA256 with a random key kept in the state folder, never an unkeyed
//! hash, which would let anyone with the note test guesses) of the values it
//! last imported into each target, also in the state folder. A pass whose
//! values' fingerprint differs imports once; the next pass finds the
//! fingerprint recorded and does nothing.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::desired::{DesiredBot, set_values};

use super::error::PassError;
use super::plan::{Plan, Steps};

const KEY_FILE: &str = "secrets.key";
const APPLIED_DIR: &str = "secrets-applied";

/// Where secrets come from and what was applied.
#[derive(Debug, Clone, Default)]
pub struct SecretStore {
    /// `[daemon] secrets_dir`.
    dir: Option<PathBuf>,
    /// The state folder (the fingerprint key and the applied fingerprints).
    state: Option<PathBuf>,
}

/// A target with its secrets in `config.json`, and the fingerprints of its
/// secured values.
#[derive(Debug)]
pub struct WithSecrets {
    /// The target, ready to import.
    pub desired: DesiredBot,
    /// Keyed fingerprint (hex) of each secured variable's value, by key.
    fingerprints: Fingerprints,
    /// Whether a value came from the secrets folder (which the bot cannot
    /// be assumed to hold yet), not only from git.
    from_files: bool,
}

type Fingerprints = BTreeMap<String, String>;

impl SecretStore {
    /// Secrets read from `dir`, fingerprints kept under `state`.
    pub fn new(dir: Option<PathBuf>, state: PathBuf) -> SecretStore {
        SecretStore {
            dir,
            state: Some(state),
        }
    }

    /// `desired` with the values of the secrets its variable file names,
    /// and the fingerprints of every secured value (`None`: it has none).
    pub async fn resolve(&self, desired: &DesiredBot) -> Result<Option<WithSecrets>, PassError> {
        let names: BTreeMap<String, String> = desired
            .variables
            .values()
            .flat_map(|v| v.secrets.clone())
            .collect();
        let store = self.clone();
        let mut desired = desired.clone();
        tokio::task::spawn_blocking(move || {
            let from_files = !names.is_empty();
            if from_files {
                let values = store.read_all(&names)?;
                let secured = values
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.expose_secret(), true));
                desired.files.config = set_values(&desired.files.config, secured)
                    .map_err(|e| PassError::Secret(format!("{}: {e}", desired.key())))?;
            }
            let secured = secured_values(&desired.files.config);
            if secured.is_empty() {
                return Ok(None);
            }
            let fingerprints = store.fingerprints(&desired.key().to_string(), &secured)?;
            Ok(Some(WithSecrets {
                desired,
                fingerprints,
                from_files,
            }))
        })
        .await?
    }

    /// `plan`, turned into an import when secured values differ from those
    /// last imported into this target (a rotated secret), with the keys that
    /// changed. Values held in git that the daemon has no record of are
    /// taken as the bot's (the platform never shows them, so a daemon could
    /// never tell); values from the secrets folder are imported once.
    pub fn plan(&self, with: Option<&WithSecrets>, plan: Plan) -> (Plan, Option<String>) {
        let Some(changed) = self.changed(with) else {
            return (plan, None);
        };
        let summary = format!("secured variables changed: {}", changed.join(", "));
        let plan = match plan {
            Plan::Synced | Plan::ReportDrift => Plan::Apply(Steps {
                import: true,
                publish: true,
                reverts_drift: false,
            }),
            Plan::Apply(steps) => Plan::Apply(Steps {
                import: true,
                ..steps
            }),
            Plan::AwaitingApproval => plan,
        };
        (plan, Some(summary))
    }

    /// Whether the target must be imported for its secured values (so that
    /// a resync may not trust the change log alone).
    pub fn rotated(&self, with: Option<&WithSecrets>) -> bool {
        self.changed(with).is_some()
    }

    /// The secured variables whose values differ from those last imported
    /// (`None`: nothing to import for them).
    fn changed(&self, with: Option<&WithSecrets>) -> Option<Vec<String>> {
        let with = with?;
        let applied = self.applied(&with.desired);
        if applied.is_none() && !with.from_files {
            self.record(Some(with));
            return None;
        }
        let applied = applied.unwrap_or_default();
        let changed: Vec<String> = with
            .fingerprints
            .iter()
            .filter(|(key, print)| applied.get(*key) != Some(*print))
            .map(|(key, _)| key.clone())
            .collect();
        (!changed.is_empty()).then_some(changed)
    }

    /// Records that the target now holds these values.
    pub fn record(&self, with: Option<&WithSecrets>) {
        let Some(with) = with else { return };
        let Some(path) = self.applied_path(&with.desired.key().to_string()) else {
            return;
        };
        let text: String = with
            .fingerprints
            .iter()
            .map(|(key, print)| format!("{key} {print}\n"))
            .collect();
        if let Err(e) = write_private(&path, text.as_bytes()) {
            tracing::warn!(bot = %with.desired.key(), error = %e, "could not record the applied secrets; the next pass imports them again");
        }
    }

    fn applied(&self, desired: &DesiredBot) -> Option<Fingerprints> {
        let path = self.applied_path(&desired.key().to_string())?;
        let text = std::fs::read_to_string(path).ok()?;
        Some(
            text.lines()
                .filter_map(|line| line.split_once(' '))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    fn applied_path(&self, key: &str) -> Option<PathBuf> {
        let file = key.replace('/', "@");
        Some(self.state.as_ref()?.join(APPLIED_DIR).join(file))
    }

    fn read_all(
        &self,
        names: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, SecretString>, PassError> {
        let dir = self.dir.as_ref().ok_or_else(|| {
            let first = names.values().next().cloned().unwrap_or_default();
            PassError::Secret(format!(
                "the variables name secret {first:?} but the daemon has no [daemon] secrets_dir"
            ))
        })?;
        names
            .iter()
            .map(|(key, name)| Ok((key.clone(), read_secret(dir, name)?)))
            .collect()
    }

    /// An HMAC of the target, the key and the value, for each secured value,
    /// keyed by the state folder's random key.
    fn fingerprints(
        &self,
        target: &str,
        values: &BTreeMap<String, SecretString>,
    ) -> Result<Fingerprints, PassError> {
        let Some(state) = &self.state else {
            return Ok(Fingerprints::new());
        };
        let key = fingerprint_key(state)?;
        values
            .iter()
            .map(|(name, value)| {
                let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
                    .map_err(|e| PassError::Internal(e.to_string()))?;
                for part in [
                    target.as_bytes(),
                    name.as_bytes(),
                    value.expose_secret().as_bytes(),
                ] {
                    mac.update(&(part.len() as u64).to_be_bytes());
                    mac.update(part);
                }
                Ok((name.clone(), hex::encode(mac.finalize().into_bytes())))
            })
            .collect()
    }
}

/// The summary of a pass: the definition's difference, and the secured
/// variables whose values changed (named, never shown).
pub fn summary(diff: String, secured: Option<&str>) -> String {
    match secured {
        None => diff,
        Some(secured) if diff == "no differences" => secured.to_owned(),
        Some(secured) => format!("{diff}; {secured}"),
    }
}

/// The values of `config.json`'s secured variables, by key.
fn secured_values(config: &[u8]) -> BTreeMap<String, SecretString> {
    let json: serde_json::Value = serde_json::from_slice(config).unwrap_or_default();
    json.get("envVariables")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("isSecured").and_then(serde_json::Value::as_bool) == Some(true))
        .filter_map(|v| {
            let key = v.get("key")?.as_str()?.to_owned();
            let value = v.get("value")?.as_str()?.to_owned();
            Some((key, SecretString::from(value)))
        })
        .collect()
}

fn read_secret(dir: &Path, name: &str) -> Result<SecretString, PassError> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => Ok(SecretString::from(
            text.trim_end_matches(['\n', '\r']).to_owned(),
        )),
        Ok(_) => Err(PassError::Secret(format!(
            "secret {name:?} ({}) is empty",
            path.display()
        ))),
        Err(e) => Err(PassError::Secret(format!(
            "secret {name:?} is not provided: cannot read {} ({})",
            path.display(),
            e.kind()
        ))),
    }
}

/// The random key of the fingerprints, made on first use (mode 0600); one
/// maker at a time, so that concurrent passes never make two keys.
fn fingerprint_key(state: &Path) -> Result<Vec<u8>, PassError> {
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = MAKING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let path = state.join(KEY_FILE);
    if let Ok(key) = std::fs::read(&path)
        && key.len() == 32
    {
        return Ok(key);
    }
    let key: [u8; 32] = rand::random();
    write_private(&path, &key).map_err(|e| {
        PassError::Secret(format!(
            "cannot keep the fingerprint key {}: {e}",
            path.display()
        ))
    })?;
    Ok(key.to_vec())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let unique = format!(".tmp-{}-{}", std::process::id(), rand::random::<u64>());
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(unique);
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}
