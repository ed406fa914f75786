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

/// A target with its secrets in `config.json`, and their fingerprint.
#[derive(Debug)]
pub struct WithSecrets {
    /// The target, ready to import.
    pub desired: DesiredBot,
    /// The keyed fingerprint of the values (hex); never the values.
    fingerprint: String,
}

impl SecretStore {
    /// Secrets read from `dir`, fingerprints kept under `state`.
    pub fn new(dir: Option<PathBuf>, state: PathBuf) -> SecretStore {
        SecretStore {
            dir,
            state: Some(state),
        }
    }

    /// `desired` with the values of the secrets its variable file names
    /// (`None` when it names none: nothing to do).
    pub async fn resolve(&self, desired: &DesiredBot) -> Result<Option<WithSecrets>, PassError> {
        let names: BTreeMap<String, String> = desired
            .variables
            .values()
            .flat_map(|v| v.secrets.clone())
            .collect();
        if names.is_empty() {
            return Ok(None);
        }
        let store = self.clone();
        let mut desired = desired.clone();
        tokio::task::spawn_blocking(move || {
            let values = store.read_all(&names)?;
            let fingerprint = store.fingerprint(&desired.key().to_string(), &values)?;
            let secured = values
                .iter()
                .map(|(key, value)| (key.as_str(), value.expose_secret(), true));
            desired.files.config = set_values(&desired.files.config, secured)
                .map_err(|e| PassError::Secret(format!("{}: {e}", desired.key())))?;
            Ok(Some(WithSecrets {
                desired,
                fingerprint,
            }))
        })
        .await?
    }

    /// `plan`, turned into an import when the values differ from those last
    /// imported into this target (a rotated secret, or a first run).
    pub fn plan(&self, with: Option<&WithSecrets>, plan: Plan) -> Plan {
        let Some(with) = with else { return plan };
        if self.applied(&with.desired) == Some(with.fingerprint.clone()) {
            return plan;
        }
        match plan {
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
        }
    }

    /// Records that the target now holds these values.
    pub fn record(&self, with: Option<&WithSecrets>) {
        let Some(with) = with else { return };
        let Some(path) = self.applied_path(&with_key(with)) else {
            return;
        };
        if let Err(e) = write_private(&path, with.fingerprint.as_bytes()) {
            tracing::warn!(bot = %with.desired.key(), error = %e, "could not record the applied secrets; the next pass imports them again");
        }
    }

    fn applied(&self, desired: &DesiredBot) -> Option<String> {
        let path = self.applied_path(&desired.key().to_string())?;
        std::fs::read_to_string(path).ok()
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

    /// HMAC of the target and its values, keyed by the state folder's key.
    fn fingerprint(
        &self,
        target: &str,
        values: &BTreeMap<String, SecretString>,
    ) -> Result<String, PassError> {
        let key = match &self.state {
            Some(state) => fingerprint_key(state)?,
            None => return Ok(String::new()),
        };
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
            .map_err(|e| PassError::Internal(e.to_string()))?;
        mac.update(target.as_bytes());
        for (name, value) in values {
            for part in [name.as_bytes(), value.expose_secret().as_bytes()] {
                mac.update(&(part.len() as u64).to_be_bytes());
                mac.update(part);
            }
        }
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

fn with_key(with: &WithSecrets) -> String {
    with.desired.key().to_string()
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

/// The random key of the fingerprints, made on first use (mode 0600).
fn fingerprint_key(state: &Path) -> Result<Vec<u8>, PassError> {
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
    let temporary = path.with_extension("tmp");
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
