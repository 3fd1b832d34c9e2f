//! [`AccessToken`]: what a verifier learned about a caller.

use crate::ScopeSet;
use serde_json::{Map, Value};

/// A verified access token: who is calling, for which client, with which scopes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccessToken {
    /// The subject (`sub`): the user or machine.
    pub subject: String,
    /// The OAuth client the token was issued to (`client_id`, `azp`), if known.
    pub client_id: Option<String>,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// Expiry as Unix seconds (`exp`), if any.
    pub expires_at: Option<u64>,
    /// Audiences (`aud`).
    pub audience: Vec<String>,
    /// Issuer (`iss`), if any.
    pub issuer: Option<String>,
    /// All claims, as received.
    pub claims: Map<String, Value>,
}

impl AccessToken {
    /// True if the token holds every scope in `required`.
    pub fn has_scopes(&self, required: &ScopeSet) -> bool {
        self.scopes.contains_all(required)
    }

    /// True if the token has expired at `now` (Unix seconds).
    pub fn is_expired_at(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|exp| exp <= now)
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
