//! Hashing, signing and random identifiers. HMAC-SHA256 is written out here
//! (it is ten lines over `sha2`) so that the simulator verifies tokens with
//! code independent of the `jsonwebtoken` library the client mints them with.

use sha2::{Digest, Sha256};
use uuid::Uuid;

const BLOCK: usize = 64;

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.into()
}

/// Constant-time comparison, so signature checks leak no timing.
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `n` random lower-case hex digits (n ≤ 64).
pub fn random_hex(n: usize) -> String {
    let mut s = Uuid::new_v4().simple().to_string();
    s.push_str(&Uuid::new_v4().simple().to_string());
    s.truncate(n);
    s
}

/// A fresh `<prefix>-<uuid>` identifier.
pub fn prefixed_id(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4())
}

/// A random byte, for perturbations.
pub fn random_byte() -> u8 {
    Uuid::new_v4().as_bytes()[0]
}

/// The deterministic id of a seeded bot: `st-` + uuid v5 of its seed name.
pub fn bot_id(seed_name: &str) -> String {
    let name = format!("kore-gitops-sim:bot:{seed_name}");
    format!("st-{}", Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes()))
}

/// The deterministic client id of an app: `cs-` + uuid v5 of its name.
pub fn client_id(app_name: &str) -> String {
    let name = format!("kore-gitops-sim:app:{app_name}");
    format!("cs-{}", Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes()))
}

/// The deterministic secret of an app (a sim is not a vault: tests need
/// reproducible credentials; the config can set real-looking ones).
pub fn client_secret(app_name: &str) -> String {
    let mac = hmac_sha256(b"kore-gitops-sim:secret", app_name.as_bytes());
    base64_url(&mac[..30])
}

/// URL-safe base64 without padding.
pub fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes URL-safe base64 without padding.
pub fn base64_url_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_hashes_long_keys() {
        let key = [0xaau8; 131];
        let mac = hmac_sha256(
            &key,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn ids_are_deterministic() {
        assert_eq!(bot_id("x"), bot_id("x"));
        assert_ne!(bot_id("x"), bot_id("y"));
        assert!(client_id("admin").starts_with("cs-"));
        assert_eq!(random_hex(24).len(), 24);
    }
}
