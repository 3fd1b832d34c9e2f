//! [`JwtVerifier`]: JWT access tokens checked against a JWKS URL, static public keys, or an
//! HMAC secret — never HMAC together with public keys.

use crate::jwks::{JwksCache, JwksPolicy, KeySet, VerificationKey};
use crate::token::now_unix;
use crate::token_cache::TokenCache;
use crate::{AccessToken, ConfigError, PresentedToken, ScopeSet, TokenVerifier, Verified, VerifyError};
use futures_util::future::BoxFuture;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::sync::Arc;

enum Keys {
    Jwks(Arc<JwksCache>),
    Static(KeySet),
    Provided(Arc<dyn KeyProvider>),
}

/// Keys that change at runtime without a URL to fetch (the built-in authorization server's
/// own signing keys).
pub trait KeyProvider: Send + Sync + 'static {
    /// The keys now.
    fn current(&self) -> Arc<KeySet>;
    /// Reloads the keys (called for an unknown `kid`, at most once per second).
    fn reload(&self) -> BoxFuture<'_, ()>;
}

/// Verifies JWT access tokens: signature, algorithm allow-list, `iss`, `aud`, `exp`/`nbf`/`iat`
/// with leeway, optional `typ: at+jwt` (RFC 9068), and a size cap. Verified tokens are cached by
/// digest until they expire, so the hot path skips the signature check.
///
/// ```
/// use fastmcp_auth::JwtVerifier;
/// let v = JwtVerifier::builder()
///     .jwks_uri("https://auth.example.com/.well-known/jwks.json")
///     .issuer("https://auth.example.com")
///     .audience("https://notes.example.com/mcp")
///     .build()
///     .unwrap();
/// assert!(JwtVerifier::builder().jwks_uri("https://a.example/jwks").build().is_err(), "audience is required");
/// ```
pub struct JwtVerifier {
    keys: Keys,
    algorithms: Vec<Algorithm>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    leeway: u64,
    require_at_jwt: bool,
    scope_claim: Option<String>,
    max_token_bytes: usize,
    cache: Option<TokenCache>,
}

/// Builds a [`JwtVerifier`].
#[derive(Default)]
#[must_use]
pub struct JwtVerifierBuilder {
    jwks_uri: Option<String>,
    public_keys: Vec<String>,
    secret: Option<Vec<u8>>,
    algorithms: Vec<Algorithm>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    leeway: Option<u64>,
    require_at_jwt: bool,
    scope_claim: Option<String>,
    max_token_bytes: Option<usize>,
    cache_capacity: Option<usize>,
    jwks_policy: JwksPolicy,
    provider: Option<Arc<dyn KeyProvider>>,
}

