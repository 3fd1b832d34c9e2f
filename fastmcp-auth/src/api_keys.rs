//! [`ApiKeys`]: static API keys, stored as SHA-256 digests and compared in constant time.

use crate::digest::sha256;
use crate::token::now_unix;
use crate::{AccessToken, PresentedToken, ScopeSet, TokenVerifier, Verified, VerifyError};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

#[derive(Clone, Debug)]
struct Entry {
    digest: [u8; 32],
    token: Arc<AccessToken>,
}

/// Static API keys for machine clients. Only SHA-256 digests are kept in memory.
///
/// ```
/// use fastmcp_auth::{ApiKeys, ScopeSet, TokenVerifier};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let key = std::env::var("CI_BOT_KEY").unwrap_or_else(|_| "0123456789abcdef-example".into());
/// let keys = ApiKeys::new().key(&key, "ci-bot", ScopeSet::parse("notes:read"), None);
/// assert_eq!(keys.verify(&key).await.unwrap().subject, "ci-bot");
/// assert!(keys.verify("wrong").await.is_err());
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ApiKeys {
    by_digest: HashMap<[u8; 32], Entry>,
}

/// One key in the JSON format read by [`ApiKeys::from_json`].
#[derive(Deserialize)]
struct KeySpec {
    key: String,
    subject: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    expires_at: Option<u64>,
}

impl ApiKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key (pass it from the environment or a file, never a literal).
    pub fn key(mut self, key: &str, subject: impl Into<String>, scopes: ScopeSet, expires_at: Option<u64>) -> Self {
        let digest = sha256(key.as_bytes());
        let subject = subject.into();
        let token = Arc::new(AccessToken {
            client_id: Some(subject.clone()),
            subject,
            scopes,
            expires_at,
            ..AccessToken::default()
        });
        self.by_digest.insert(digest, Entry { digest, token });
        self
    }

    /// Reads keys from JSON: `[{"key": "...", "subject": "ci", "scopes": ["a"], "expires_at": 1767225600}]`.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let specs: Vec<KeySpec> = serde_json::from_str(json).map_err(|e| format!("invalid API key list: {e}"))?;
        let mut keys = ApiKeys::new();
        for s in specs {
            if s.key.len() < 16 {
                return Err(format!("the API key of `{}` is shorter than 16 characters", s.subject));
            }
            for scope in &s.scopes {
                crate::scope::validate_scope_token(scope)?;
            }
            keys = keys.key(&s.key, s.subject, s.scopes.into_iter().collect(), s.expires_at);
        }
        Ok(keys)
    }

    /// Reads keys from a JSON file (see [`from_json`](Self::from_json)).
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::from_json(&text)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.by_digest.len()
    }

    /// True if there are no keys.
    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }

    fn lookup(&self, token: &PresentedToken<'_>) -> Verified {
        let digest = token.digest();
        // The map is keyed by the digest, so the lookup's timing depends only on the digest,
        // which reveals nothing usable about a key; the final comparison is constant-time.
        let entry = self
            .by_digest
            .get(digest)
            .filter(|e| bool::from(e.digest.ct_eq(digest)))
            .ok_or_else(|| VerifyError::Invalid("unknown API key".into()))?;
        if entry.token.is_expired_at(now_unix()) {
            return Err(VerifyError::Invalid("API key expired".into()));
        }
        Ok(entry.token.clone())
    }
}

impl TokenVerifier for ApiKeys {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Verified> {
        crate::verifier::present_and_verify(self, token)
    }
    fn verify_presented<'a>(&'a self, token: &'a PresentedToken<'a>) -> BoxFuture<'a, Verified> {
        Box::pin(std::future::ready(self.lookup(token)))
    }
    fn verify_now(&self, token: &PresentedToken<'_>) -> Option<Verified> {
        Some(self.lookup(token))
    }
}
