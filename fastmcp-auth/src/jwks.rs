//! [`JwksCache`]: a remote JSON Web Key Set, cached with a TTL from `Cache-Control`, refreshed
//! single-flight, re-fetched for unknown key ids at most once per cooldown, and served stale
//! while the endpoint is down.

use crate::VerifyError;
use crate::http_client::{FetchLimits, client, read_capped};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// One usable verification key.
#[derive(Clone)]
pub struct VerificationKey {
    /// Key id, if the key set names it.
    pub kid: Option<String>,
    /// The key.
    pub key: DecodingKey,
    /// The algorithm the key is pinned to (`alg` of the JWK), if any.
    pub alg: Option<Algorithm>,
    /// `RSA`, `EC`, `OKP` or `oct`.
    pub kty: &'static str,
}

impl VerificationKey {
    /// Builds a key from a JWK; `None` for unsupported or encryption-only keys.
    pub fn from_jwk(jwk: &Jwk) -> Option<Self> {
        if matches!(jwk.common.public_key_use, Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)) {
            return None;
        }
        let kty = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => "RSA",
            AlgorithmParameters::EllipticCurve(_) => "EC",
            AlgorithmParameters::OctetKeyPair(_) => "OKP",
            AlgorithmParameters::OctetKey(_) => return None, // symmetric keys never come from a JWKS URL
        };
        let alg = match jwk.common.key_algorithm {
            None => None,
            Some(a) => Some(signing_alg(a)?),
        };
        Some(VerificationKey { kid: jwk.common.key_id.clone(), key: DecodingKey::from_jwk(jwk).ok()?, alg, kty })
    }

    /// True if this key may verify a token signed with `alg` (the key type must match the
    /// algorithm family, and a pinned `alg` must be exactly it).
    pub fn accepts(&self, alg: Algorithm) -> bool {
        let family_ok = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => self.kty == "RSA",
            Algorithm::ES256 | Algorithm::ES384 => self.kty == "EC",
            Algorithm::EdDSA => self.kty == "OKP",
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => self.kty == "oct",
        };
        family_ok && self.alg.is_none_or(|a| a == alg)
    }
}

fn signing_alg(a: KeyAlgorithm) -> Option<Algorithm> {
    Some(match a {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        KeyAlgorithm::HS256 => Algorithm::HS256,
        KeyAlgorithm::HS384 => Algorithm::HS384,
        KeyAlgorithm::HS512 => Algorithm::HS512,
        _ => return None,
    })
}

/// A set of keys.
#[derive(Clone, Default)]
pub struct KeySet {
    by_kid: HashMap<String, Arc<VerificationKey>>,
    all: Vec<Arc<VerificationKey>>,
}

impl KeySet {
    /// Builds a set from keys.
    pub fn new(keys: Vec<VerificationKey>) -> Self {
        let all: Vec<Arc<VerificationKey>> = keys.into_iter().map(Arc::new).collect();
        let by_kid = all.iter().filter_map(|k| Some((k.kid.clone()?, k.clone()))).collect();
        KeySet { by_kid, all }
    }

    /// Parses a JWKS document, skipping keys this verifier cannot use.
    pub fn from_jwks_json(body: &[u8]) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("JWKS is not JSON: {e}"))?;
        let keys = value.get("keys").and_then(|k| k.as_array()).ok_or("JWKS has no `keys` array")?;
        // Parse key by key so that one exotic key does not hide the others.
        let parsed: Vec<VerificationKey> = keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter_map(|jwk| VerificationKey::from_jwk(&jwk))
            .collect();
        Ok(KeySet::new(parsed))
    }

    /// The key for a token header: by `kid` when given, else the only key that accepts `alg`.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&Arc<VerificationKey>> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None => {
                let mut candidates = self.all.iter().filter(|k| k.accepts(alg));
                let first = candidates.next();
                if candidates.next().is_some() { None } else { first }
            }
        }
    }

    /// Every key.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<VerificationKey>> {
        self.all.iter()
    }

    /// True if the set has a key with this id.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// True if there are no keys.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

struct State {
    keys: Arc<KeySet>,
    fetched: bool,
    /// Refresh after this instant.
    fresh_until: Instant,
    /// After a failed fetch, do not try again before this instant.
    retry_after: Option<Instant>,
    generation: u64,
}

/// How long JWKS responses are cached and how often unknown key ids may trigger a fetch.
#[derive(Clone, Debug)]
pub struct JwksPolicy {
    /// Used when the response has no `Cache-Control: max-age`.
    pub default_ttl: Duration,
    /// Lower bound for the TTL taken from `max-age`.
    pub min_ttl: Duration,
    /// Upper bound for the TTL taken from `max-age`.
    pub max_ttl: Duration,
    /// At most one fetch for unknown key ids (or after a failure) per this interval.
    pub cooldown: Duration,
    /// Timeout and size cap of the fetch.
    pub limits: FetchLimits,
}

impl Default for JwksPolicy {
    fn default() -> Self {
        JwksPolicy {
            default_ttl: Duration::from_secs(300),
            min_ttl: Duration::from_secs(30),
            max_ttl: Duration::from_secs(24 * 3600),
            cooldown: Duration::from_secs(30),
            limits: FetchLimits::default(),
        }
    }
}

