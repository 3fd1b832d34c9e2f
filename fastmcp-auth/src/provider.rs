//! [`AuthProvider`]: a verifier plus what clients need to discover how to get a token.

use crate::{ResourceMetadata, ScopeSet, TokenVerifier};
use axum::Router;
use std::sync::Arc;

/// Everything an MCP endpoint needs to protect itself: how tokens are verified, which scopes
/// every request needs, and (for OAuth) the RFC 9728 metadata pointing clients at an
/// authorization server.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an auth provider",
    note = "use `TokenVerifierProvider::new(verifier)` or `RemoteAuthProvider::new(verifier, authorization_servers)`, or implement `fastmcp_auth::AuthProvider`"
)]
pub trait AuthProvider: Send + Sync + 'static {
    /// The token verifier.
    fn verifier(&self) -> Arc<dyn TokenVerifier>;

    /// Scopes every request must carry (missing → 403 `insufficient_scope`).
    fn required_scopes(&self) -> ScopeSet {
        ScopeSet::new()
    }

    /// RFC 9728 metadata for the resource at `resource_url`; `None` when clients are expected
    /// to have a token already (API keys, plain JWT).
    fn resource_metadata(&self, resource_url: &str) -> Option<ResourceMetadata> {
        let _ = resource_url;
        None
    }

    /// Extra routes served at the root of the server (the built-in authorization server's
    /// endpoints). None by default.
    fn routes(&self) -> Router {
        Router::new()
    }

    /// Prepares the provider before serving (opens stores, loads keys); a failure stops
    /// start-up. Nothing by default.
    fn start(&self) -> futures_util::future::BoxFuture<'_, Result<(), crate::ConfigError>> {
        Box::pin(async { Ok(()) })
    }
}

impl<P: AuthProvider + ?Sized> AuthProvider for Arc<P> {
    fn verifier(&self) -> Arc<dyn TokenVerifier> {
        (**self).verifier()
    }
    fn required_scopes(&self) -> ScopeSet {
        (**self).required_scopes()
    }
    fn resource_metadata(&self, resource_url: &str) -> Option<ResourceMetadata> {
        (**self).resource_metadata(resource_url)
    }
    fn routes(&self) -> Router {
        (**self).routes()
    }
    fn start(&self) -> futures_util::future::BoxFuture<'_, Result<(), crate::ConfigError>> {
        (**self).start()
    }
}

/// A verifier without discovery: clients must already hold a token (API keys, JWTs from a
/// known issuer).
///
/// ```
/// use fastmcp_auth::{ApiKeys, AuthProvider, ScopeSet, TokenVerifierProvider};
/// let p = TokenVerifierProvider::new(ApiKeys::new()).required_scopes(ScopeSet::parse("mcp"));
/// assert!(p.resource_metadata("http://127.0.0.1:8000/mcp").is_none());
/// ```
#[derive(Clone)]
pub struct TokenVerifierProvider {
    verifier: Arc<dyn TokenVerifier>,
    required: ScopeSet,
}

impl TokenVerifierProvider {
    /// Wraps a verifier.
    pub fn new(verifier: impl TokenVerifier) -> Self {
        TokenVerifierProvider { verifier: Arc::new(verifier), required: ScopeSet::new() }
    }
    /// Scopes every request must carry.
    pub fn required_scopes(mut self, scopes: ScopeSet) -> Self {
        self.required = scopes;
        self
    }
}

impl AuthProvider for TokenVerifierProvider {
    fn verifier(&self) -> Arc<dyn TokenVerifier> {
        self.verifier.clone()
    }
    fn required_scopes(&self) -> ScopeSet {
        self.required.clone()
    }
}

/// Tokens issued by an external authorization server, advertised to clients through RFC 9728
/// metadata so that MCP clients can find it, register and obtain tokens on their own.
///
/// ```
/// use fastmcp_auth::{AuthProvider, JwtVerifier, RemoteAuthProvider, ScopeSet};
/// let jwt = JwtVerifier::builder()
///     .jwks_uri("https://auth.example.com/jwks")
///     .issuer("https://auth.example.com")
///     .audience("https://notes.example.com/mcp")
///     .build()
///     .unwrap();
/// let p = RemoteAuthProvider::new(jwt, vec!["https://auth.example.com".into()])
///     .scopes_supported(ScopeSet::parse("notes:read notes:write"));
/// let m = p.resource_metadata("https://notes.example.com/mcp").unwrap();
/// assert_eq!(m.authorization_servers, ["https://auth.example.com"]);
/// ```
#[derive(Clone)]
pub struct RemoteAuthProvider {
    verifier: Arc<dyn TokenVerifier>,
    authorization_servers: Vec<String>,
    scopes_supported: ScopeSet,
    required: ScopeSet,
    resource_name: Option<String>,
    resource_documentation: Option<String>,
}

impl RemoteAuthProvider {
    /// Tokens from `authorization_servers`, checked by `verifier`.
    pub fn new(verifier: impl TokenVerifier, authorization_servers: Vec<String>) -> Self {
        RemoteAuthProvider {
            verifier: Arc::new(verifier),
            authorization_servers,
            scopes_supported: ScopeSet::new(),
            required: ScopeSet::new(),
            resource_name: None,
            resource_documentation: None,
        }
    }
    /// Scopes advertised in the metadata (and requested by clients on a 401).
    pub fn scopes_supported(mut self, scopes: ScopeSet) -> Self {
        self.scopes_supported = scopes;
        self
    }
    /// Scopes every request must carry.
    pub fn required_scopes(mut self, scopes: ScopeSet) -> Self {
        self.required = scopes;
        self
    }
    /// `resource_name` in the metadata.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }
    /// `resource_documentation` in the metadata.
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }
}

impl AuthProvider for RemoteAuthProvider {
    fn verifier(&self) -> Arc<dyn TokenVerifier> {
        self.verifier.clone()
    }
    fn required_scopes(&self) -> ScopeSet {
        self.required.clone()
    }
    fn resource_metadata(&self, resource_url: &str) -> Option<ResourceMetadata> {
        let mut m = ResourceMetadata::new(resource_url, self.authorization_servers.clone());
        m.scopes_supported = self.scopes_supported.union(&self.required).to_vec();
        m.resource_name = self.resource_name.clone();
        m.resource_documentation = self.resource_documentation.clone();
        Some(m)
    }
}