/// Asymmetric algorithms accepted when none are configured.
pub const DEFAULT_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn is_hmac(a: Algorithm) -> bool {
    matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// Parses an algorithm name (`RS256`, `ES256`, `EdDSA`, `HS256`, …); `none` is refused.
pub fn parse_algorithm(name: &str) -> Result<Algorithm, ConfigError> {
    if name.eq_ignore_ascii_case("none") {
        return Err(ConfigError::new("algorithm `none` is never accepted"));
    }
    name.parse::<Algorithm>().map_err(|_| ConfigError::new(format!("unknown JWT algorithm `{name}` (expected RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA, HS256, HS384 or HS512)")))
}

impl JwtVerifierBuilder {
    /// Fetch keys from this JWKS URL.
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks_uri = Some(url.into());
        self
    }
    /// A static public key: PEM (`-----BEGIN PUBLIC KEY-----`) or a JWK / JWKS JSON document.
    pub fn public_key(mut self, key: impl Into<String>) -> Self {
        self.public_keys.push(key.into());
        self
    }
    /// An HMAC secret (requires explicit HS* algorithms; refused with public keys).
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secret = Some(secret.as_ref().to_vec());
        self
    }
    /// Adds an accepted algorithm.
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.algorithms.push(alg);
        self
    }
    /// Adds an accepted issuer.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }
    /// Adds an accepted audience (at least one is required).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }
    /// Clock skew tolerated for `exp`, `nbf`, `iat` (default 30 s).
    pub fn leeway_secs(mut self, secs: u64) -> Self {
        self.leeway = Some(secs);
        self
    }
    /// Require `typ: at+jwt` (RFC 9068).
    pub fn require_at_jwt(mut self, on: bool) -> Self {
        self.require_at_jwt = on;
        self
    }
    /// Read scopes from this claim instead of `scope` / `scp`.
    pub fn scope_claim(mut self, claim: impl Into<String>) -> Self {
        self.scope_claim = Some(claim.into());
        self
    }
    /// Largest accepted token in bytes (default 16 KiB).
    pub fn max_token_bytes(mut self, n: usize) -> Self {
        self.max_token_bytes = Some(n);
        self
    }
    /// Verified-token cache size (default 10,000; 0 disables the cache).
    pub fn cache_capacity(mut self, n: usize) -> Self {
        self.cache_capacity = Some(n);
        self
    }
    /// Keys supplied by a [`KeyProvider`] (e.g. the built-in authorization server).
    pub fn key_provider(mut self, provider: Arc<dyn KeyProvider>) -> Self {
        self.provider = Some(provider);
        self
    }
    /// JWKS caching policy.
    pub fn jwks_policy(mut self, policy: JwksPolicy) -> Self {
        self.jwks_policy = policy;
        self
    }

    /// Checks the configuration and builds the verifier.
    pub fn build(self) -> Result<JwtVerifier, ConfigError> {
        let sources = usize::from(self.jwks_uri.is_some())
            + usize::from(!self.public_keys.is_empty())
            + usize::from(self.secret.is_some())
            + usize::from(self.provider.is_some());
        if sources == 0 {
            return Err(ConfigError::new("JWT verification needs a key: set jwks_uri, public_key or secret"));
        }
        if self.secret.is_some() && sources > 1 {
            return Err(ConfigError::new(
                "an HMAC secret cannot be combined with jwks_uri or public_key (algorithm confusion: a public key would become an HMAC secret)",
            ));
        }
        if self.jwks_uri.is_some() && !self.public_keys.is_empty() {
            return Err(ConfigError::new("set either jwks_uri or public_key, not both"));
        }
        if self.audiences.is_empty() {
            return Err(ConfigError::new(
                "JWT verification needs an audience (the URL of this MCP server) so tokens for other services are rejected",
            ));
        }
        let algorithms = if self.algorithms.is_empty() {
            if self.secret.is_some() {
                return Err(ConfigError::new("an HMAC secret needs an explicit algorithm (HS256, HS384 or HS512)"));
            }
            DEFAULT_ALGORITHMS.to_vec()
        } else {
            self.algorithms
        };
        let hmac = algorithms.iter().any(|a| is_hmac(*a));
        if self.secret.is_some() && !algorithms.iter().all(|a| is_hmac(*a)) {
            return Err(ConfigError::new("an HMAC secret accepts only HS256, HS384 or HS512"));
        }
        if self.secret.is_none() && hmac {
            return Err(ConfigError::new(
                "HS* algorithms need a shared secret and cannot be used with public keys or a JWKS",
            ));
        }
        let keys = if let Some(p) = self.provider {
            Keys::Provided(p)
        } else if let Some(url) = self.jwks_uri {
            crate::url::check_fetch_url(&url, "jwks_uri")?;
            Keys::Jwks(Arc::new(JwksCache::new(url, self.jwks_policy)))
        } else if let Some(secret) = self.secret {
            if secret.len() < 32 {
                return Err(ConfigError::new("an HMAC secret must be at least 32 bytes"));
            }
            Keys::Static(KeySet::new(vec![VerificationKey {
                kid: None,
                key: DecodingKey::from_secret(&secret),
                alg: None,
                kty: "oct",
            }]))
        } else {
            let mut keys = Vec::new();
            for k in &self.public_keys {
                keys.extend(parse_public_key(k)?);
            }
            Keys::Static(KeySet::new(keys))
        };
        let capacity = self.cache_capacity.unwrap_or(10_000);
        Ok(JwtVerifier {
            keys,
            algorithms,
            issuers: self.issuers,
            audiences: self.audiences,
            leeway: self.leeway.unwrap_or(30),
            require_at_jwt: self.require_at_jwt,
            scope_claim: self.scope_claim,
            max_token_bytes: self.max_token_bytes.unwrap_or(16 * 1024),
            cache: (capacity > 0).then(|| TokenCache::new(capacity, 3600)),
        })
    }
}

