//! [`PresentedToken`]: a bearer token as the client presented it, with its SHA-256 computed at
//! most once per request.

use crate::digest::sha256;
use std::sync::OnceLock;

/// A bearer token as presented, with its SHA-256 digest computed at most once however many
/// verifiers and caches look at it — or supplied by the [`ConnectionMemo`](crate::ConnectionMemo)
/// of a connection that presented exactly these bytes before.
///
/// ```
/// use fastmcp_auth::{PresentedToken, sha256};
/// let token = PresentedToken::new("secret-token");
/// assert_eq!(token.as_str(), "secret-token");
/// assert_eq!(token.digest(), &sha256(b"secret-token"));
/// assert!(!token.remembered());
/// ```
pub struct PresentedToken<'a> {
    token: &'a str,
    digest: OnceLock<[u8; 32]>,
    remembered: bool,
}

impl<'a> PresentedToken<'a> {
    /// `token` (without the `Bearer ` prefix); its digest is computed on first use.
    pub fn new(token: &'a str) -> Self {
        PresentedToken { token, digest: OnceLock::new(), remembered: false }
    }

    /// `token` with a digest the caller has already established for these exact bytes. Crate
    /// private: a digest that does not belong to the token would let it borrow another token's
    /// cache entry.
    pub(crate) fn with_remembered_digest(token: &'a str, digest: [u8; 32]) -> Self {
        PresentedToken { token, digest: OnceLock::from(digest), remembered: true }
    }

    /// The token itself.
    pub fn as_str(&self) -> &'a str {
        self.token
    }

    /// SHA-256 of the token (computed once).
    pub fn digest(&self) -> &[u8; 32] {
        self.digest.get_or_init(|| sha256(self.token.as_bytes()))
    }

    /// The digest, if something has already needed it.
    pub(crate) fn digest_if_known(&self) -> Option<&[u8; 32]> {
        self.digest.get()
    }

    /// True if the digest came from the connection's memo instead of being computed.
    pub fn remembered(&self) -> bool {
        self.remembered
    }

    /// A short label for logs: the first 8 hex digits of the digest (see [`crate::fingerprint`]).
    pub fn fingerprint(&self) -> String {
        crate::digest::hex_prefix(self.digest())
    }
}

impl std::fmt::Debug for PresentedToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PresentedToken({})", self.fingerprint())
    }
}
