//! Minting the JWT the platform expects in its `auth` header.
//!
//! A fresh token with a fresh `jti` and `exp` at most one hour ahead is minted for
//! every request: that is accepted by every kind of app, including apps that
//! enforce the `jti` claim and refuse a replayed token.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// How long a minted token is valid (the platform caps `exp` at one hour for
/// `jti`-enforcing apps; a request never needs more than a few minutes).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The `sub` claim: the platform accepts any value.
pub const TOKEN_SUBJECT: &str = "kore-gitops";

/// An app's Client ID (`cs-…`), the `appId` claim of its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps a client id; it must be non-empty and free of whitespace.
    pub fn new(id: impl Into<String>) -> Result<Self, AuthError> {
        let id = id.into();
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(AuthError::InvalidClientId);
        }
        Ok(ClientId(id))
    }

    /// The id as the platform spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An app's Client ID and Client Secret. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    /// The app's Client ID.
    pub client_id: ClientId,
    /// The app's Client Secret, the HS256 signing key.
    pub client_secret: SecretString,
    /// Whether the app enforces JWE-wrapped tokens (not supported: refused up front).
    pub jwe: bool,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("jwe", &self.jwe)
            .finish()
    }
}

/// Why a token could not be minted. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error(
        "JWE-encrypted tokens are not supported: turn off JWE encryption for the app \
         or use another app"
    )]
    JweUnsupported,
    #[error("the client id must be non-empty and contain no whitespace")]
    InvalidClientId,
    #[error("the client secret is empty")]
    EmptySecret,
    #[error("the system clock is before 1970")]
    Clock,
    #[error("signing the token failed: {0}")]
    Signing(String),
}

/// The claims of a platform token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The Client ID; the platform spells the key exactly `appId`.
    #[serde(rename = "appId")]
    pub app_id: String,
    pub sub: String,
    pub iat: u64,
    pub exp: u64,
    /// Fresh for every token, so a token is never replayed.
    pub jti: String,
}

/// Mints tokens for one app.
#[derive(Debug, Clone)]
pub struct TokenMinter {
    credentials: Credentials,
}

impl TokenMinter {
    /// Checks the credentials once: JWE and an empty secret are refused here.
    pub fn new(credentials: Credentials) -> Result<Self, AuthError> {
        if credentials.jwe {
            return Err(AuthError::JweUnsupported);
        }
        if credentials.client_secret.expose_secret().is_empty() {
            return Err(AuthError::EmptySecret);
        }
        Ok(TokenMinter { credentials })
    }

    /// The app these tokens speak for.
    pub fn client_id(&self) -> &ClientId {
        &self.credentials.client_id
    }

    /// A new token, valid from now for [`TOKEN_LIFETIME`], with a fresh `jti`.
    pub fn mint(&self) -> Result<SecretString, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| AuthError::Clock)?;
        self.mint_at(now.as_secs())
    }

    /// A new token issued at `now` (seconds since the epoch).
    pub fn mint_at(&self, now: u64) -> Result<SecretString, AuthError> {
        let claims = Claims {
            app_id: self.credentials.client_id.as_str().to_owned(),
            sub: TOKEN_SUBJECT.to_owned(),
            iat: now,
            exp: now + TOKEN_LIFETIME.as_secs(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let key =
            EncodingKey::from_secret(self.credentials.client_secret.expose_secret().as_bytes());
        let token = encode(&Header::new(Algorithm::HS256), &claims, &key)
            .map_err(|err| AuthError::Signing(err.to_string()))?;
        Ok(SecretString::from(token))
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation, decode};

    use super::*;

    const SECRET: &str = "s3cr3t-client-secret";

    fn credentials(jwe: bool) -> Credentials {
        Credentials {
            client_id: ClientId::new("cs-1234").unwrap(),
            client_secret: SecretString::from(SECRET),
            jwe,
        }
    }

    fn decode_claims(token: &SecretString) -> Claims {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        // Some tests mint at a fixed time in the past.
        validation.validate_exp = false;
        let key = DecodingKey::from_secret(SECRET.as_bytes());
        decode::<Claims>(token.expose_secret(), &key, &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn tokens_carry_the_platform_claims_signed_hs256() {
        let minter = TokenMinter::new(credentials(false)).unwrap();
        let token = minter.mint().unwrap();
        let header = jsonwebtoken::decode_header(token.expose_secret()).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        let claims = decode_claims(&token);
        assert_eq!(claims.app_id, "cs-1234");
        assert_eq!(claims.sub, TOKEN_SUBJECT);
        assert!(claims.exp > claims.iat && claims.exp - claims.iat <= 3600);
        let raw: serde_json::Value = serde_json::to_value(&claims).unwrap();
        assert!(
            raw.get("appId").is_some(),
            "the key must be spelled appId: {raw}"
        );
    }

    #[test]
    fn every_token_has_a_fresh_jti() {
        let minter = TokenMinter::new(credentials(false)).unwrap();
        let first = decode_claims(&minter.mint_at(1_700_000_000).unwrap());
        let second = decode_claims(&minter.mint_at(1_700_000_000).unwrap());
        assert_ne!(first.jti, second.jti);
        assert_eq!(first.exp, 1_700_000_000 + TOKEN_LIFETIME.as_secs());
    }

    #[test]
    fn jwe_and_empty_secrets_are_refused_up_front() {
        let err = TokenMinter::new(credentials(true)).unwrap_err();
        assert!(
            err.to_string()
                .contains("JWE-encrypted tokens are not supported"),
            "{err}"
        );
        let empty = Credentials {
            client_secret: SecretString::from(""),
            ..credentials(false)
        };
        assert_eq!(TokenMinter::new(empty).unwrap_err(), AuthError::EmptySecret);
        assert!(ClientId::new("has space").is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let minter = TokenMinter::new(credentials(false)).unwrap();
        let shown = format!(
            "{:?} {:?} {:?}",
            credentials(false),
            minter,
            minter.mint().unwrap()
        );
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("cs-1234"), "{shown}");
    }
}
