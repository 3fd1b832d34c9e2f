//! [`IntrospectionVerifier`]: opaque tokens checked with the issuer's RFC 7662 endpoint.

use crate::http_client::{FetchLimits, client, read_capped};
use crate::token::now_unix;
use crate::token_cache::TokenCache;
use crate::{AccessToken, ConfigError, PresentedToken, ScopeSet, TokenVerifier, Verified, VerifyError};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How this server authenticates to the introspection endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`).
    Basic,
    /// Form fields (`client_secret_post`).
    Post,
}

/// Verifies tokens by asking the authorization server (RFC 7662). Active results are cached up
/// to the token's `exp` (bounded by a TTL); inactive ones briefly.
///
/// ```
/// use fastmcp_auth::{IntrospectionVerifier, introspection::ClientAuth};
/// let v = IntrospectionVerifier::new("https://auth.example.com/oauth2/introspect", "notes-server", "secret-from-env")
///     .unwrap()
///     .client_auth(ClientAuth::Post)
///     .audience("https://notes.example.com/mcp");
/// # let _ = v;
/// ```
pub struct IntrospectionVerifier {
    url: String,
    client_id: String,
    client_secret: String,
    auth: ClientAuth,
    audiences: Vec<String>,
    http: reqwest::Client,
    limits: FetchLimits,
    positive: TokenCache,
    negative: Mutex<HashMap<[u8; 32], Instant>>,
    negative_ttl: Duration,
}

impl IntrospectionVerifier {
    /// Introspects at `url` with these client credentials (use `client_secret_basic` by default).
    pub fn new(
        url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let url = url.into();
        crate::url::check_fetch_url(&url, "introspection_url")?;
        let limits = FetchLimits::default();
        Ok(IntrospectionVerifier {
            url,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            auth: ClientAuth::Basic,
            audiences: Vec::new(),
            http: client(&limits),
            limits,
            positive: TokenCache::new(10_000, 300),
            negative: Mutex::new(HashMap::new()),
            negative_ttl: Duration::from_secs(10),
        })
    }
    /// Chooses `client_secret_basic` or `client_secret_post`.
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }
    /// Requires `aud` to contain this value (may be called several times).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }
    /// Upper bound on how long an active result is reused (default 300 s).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.positive = TokenCache::new(10_000, ttl.as_secs());
        self
    }

    async fn introspect(&self, token: &str) -> Verified {
        let mut form = vec![("token", token), ("token_type_hint", "access_token")];
        let mut request = self.http.post(&self.url).header(reqwest::header::ACCEPT, "application/json");
        match self.auth {
            ClientAuth::Basic => {
                request = request.basic_auth(form_encode(&self.client_id), Some(form_encode(&self.client_secret)))
            }
            ClientAuth::Post => {
                form.push(("client_id", &self.client_id));
                form.push(("client_secret", &self.client_secret));
            }
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| VerifyError::Unavailable(format!("introspection endpoint unreachable: {e}")))?;
        if !response.status().is_success() {
            // 401/403 means our client credentials are wrong; 5xx means the server is down.
            // Either way we cannot decide about the token.
            return Err(VerifyError::Unavailable(format!(
                "introspection endpoint answered HTTP {}",
                response.status()
            )));
        }
        let body = read_capped(response, self.limits.max_bytes).await.map_err(VerifyError::Unavailable)?;
        let claims: Map<String, Value> = serde_json::from_slice(&body)
            .map_err(|e| VerifyError::Unavailable(format!("introspection response is not JSON: {e}")))?;
        if claims.get("active") != Some(&Value::Bool(true)) {
            return Err(VerifyError::Invalid("token is not active".into()));
        }
        let exp = claims.get("exp").and_then(Value::as_u64);
        if exp.is_some_and(|e| e <= now_unix()) {
            return Err(VerifyError::Invalid("token expired".into()));
        }
        let audience: Vec<String> = match claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        if !self.audiences.is_empty() && !audience.iter().any(|a| self.audiences.contains(a)) {
            return Err(VerifyError::Invalid("token audience does not include this server".into()));
        }
        let string = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
        let client_id = string("client_id");
        Ok(Arc::new(AccessToken {
            subject: string("sub").or_else(|| client_id.clone()).unwrap_or_default(),
            client_id,
            scopes: claims.get("scope").and_then(Value::as_str).map(ScopeSet::parse).unwrap_or_default(),
            expires_at: exp,
            audience,
            issuer: string("iss"),
            claims,
        }))
    }
}

/// RFC 6749 §2.3.1: credentials are form-urlencoded before Basic encoding.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl IntrospectionVerifier {
    /// The positive or negative cache's answer for `token`, if it has one.
    fn cached(&self, token: &PresentedToken<'_>) -> Option<Verified> {
        if token.as_str().len() > 16 * 1024 {
            return Some(Err(VerifyError::Invalid("token too large".into())));
        }
        let digest = token.digest();
        if let Some(hit) = self.positive.get(digest) {
            return Some(Ok(hit.token));
        }
        let mut neg = self.negative.lock().unwrap_or_else(|p| p.into_inner());
        match neg.get(digest) {
            Some(until) if Instant::now() < *until => Some(Err(VerifyError::Invalid("token is not active".into()))),
            Some(_) => {
                neg.remove(digest);
                None
            }
            None => None,
        }
    }

    /// Positive and negative caches first (keyed by the token's digest), then the endpoint.
    async fn check(&self, presented: &PresentedToken<'_>) -> Verified {
        if let Some(verdict) = self.cached(presented) {
            return verdict;
        }
        let token = presented.as_str();
        let digest = *presented.digest();
        match self.introspect(token).await {
            Ok(t) => {
                self.positive.insert(digest, t.clone(), None);
                Ok(t)
            }
            Err(VerifyError::Invalid(why)) => {
                let mut neg = self.negative.lock().unwrap_or_else(|p| p.into_inner());
                if neg.len() > 10_000 {
                    let now = Instant::now();
                    neg.retain(|_, t| *t > now);
                }
                neg.insert(digest, Instant::now() + self.negative_ttl);
                Err(VerifyError::Invalid(why))
            }
            Err(e) => Err(e),
        }
    }
}

impl TokenVerifier for IntrospectionVerifier {
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
