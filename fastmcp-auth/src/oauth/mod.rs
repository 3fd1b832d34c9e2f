//! The built-in OAuth 2.1 authorization server ([`OAuthServer`]): RFC 8414 metadata, RFC 7591
//! dynamic registration, Client ID Metadata Documents, authorization code with PKCE S256,
//! refresh-token rotation with reuse detection, client credentials, RFC 7009 revocation,
//! RFC 7662 introspection, and JWKS with key rotation — on a pluggable [`Store`].
//!
//! Access tokens are short-lived RFC 9068 JWTs (ES256) that the same server verifies locally,
//! so the MCP request path never reads the database.

mod cimd;
#[doc(hidden)]
pub mod contract;
mod endpoints;
pub mod keys;
mod memory_store;
pub mod pages;
pub mod redirect;
mod sql_store;
pub mod store;
pub mod users;

pub use memory_store::MemoryStore;
pub use pages::{DefaultPages, Pages};
pub use sql_store::SqlStore;
pub use store::Store;
pub use users::{Authenticator, StoreUsers, hash_password};

use crate::{AuthProvider, ConfigError, JwtVerifier, ResourceMetadata, ScopeSet, TokenVerifier};
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// A random URL-safe token with `bytes` bytes of entropy.
pub(crate) fn random_token(bytes: usize) -> String {
    use aws_lc_rs::rand::SecureRandom;
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::SystemRandom::new().fill(&mut buf).expect("the operating system's random source failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Hex SHA-256, the form secrets are stored in.
pub(crate) fn digest(secret: &str) -> String {
    crate::sha256(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Who may register clients dynamically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registration {
    /// Anyone (rate-limited).
    Open,
    /// Only callers presenting this initial access token (RFC 7591 §3).
    Token(String),
    /// Nobody: clients come from Client ID Metadata Documents or are created in code.
    Closed,
}

/// Where the store lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    /// In memory (lost on restart).
    Memory,
    /// A SQLite file (created on first start).
    Sqlite(String),
    /// A PostgreSQL URL.
    Postgres(String),
}

impl StoreLocation {
    /// Parses `memory`, `sqlite:<path>` or a `postgres://` URL.
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        let s = s.trim();
        if s == "memory" {
            Ok(StoreLocation::Memory)
        } else if let Some(path) = s.strip_prefix("sqlite:") {
            Ok(StoreLocation::Sqlite(path.trim_start_matches("//").to_owned()))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(StoreLocation::Postgres(s.to_owned()))
        } else {
            Err(ConfigError::new(format!(
                "store: `{}` is not `memory`, `sqlite:<path>` or a postgres:// URL",
                redact(s)
            )))
        }
    }
}

fn redact(s: &str) -> String {
    match s.find('@') {
        Some(at) => format!("***{}", &s[at..]),
        None => s.to_owned(),
    }
}

/// Parses durations like `15m`, `30d`, `3600s`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, ConfigError> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().map_err(|_| ConfigError::new(format!("`{s}` is not a duration (e.g. 15m, 1h, 30d)")))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(ConfigError::new(format!("`{s}` is not a duration (e.g. 15m, 1h, 30d)"))),
    };
    Ok(Duration::from_secs(secs))
}

/// Settings of the authorization server.
#[derive(Clone)]
pub struct OAuthSettings {
    /// The issuer: the server's public base URL, without a trailing slash.
    pub issuer: String,
    /// Resources (MCP endpoint URLs) tokens may be issued for; the first is the default.
    pub resources: Vec<String>,
    /// Scopes clients may request.
    pub scopes_supported: ScopeSet,
    /// Access-token lifetime (default 15 minutes).
    pub access_token_ttl: Duration,
    /// Refresh-token lifetime (default 30 days).
    pub refresh_token_ttl: Duration,
    /// Authorization-code lifetime (default 5 minutes).
    pub code_ttl: Duration,
    /// Dynamic client registration policy (default open, rate-limited).
    pub registration: Registration,
    /// Registrations per client IP per minute (default 10).
    pub registration_rate_per_minute: u32,
    /// Skip login and consent, issuing codes for the first configured user. Only for tests on
    /// loopback: refused for any other issuer.
    pub auto_approve: bool,
    /// Remember approved scopes per (user, client) and skip consent next time (default on).
    pub remember_consent: bool,
    /// Allow Client ID Metadata Documents on loopback/private addresses and over http (tests only).
    pub cimd_allow_private: bool,
    /// `username:password` pairs to create (passwords hashed with argon2id).
    pub users: Vec<(String, String)>,
    /// `resource_name` of the protected-resource metadata.
    pub resource_name: Option<String>,
    /// Scopes every MCP request must carry.
    pub required_scopes: ScopeSet,
}