/// A cached remote JWKS.
pub struct JwksCache {
    url: String,
    http: reqwest::Client,
    policy: JwksPolicy,
    state: RwLock<State>,
    refresh: tokio::sync::Mutex<()>,
    last_unknown_kid_fetch: Mutex<Option<Instant>>,
    fetches: AtomicU64,
}

impl JwksCache {
    /// A cache for the key set at `url` (nothing is fetched until the first token).
    pub fn new(url: impl Into<String>, policy: JwksPolicy) -> Self {
        JwksCache {
            url: url.into(),
            http: client(&policy.limits),
            policy,
            state: RwLock::new(State {
                keys: Arc::new(KeySet::default()),
                fetched: false,
                fresh_until: Instant::now(),
                retry_after: None,
                generation: 0,
            }),
            refresh: tokio::sync::Mutex::new(()),
            last_unknown_kid_fetch: Mutex::new(None),
            fetches: AtomicU64::new(0),
        }
    }

    /// The JWKS URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many fetches were attempted (for tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The current key set without fetching.
    pub fn current(&self) -> Arc<KeySet> {
        self.state.read().unwrap_or_else(|p| p.into_inner()).keys.clone()
    }

    fn snapshot(&self) -> (Arc<KeySet>, bool, bool, Option<Instant>, u64) {
        let s = self.state.read().unwrap_or_else(|p| p.into_inner());
        (s.keys.clone(), s.fetched, Instant::now() < s.fresh_until, s.retry_after, s.generation)
    }

    /// The key that verifies a token with this header, fetching the key set as needed.
    pub async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<VerificationKey>, VerifyError> {
        let (keys, fetched, fresh, retry_after, generation) = self.snapshot();
        let backing_off = retry_after.is_some_and(|t| Instant::now() < t);
        if fresh || (fetched && backing_off) {
            if let Some(k) = keys.find(kid, alg) {
                return Ok(k.clone());
            }
            // Unknown kid: maybe the issuer rotated. Refetch, at most once per cooldown.
            if backing_off || !self.may_refetch_for_unknown_kid() {
                return Err(VerifyError::Invalid(unknown_key(kid)));
            }
        } else if !fetched && backing_off {
            return Err(VerifyError::Unavailable(format!("JWKS endpoint {} is unreachable", self.url)));
        }
        match self.refresh(generation).await {
            Ok(()) => {}
            Err(e) => {
                // Serve stale keys while the endpoint is down; never accept without a key.
                if let Some(k) = self.current().find(kid, alg) {
                    tracing::warn!(url = %self.url, error = %e, "JWKS refresh failed; using cached keys");
                    return Ok(k.clone());
                }
                return Err(VerifyError::Unavailable(format!("cannot fetch JWKS from {}: {e}", self.url)));
            }
        }
        self.current().find(kid, alg).cloned().ok_or_else(|| VerifyError::Invalid(unknown_key(kid)))
    }

    fn may_refetch_for_unknown_kid(&self) -> bool {
        let mut last = self.last_unknown_kid_fetch.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < self.policy.cooldown) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Fetches unless another task already refreshed since `seen_generation` (single flight).
    async fn refresh(&self, seen_generation: u64) -> Result<(), String> {
        let _guard = self.refresh.lock().await;
        {
            let s = self.state.read().unwrap_or_else(|p| p.into_inner());
            if s.generation != seen_generation {
                return if s.fetched && s.retry_after.is_none() { Ok(()) } else { Err("previous fetch failed".into()) };
            }
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let outcome = self.fetch().await;
        let mut s = self.state.write().unwrap_or_else(|p| p.into_inner());
        s.generation += 1;
        match outcome {
            Ok((keys, ttl)) => {
                tracing::debug!(url = %self.url, keys = keys.len(), ttl = ?ttl, "fetched JWKS");
                s.keys = Arc::new(keys);
                s.fetched = true;
                s.fresh_until = Instant::now() + ttl;
                s.retry_after = None;
                Ok(())
            }
            Err(e) => {
                s.retry_after = Some(
                    Instant::now() + self.policy.cooldown.min(Duration::from_secs(5)).max(Duration::from_millis(500)),
                );
                Err(e)
            }
        }
    }

    async fn fetch(&self) -> Result<(KeySet, Duration), String> {
        let response = self.http.get(&self.url).send().await.map_err(|e| format!("request failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let ttl = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age)
            .map(|d| d.clamp(self.policy.min_ttl, self.policy.max_ttl))
            .unwrap_or(self.policy.default_ttl);
        let body = read_capped(response, self.policy.limits.max_bytes).await?;
        let keys = KeySet::from_jwks_json(&body)?;
        if keys.is_empty() {
            return Err("JWKS contains no usable signing keys".into());
        }
        Ok((keys, ttl))
    }
}

fn unknown_key(kid: Option<&str>) -> String {
    match kid {
        Some(kid) => format!("no key with kid `{kid}` in the issuer's key set"),
        None => "token has no kid and no single key matches its algorithm".into(),
    }
}

/// `max-age` of a Cache-Control value (`no-store`/`no-cache` → zero).
fn max_age(cache_control: &str) -> Option<Duration> {
    let mut result = None;
    for directive in cache_control.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            result = v.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::max_age;
    use std::time::Duration;

    #[test]
    fn cache_control() {
        assert_eq!(max_age("public, max-age=600"), Some(Duration::from_secs(600)));
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
    }
}
