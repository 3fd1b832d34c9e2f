//! SHA-256 digests of secrets: keys, cache entries and logs never hold the secret itself.

use sha2::{Digest, Sha256};

/// SHA-256 of `secret`.
pub fn sha256(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// A short, non-reversible label for logs: the first 8 hex digits of the SHA-256.
pub fn fingerprint(secret: &str) -> String {
    hex_prefix(&sha256(secret.as_bytes()))
}

/// The first 8 hex digits of a digest.
pub(crate) fn hex_prefix(digest: &[u8; 32]) -> String {
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}