impl OAuthSettings {
    /// Defaults for `issuer` protecting `resource`.
    pub fn new(issuer: &str, resource: &str) -> Self {
        OAuthSettings {
            issuer: issuer.trim_end_matches('/').to_owned(),
            resources: vec![resource.to_owned()],
            scopes_supported: ScopeSet::new(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            code_ttl: Duration::from_secs(300),
            registration: Registration::Open,
            registration_rate_per_minute: 10,
            auto_approve: false,
            remember_consent: true,
            cimd_allow_private: false,
            users: Vec::new(),
            resource_name: None,
            required_scopes: ScopeSet::new(),
        }
    }
}

pub(crate) struct Inner {
    pub settings: OAuthSettings,
    pub location: StoreLocation,
    pub store: OnceCell<Arc<dyn Store>>,
    pub keys: OnceCell<Arc<keys::Keys>>,
    pub shared_keys: Arc<LazyKeys>,
    pub authenticator: Option<Arc<dyn Authenticator>>,
    pub pages: Arc<dyn Pages>,
    pub verifier: Arc<JwtVerifier>,
    pub registrations: endpoints::RateLimiter,
    pub cimd: cimd::CimdCache,
}

/// Keys visible to the verifier before the store is opened (empty until start).
pub(crate) struct LazyKeys {
    keys: std::sync::OnceLock<Arc<keys::Keys>>,
}

impl crate::KeyProvider for LazyKeys {
    fn current(&self) -> Arc<crate::jwks::KeySet> {
        self.keys.get().map(|k| k.current()).unwrap_or_default()
    }
    fn reload(&self) -> futures_util::future::BoxFuture<'_, ()> {
        match self.keys.get() {
            Some(k) => k.reload(),
            None => Box::pin(async {}),
        }
    }
}

/// The authorization server, also an [`AuthProvider`] for the MCP endpoint it protects.
///
/// ```no_run
/// use fastmcp_auth::oauth::{OAuthServer, OAuthSettings, StoreLocation};
/// # async fn f() -> Result<(), fastmcp_auth::ConfigError> {
/// let mut settings = OAuthSettings::new("https://notes.example.com", "https://notes.example.com/mcp");
/// settings.scopes_supported = fastmcp_auth::ScopeSet::parse("notes:read notes:write");
/// let server = OAuthServer::builder(settings).store(StoreLocation::Sqlite("notes.db".into())).build()?;
/// server.start().await?; // opens the store, creates tables, keys and users
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OAuthServer {
    pub(crate) inner: Arc<Inner>,
}

/// Builds an [`OAuthServer`].
#[must_use]
pub struct OAuthServerBuilder {
    settings: OAuthSettings,
    location: StoreLocation,
    store: Option<Arc<dyn Store>>,
    authenticator: Option<Arc<dyn Authenticator>>,
    pages: Arc<dyn Pages>,
}

impl OAuthServer {
    /// Starts a builder.
    pub fn builder(settings: OAuthSettings) -> OAuthServerBuilder {
        OAuthServerBuilder {
            settings,
            location: StoreLocation::Memory,
            store: None,
            authenticator: None,
            pages: Arc::new(DefaultPages),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &OAuthSettings {
        &self.inner.settings
    }

    /// Opens the store, runs the migration, loads or creates signing keys and users. Called by
    /// the HTTP transport before serving; also run lazily by the first request.
    pub async fn start(&self) -> Result<(), ConfigError> {
        self.ready().await.map(|_| ())
    }

    pub(crate) async fn ready(&self) -> Result<(Arc<dyn Store>, Arc<keys::Keys>), ConfigError> {
        let inner = &self.inner;
        let store = inner
            .store
            .get_or_try_init(|| async {
                let store: Arc<dyn Store> = match &inner.location {
                    StoreLocation::Memory => Arc::new(MemoryStore::new()),
                    StoreLocation::Sqlite(path) => {
                        Arc::new(SqlStore::connect(&format!("sqlite:{path}")).await.map_err(|e| ConfigError::new(e.0))?)
                    }
                    StoreLocation::Postgres(url) => {
                        Arc::new(SqlStore::connect(url).await.map_err(|e| ConfigError::new(e.0))?)
                    }
                };
                store
                    .migrate()
                    .await
                    .map_err(|e| ConfigError::new(format!("creating the OAuth tables failed: {e}")))?;
                Ok::<_, ConfigError>(store)
            })
            .await?
            .clone();
        let keys = inner
            .keys
            .get_or_try_init(|| async {
                let keys = Arc::new(keys::Keys::new(store.clone()));
                keys.ensure(crate::now_unix()).await.map_err(|e| ConfigError::new(e.0))?;
                let _ = inner.shared_keys.keys.set(keys.clone());
                self.ensure_users(&store).await?;
                self.spawn_purger(store.clone());
                Ok::<_, ConfigError>(keys)
            })
            .await?
            .clone();
        Ok((store, keys))
    }

    async fn ensure_users(&self, store: &Arc<dyn Store>) -> Result<(), ConfigError> {
        let now = crate::now_unix();
        for (user, password) in &self.inner.settings.users {
            let hash = hash_password(password).map_err(ConfigError::new)?;
            store.put_user(user.clone(), hash, now).await.map_err(|e| ConfigError::new(e.0))?;
        }
        if self.inner.settings.users.is_empty()
            && self.inner.authenticator.is_none()
            && store.get_user("admin").await.map_err(|e| ConfigError::new(e.0))?.is_none()
        {
            let password = random_token(12);
            let hash = hash_password(&password).map_err(ConfigError::new)?;
            store.put_user("admin".into(), hash, now).await.map_err(|e| ConfigError::new(e.0))?;
            // The one time this password exists in clear: the console of the person starting the server.
            eprintln!(
                "fastmcp: created the development user `admin` with password `{password}` (set FASTMCP_SERVER_AUTH_OAUTH_USERS to choose users)"
            );
        }
        Ok(())
    }

    fn spawn_purger(&self, store: Arc<dyn Store>) {
        let overlap = self.inner.settings.access_token_ttl * 2;
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(600));
            loop {
                tick.tick().await;
                let now = crate::now_unix();
                match store.purge(now, now.saturating_sub(overlap.as_secs())).await {
                    Ok(n) if n > 0 => tracing::debug!(rows = n, "purged expired OAuth rows"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "purging expired OAuth rows failed"),
                }
            }
        });
    }

    /// Creates a new signing key; the previous ones keep verifying until purged (after twice
    /// the access-token lifetime). Returns the new key id.
    pub async fn rotate_signing_key(&self) -> Result<String, ConfigError> {
        let (_, keys) = self.ready().await?;
        keys.rotate(crate::now_unix()).await.map_err(|e| ConfigError::new(e.0))
    }

    /// The store (after start).
    pub async fn store(&self) -> Result<Arc<dyn Store>, ConfigError> {
        Ok(self.ready().await?.0)
    }
}

