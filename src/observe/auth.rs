//! Constant-time checks of the secrets that guard the webhook and trigger
//! endpoints. Nothing here logs, formats or returns a secret.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// True when `presented` equals the secret. Both sides are hashed first so
/// that the comparison takes the same time whatever their lengths.
pub(crate) fn token_matches(secret: &SecretString, presented: &[u8]) -> bool {
    let expected = Sha256::digest(secret.expose_secret().as_bytes());
    let presented = Sha256::digest(presented);
    expected.ct_eq(&presented).into()
}

/// True when `signature_hex` is the hex HMAC-SHA256 of `body` under the secret
/// (either case of hex digits). Malformed hex is simply a mismatch.
pub(crate) fn hmac_sha256_matches(secret: &SecretString, body: &[u8], signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("It's a Secret to Everybody".to_owned())
    }

    #[test]
    fn github_documentation_example_verifies() {
        // The example from GitHub's "Validating webhook deliveries" page.
        let signature = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(hmac_sha256_matches(&secret(), b"Hello, World!", signature));
        assert!(hmac_sha256_matches(
            &secret(),
            b"Hello, World!",
            &signature.to_uppercase()
        ));
        assert!(!hmac_sha256_matches(&secret(), b"Hello, World?", signature));
        assert!(!hmac_sha256_matches(&secret(), b"Hello, World!", "zz"));
        assert!(!hmac_sha256_matches(&secret(), b"Hello, World!", ""));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(token_matches(&secret(), b"It's a Secret to Everybody"));
        assert!(!token_matches(&secret(), b"It's a Secret to Everybod"));
        assert!(!token_matches(&secret(), b""));
    }
}
