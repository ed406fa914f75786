//! Identifiers shared across modules, parsed once at the edge and then trusted.
//!
//! This is a leaf module: `source`, `desired`, `platform`, `diff` and `reconcile`
//! may all import it, and it imports nothing from them. Identifiers that only
//! one module knows about (upload file ids, job ids) live in that module.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct InvalidId {
    kind: &'static str,
    value: String,
    reason: &'static str,
}

/// A Kore.ai bot (stream) id: `st-` followed by a UUID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BotId(String);

impl BotId {
    /// The id as the platform spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for BotId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| InvalidId {
            kind: "bot id",
            value: s.to_owned(),
            reason,
        };
        let rest = s
            .strip_prefix("st-")
            .ok_or_else(|| invalid("must start with \"st-\""))?;
        uuid::Uuid::try_parse(rest).map_err(|_| invalid("must be \"st-\" followed by a UUID"))?;
        Ok(BotId(s.to_owned()))
    }
}

impl TryFrom<String> for BotId {
    type Error = InvalidId;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<BotId> for String {
    fn from(id: BotId) -> Self {
        id.0
    }
}

impl fmt::Display for BotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A git commit id (full 40-hex SHA-1), lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId([u8; 20]);

impl CommitId {
    /// From the raw 20 bytes of a git object id.
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        CommitId(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// From a git2 object id.
    pub fn from_oid(oid: git2::Oid) -> Self {
        let mut bytes = [0u8; 20];
        bytes.copy_from_slice(oid.as_bytes());
        CommitId(bytes)
    }

    /// As a git2 object id.
    pub fn to_oid(self) -> git2::Oid {
        git2::Oid::from_bytes(&self.0).expect("a CommitId is always 20 bytes")
    }

    /// The abbreviated form used in human output (12 hex digits).
    pub fn short(&self) -> String {
        hex::encode(&self.0[..6])
    }
}

impl FromStr for CommitId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 20];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| InvalidId {
            kind: "commit id",
            value: s.to_owned(),
            reason: "must be 40 hexadecimal digits",
        })?;
        Ok(CommitId(bytes))
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// A sha256 digest of a normalised bot (or one of its components).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// Wraps a finished sha256 output.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Digest(bytes)
    }

    /// The first 12 hex digits, for log lines.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..6])
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.short())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl FromStr for Digest {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_part = s.strip_prefix("sha256:").unwrap_or(s);
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| InvalidId {
            kind: "digest",
            value: s.to_owned(),
            reason: "must be \"sha256:\" and 64 hexadecimal digits",
        })?;
        Ok(Digest(bytes))
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_id_accepts_the_platform_form_only() {
        let id: BotId = "st-3c0e1947-3392-5f08-9d40-14eebc86ea88".parse().unwrap();
        assert_eq!(id.as_str(), "st-3c0e1947-3392-5f08-9d40-14eebc86ea88");
        let err = "3c0e1947-3392-5f08-9d40-14eebc86ea88"
            .parse::<BotId>()
            .unwrap_err();
        assert!(err.to_string().contains("must start with \"st-\""), "{err}");
        assert!("st-not-a-uuid".parse::<BotId>().is_err());
    }

    #[test]
    fn commit_id_round_trips_and_shortens() {
        let text = "0123456789abcdef0123456789abcdef01234567";
        let id: CommitId = text.parse().unwrap();
        assert_eq!(id.to_string(), text);
        assert_eq!(id.short(), "0123456789ab");
        assert!("0123".parse::<CommitId>().is_err());
    }

    #[test]
    fn digest_round_trips_through_serde() {
        let digest = Digest::from_bytes([7; 32]);
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(json, format!("\"sha256:{}\"", "07".repeat(32)));
        let back: Digest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, digest);
    }
}
