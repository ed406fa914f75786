//! The four git hosts: how to recognise their deliveries, how each signs them,
//! and which event is a push.

use std::fmt;
use std::str::FromStr;

use axum::http::HeaderMap;
use secrecy::SecretString;

use crate::observe::auth::{hmac_sha256_matches, token_matches};

/// A git host that delivers push webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// GitHub (and GitHub Enterprise): `X-Hub-Signature-256: sha256=<hex HMAC>`.
    GitHub,
    /// GitLab: `X-Gitlab-Token: <secret>`.
    GitLab,
    /// Gitea (and Forgejo): `X-Gitea-Signature: <hex HMAC>`.
    Gitea,
    /// Bitbucket Cloud: `X-Hub-Signature: sha256=<hex HMAC>`.
    Bitbucket,
}

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header that carries it is absent.
    #[error("no {0} header")]
    Missing(&'static str),
    /// Present, but not the secret's.
    #[error("{0} does not match the secret")]
    Mismatch(&'static str),
}

/// The path segment does not name a host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown webhook host (expected github, gitlab, gitea or bitbucket)")]
pub struct UnknownHost;

impl FromStr for Host {
    type Err = UnknownHost;

    fn from_str(s: &str) -> Result<Host, UnknownHost> {
        match s {
            "github" => Ok(Host::GitHub),
            "gitlab" => Ok(Host::GitLab),
            "gitea" => Ok(Host::Gitea),
            "bitbucket" => Ok(Host::Bitbucket),
            _ => Err(UnknownHost),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Host {
    /// The lower-case name used in paths, logs and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Host::GitHub => "github",
            Host::GitLab => "gitlab",
            Host::Gitea => "gitea",
            Host::Bitbucket => "bitbucket",
        }
    }

    /// Recognises the host from its event header. Gitea also sends GitHub's
    /// headers for compatibility, so it is tested first.
    pub fn detect(headers: &HeaderMap) -> Option<Host> {
        [Host::Gitea, Host::GitLab, Host::Bitbucket, Host::GitHub]
            .into_iter()
            .find(|host| headers.contains_key(host.event_header()))
    }

    fn event_header(self) -> &'static str {
        match self {
            Host::GitHub => "x-github-event",
            Host::GitLab => "x-gitlab-event",
            Host::Gitea => "x-gitea-event",
            Host::Bitbucket => "x-event-key",
        }
    }

    fn push_event(self) -> &'static str {
        match self {
            Host::GitHub | Host::Gitea => "push",
            Host::GitLab => "Push Hook",
            Host::Bitbucket => "repo:push",
        }
    }

    /// The event the delivery announces (empty when the header is absent or
    /// not text), for the "not a push" answer.
    pub fn event(self, headers: &HeaderMap) -> &str {
        headers
            .get(self.event_header())
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// True when the delivery announces a push.
    pub fn is_push(self, headers: &HeaderMap) -> bool {
        self.event(headers) == self.push_event()
    }

    /// Checks the delivery's signature (or token) against `secret`.
    pub fn verify(
        self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &SecretString,
    ) -> Result<(), SignatureError> {
        let (name, prefix) = match self {
            Host::GitHub => ("X-Hub-Signature-256", Some("sha256=")),
            Host::Gitea => ("X-Gitea-Signature", None),
            Host::Bitbucket => ("X-Hub-Signature", Some("sha256=")),
            Host::GitLab => ("X-Gitlab-Token", None),
        };
        let value = headers
            .get(name)
            .ok_or(SignatureError::Missing(name))?
            .as_bytes();
        let matches = match (self, prefix) {
            (Host::GitLab, _) => token_matches(secret, value),
            (_, Some(prefix)) => value
                .strip_prefix(prefix.as_bytes())
                .is_some_and(|hex| hmac_matches(secret, body, hex)),
            (_, None) => hmac_matches(secret, body, value),
        };
        if matches {
            Ok(())
        } else {
            Err(SignatureError::Mismatch(name))
        }
    }
}

fn hmac_matches(secret: &SecretString, body: &[u8], hex: &[u8]) -> bool {
    std::str::from_utf8(hex).is_ok_and(|hex| hmac_sha256_matches(secret, body, hex))
}
