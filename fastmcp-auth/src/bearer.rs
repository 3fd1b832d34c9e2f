//! [`BearerGuard`]: extracts the bearer token of a request, verifies it, and turns every
//! failure into the right status and `WWW-Authenticate` challenge. Usable by any axum app.

use crate::{
    AccessToken, AuthProvider, Challenge, ConnectionMemo, PresentedToken, ResourceMetadata, ScopeSet, TokenVerifier,
    VerifyError,
};
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// A protected resource: verifier, required scopes and the metadata URL for challenges.
///
/// ```
/// use fastmcp_auth::{ApiKeys, BearerGuard, ScopeSet, TokenVerifierProvider};
/// let guard = BearerGuard::new(&TokenVerifierProvider::new(ApiKeys::new()), "http://127.0.0.1:8000/mcp");
/// assert!(guard.metadata().is_none());
/// ```
#[derive(Clone)]
pub struct BearerGuard {
    inner: Arc<Inner>,
}

struct Inner {
    verifier: Arc<dyn TokenVerifier>,
    required: ScopeSet,
    metadata: Option<ResourceMetadata>,
    metadata_url: Option<String>,
    /// Scopes suggested in a 401 challenge.
    challenge_scopes: ScopeSet,
}

impl BearerGuard {
    /// Protects the resource at `resource_url` (the canonical URL of the MCP endpoint).
    pub fn new(provider: &dyn AuthProvider, resource_url: &str) -> Self {
        let metadata = provider.resource_metadata(resource_url);
        let required = provider.required_scopes();
        let challenge_scopes = match &metadata {
            Some(m) if required.is_empty() => m.scopes_supported.iter().cloned().collect(),
            _ => required.clone(),
        };
        BearerGuard {
            inner: Arc::new(Inner {
                verifier: provider.verifier(),
                metadata_url: metadata.as_ref().map(ResourceMetadata::metadata_url),
                metadata,
                required,
                challenge_scopes,
            }),
        }
    }

    /// The RFC 9728 metadata, if the provider has discovery.
    pub fn metadata(&self) -> Option<&ResourceMetadata> {
        self.inner.metadata.as_ref()
    }

    /// Routes serving the metadata document at its well-known paths (mount at the host root).
    pub fn metadata_routes(&self) -> axum::Router {
        let mut router = axum::Router::new();
        if let Some(m) = &self.inner.metadata {
            let doc = Arc::new(m.clone());
            for path in m.well_known_paths() {
                let doc = doc.clone();
                router = router.route(
                    &path,
                    get(move || {
                        let doc = doc.clone();
                        async move { ([(header::CACHE_CONTROL, "public, max-age=3600")], Json(doc.as_ref().clone())) }
                    }),
                );
            }
        }
        router
    }

    fn challenge(&self, c: Challenge) -> String {
        let c = match &self.inner.metadata_url {
            Some(url) => c.resource_metadata(url.clone()),
            None => c,
        };
        c.to_string()
    }

    fn reject(&self, status: StatusCode, challenge: Challenge, message: &str) -> Response {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": { "code": -32001, "message": message },
        });
        let mut r = (status, Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&self.challenge(challenge)) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    }

    /// The `WWW-Authenticate` value of a 403 `insufficient_scope` (scope = granted + needed).
    pub fn insufficient_scope_challenge(&self, granted: &ScopeSet, needed: &ScopeSet) -> String {
        self.challenge(Challenge::insufficient_scope(granted.union(needed)))
    }

    /// 403 `insufficient_scope` naming the scopes a new token should carry (granted + needed).
    pub fn insufficient_scope(&self, granted: &ScopeSet, needed: &ScopeSet) -> Response {
        let scope = granted.union(needed);
        self.reject(
            StatusCode::FORBIDDEN,
            Challenge::insufficient_scope(scope),
            &format!("Forbidden: this requires the scope(s) `{needed}`"),
        )
    }

    /// Verifies the request's bearer token. `connection` is the memo of the connection the
    /// request arrived on, if the server keeps one: a token repeated on a kept-alive connection
    /// is then not hashed again.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        connection: Option<&ConnectionMemo>,
    ) -> Result<Arc<AccessToken>, Response> {
        if uri.query().is_some_and(|q| q.split('&').any(|p| p.starts_with("access_token="))) {
            return Err(self.reject(
                StatusCode::BAD_REQUEST,
                Challenge::invalid_request("tokens in the query string are not accepted; use the Authorization header"),
                "Bad Request: tokens in the query string are not accepted; use the Authorization header",
            ));
        }
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(self.reject(
                StatusCode::UNAUTHORIZED,
                Challenge::missing_token().scope(self.inner.challenge_scopes.clone()),
                "Unauthorized: a bearer token is required",
            ));
        };
        // `from_utf8` checks ASCII a word at a time where `HeaderValue::to_str` goes byte by byte;
        // tokens are long (an RS256 JWT is about 700 bytes).
        let token = std::str::from_utf8(value.as_bytes())
            .ok()
            .and_then(|v| v.get(..7).filter(|p| p.eq_ignore_ascii_case("bearer ")).map(|_| v[7..].trim()))
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(self.reject(
                StatusCode::UNAUTHORIZED,
                Challenge::invalid_token("expected `Authorization: Bearer <token>`")
                    .scope(self.inner.challenge_scopes.clone()),
                "Unauthorized: expected `Authorization: Bearer <token>`",
            ));
        };
        let token = match connection {
            Some(memo) => memo.present(token),
            None => PresentedToken::new(token),
        };
        let verdict = match self.inner.verifier.verify_now(&token) {
            Some(v) => v,
            None => self.inner.verifier.verify_presented(&token).await,
        };
        match verdict {
            Ok(t) => {
                if let Some(memo) = connection {
                    memo.remember(&token);
                }
                if !t.scopes.contains_all(&self.inner.required) {
                    let missing = t.scopes.missing(&self.inner.required);
                    tracing::info!(subject = %t.subject, missing = %missing, "token lacks required scopes");
                    return Err(self.insufficient_scope(&t.scopes, &self.inner.required));
                }
                Ok(t)
            }
            Err(VerifyError::Invalid(why)) => {
                tracing::info!(token = %token.fingerprint(), reason = %why, "rejected bearer token");
                Err(self.reject(
                    StatusCode::UNAUTHORIZED,
                    Challenge::invalid_token(why.clone()).scope(self.inner.challenge_scopes.clone()),
                    &format!("Unauthorized: {why}"),
                ))
            }
            Err(VerifyError::Unavailable(why)) => {
                tracing::warn!(token = %token.fingerprint(), reason = %why, "cannot verify bearer token");
                let body = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": null,
                    "error": { "code": -32001, "message": format!("Service Unavailable: cannot verify the token right now ({why}); retry later") },
                });
                let mut r = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                Err(r)
            }
        }
    }
}