impl OAuthServerBuilder {
    /// Where to keep state (default memory).
    pub fn store(mut self, location: StoreLocation) -> Self {
        self.location = location;
        self
    }
    /// Uses a store built in code.
    pub fn custom_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }
    /// Checks users your own way instead of the built-in user store.
    pub fn authenticator(mut self, a: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(a);
        self
    }
    /// Replaces the HTML pages.
    pub fn pages(mut self, pages: Arc<dyn Pages>) -> Self {
        self.pages = pages;
        self
    }

    /// Checks the settings and builds the server (nothing is opened until [`OAuthServer::start`]).
    pub fn build(self) -> Result<OAuthServer, ConfigError> {
        let s = &self.settings;
        crate::url::check_fetch_url(&s.issuer, "issuer")?;
        if s.issuer.contains('?') || s.issuer.contains('#') {
            return Err(ConfigError::new("issuer: must not contain a query or fragment"));
        }
        if s.auto_approve {
            let (_, host) = crate::url::scheme_and_host(&s.issuer).map_err(ConfigError::new)?;
            if !crate::url::is_loopback_host(host) {
                return Err(ConfigError::new(format!(
                    "auto_approve issues tokens without login or consent and is only for tests: refused for the non-loopback issuer `{}`",
                    s.issuer
                )));
            }
        }
        for r in &s.resources {
            crate::url::check_fetch_url(r, "resource")?;
        }
        let shared_keys = Arc::new(LazyKeys { keys: std::sync::OnceLock::new() });
        let mut verifier = JwtVerifier::builder()
            .key_provider(shared_keys.clone())
            .algorithm(Algorithm::ES256)
            .issuer(&s.issuer)
            // Our own tokens, our own clock: no skew to tolerate, so expiry is exact.
            .leeway_secs(0)
            .require_at_jwt(true);
        for r in &s.resources {
            verifier = verifier.audience(r);
        }
        let store = OnceCell::new();
        if let Some(st) = self.store {
            let _ = store.set(st);
        }
        Ok(OAuthServer {
            inner: Arc::new(Inner {
                verifier: Arc::new(verifier.build()?),
                registrations: endpoints::RateLimiter::new(s.registration_rate_per_minute),
                cimd: cimd::CimdCache::new(s.cimd_allow_private),
                settings: self.settings,
                location: self.location,
                store,
                keys: OnceCell::new(),
                shared_keys,
                authenticator: self.authenticator,
                pages: self.pages,
            }),
        })
    }
}

impl AuthProvider for OAuthServer {
    fn verifier(&self) -> Arc<dyn TokenVerifier> {
        self.inner.verifier.clone()
    }

    fn required_scopes(&self) -> ScopeSet {
        self.inner.settings.required_scopes.clone()
    }

    fn resource_metadata(&self, resource_url: &str) -> Option<ResourceMetadata> {
        let mut m = ResourceMetadata::new(resource_url, vec![self.inner.settings.issuer.clone()]);
        m.scopes_supported = self.inner.settings.scopes_supported.to_vec();
        m.resource_name = self.inner.settings.resource_name.clone();
        Some(m)
    }

    fn routes(&self) -> axum::Router {
        endpoints::router(self.clone())
    }

    fn start(&self) -> futures_util::future::BoxFuture<'_, Result<(), ConfigError>> {
        Box::pin(OAuthServer::start(self))
    }
}