fn parse_public_key(text: &str) -> Result<Vec<VerificationKey>, ConfigError> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let value: Value = serde_json::from_str(trimmed)
            .map_err(|e| ConfigError::new(format!("public_key is not valid JSON: {e}")))?;
        let jwks = if value.get("keys").is_some() { value } else { serde_json::json!({ "keys": [value] }) };
        let set = KeySet::from_jwks_json(jwks.to_string().as_bytes()).map_err(ConfigError::new)?;
        if set.is_empty() {
            return Err(ConfigError::new("public_key holds no usable public signing key"));
        }
        // Rebuild owned keys from the set.
        return Ok(set_keys(&set));
    }
    let pem = trimmed.as_bytes();
    type PemParser = fn(&[u8]) -> jsonwebtoken::errors::Result<DecodingKey>;
    let attempts: [(&'static str, PemParser); 3] =
        [("RSA", DecodingKey::from_rsa_pem), ("EC", DecodingKey::from_ec_pem), ("OKP", DecodingKey::from_ed_pem)];
    for (kty, parse) in attempts {
        if let Ok(key) = parse(pem) {
            return Ok(vec![VerificationKey { kid: None, key, alg: None, kty }]);
        }
    }
    Err(ConfigError::new("public_key is neither a PEM public key (RSA, EC, Ed25519) nor a JWK"))
}

fn set_keys(set: &KeySet) -> Vec<VerificationKey> {
    set.iter().map(|k| VerificationKey::clone(k)).collect()
}

impl JwtVerifier {
    /// Starts a builder.
    pub fn builder() -> JwtVerifierBuilder {
        JwtVerifierBuilder::default()
    }

    /// The JWKS cache, when keys come from a URL.
    pub fn jwks(&self) -> Option<&Arc<JwksCache>> {
        match &self.keys {
            Keys::Jwks(c) => Some(c),
            _ => None,
        }
    }

    /// Full verification; returns the token and the id of the key that verified it.
    async fn verify_uncached(&self, token: &str) -> Result<(Arc<AccessToken>, Option<String>), VerifyError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| VerifyError::Invalid(format!("malformed token: {e}")))?;
        if header.crit.is_some() {
            return Err(VerifyError::Invalid("token has a `crit` header; no critical extensions are supported".into()));
        }
        if !self.algorithms.contains(&header.alg) {
            return Err(VerifyError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        if self.require_at_jwt {
            let ok = header
                .typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt"));
            if !ok {
                return Err(VerifyError::Invalid("token `typ` is not `at+jwt` (RFC 9068)".into()));
            }
        }
        let key = match &self.keys {
            Keys::Jwks(cache) => cache.key_for(header.kid.as_deref(), header.alg).await?,
            Keys::Static(set) => set
                .find(header.kid.as_deref(), header.alg)
                .or_else(|| set.find(None, header.alg))
                .cloned()
                .ok_or_else(|| VerifyError::Invalid("no configured key matches the token".into()))?,
            Keys::Provided(p) => match p.current().find(header.kid.as_deref(), header.alg).cloned() {
                Some(k) => k,
                None => {
                    p.reload().await;
                    p.current()
                        .find(header.kid.as_deref(), header.alg)
                        .cloned()
                        .ok_or_else(|| VerifyError::Invalid("no signing key matches the token's kid".into()))?
                }
            },
        };
        if !key.accepts(header.alg) {
            return Err(VerifyError::Invalid(format!(
                "key `{}` cannot verify {:?} tokens",
                key.kid.as_deref().unwrap_or("-"),
                header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.set_audience(&self.audiences);
        let mut required = vec!["exp", "aud"];
        if !self.issuers.is_empty() {
            validation.set_issuer(&self.issuers);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation).map_err(|e| {
            let why = match e.kind() {
                ErrorKind::ExpiredSignature => "token expired".to_owned(),
                ErrorKind::ImmatureSignature => "token not yet valid (nbf)".to_owned(),
                ErrorKind::InvalidAudience => "token audience does not include this server".to_owned(),
                ErrorKind::InvalidIssuer => "token issuer is not accepted".to_owned(),
                ErrorKind::InvalidSignature => "bad signature".to_owned(),
                ErrorKind::MissingRequiredClaim(c) => format!("token lacks the `{c}` claim"),
                ErrorKind::InvalidAlgorithm => "algorithm does not match the key".to_owned(),
                _ => format!("invalid token: {e}"),
            };
            VerifyError::Invalid(why)
        })?;
        let claims = data.claims;
        if let Some(iat) = claims.get("iat").and_then(Value::as_u64)
            && iat > now_unix() + self.leeway
        {
            return Err(VerifyError::Invalid("token issued in the future (iat)".into()));
        }
        Ok((Arc::new(self.access_token(claims)), header.kid))
    }

    fn access_token(&self, claims: Map<String, Value>) -> AccessToken {
        let string = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
        let scopes = match &self.scope_claim {
            Some(c) => scopes_from(claims.get(c)),
            None => claims.get("scope").or_else(|| claims.get("scp")).map(|v| scopes_from(Some(v))).unwrap_or_default(),
        };
        let audience = match claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let client_id = string("client_id").or_else(|| string("azp"));
        AccessToken {
            subject: string("sub").or_else(|| client_id.clone()).unwrap_or_default(),
            client_id,
            scopes,
            expires_at: claims.get("exp").and_then(Value::as_u64),
            audience,
            issuer: string("iss"),
            claims,
        }
    }
}

/// Scopes from a claim: a space-separated string or an array of strings.
fn scopes_from(v: Option<&Value>) -> ScopeSet {
    match v {
        Some(Value::String(s)) => ScopeSet::parse(s),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => ScopeSet::new(),
    }
}

impl JwtVerifier {
    /// The verified-token cache's answer for `token`, if it has one. Oversized tokens are
    /// refused here too, before anything hashes them.
    fn cached(&self, token: &PresentedToken<'_>) -> Option<Verified> {
        if token.as_str().len() > self.max_token_bytes {
            return Some(Err(VerifyError::Invalid(format!("token larger than {} bytes", self.max_token_bytes))));
        }
        let cache = self.cache.as_ref()?;
        let digest = token.digest();
        let hit = cache.get(digest)?;
        // A key the issuer has since withdrawn no longer vouches for cached tokens.
        let still_trusted = match (&self.keys, hit.kid.as_deref()) {
            (Keys::Jwks(jwks), Some(kid)) => jwks.current().has_kid(kid),
            (Keys::Provided(p), Some(kid)) => p.current().has_kid(kid),
            _ => true,
        };
        if still_trusted {
            return Some(Ok(hit.token));
        }
        cache.remove(digest);
        None
    }

    /// Verified-token cache first (keyed by the token's digest), then the signature check.
    async fn check(&self, token: &PresentedToken<'_>) -> Verified {
        if let Some(verdict) = self.cached(token) {
            return verdict;
        }
        let (verified, kid) = self.verify_uncached(token.as_str()).await?;
        if let Some(cache) = &self.cache {
            cache.insert(*token.digest(), verified.clone(), kid);
        }
        Ok(verified)
    }
}

impl TokenVerifier for JwtVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Verified> {
        crate::verifier::present_and_verify(self, token)
    }
    fn verify_presented<'a>(&'a self, token: &'a PresentedToken<'a>) -> BoxFuture<'a, Verified> {
        Box::pin(self.check(token))
    }
    fn verify_now(&self, token: &PresentedToken<'_>) -> Option<Verified> {
        self.cached(token)
    }
}
