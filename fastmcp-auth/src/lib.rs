//! Authentication and authorization for MCP servers — usable on its own by any axum app.
//!
//! - Verifiers behind one trait, [`TokenVerifier`]: [`ApiKeys`], [`JwtVerifier`] (JWKS with
//!   caching and rotation, static keys, HMAC), [`IntrospectionVerifier`] (RFC 7662),
//!   [`MultiVerifier`].
//! - Providers ([`AuthProvider`]): [`TokenVerifierProvider`], [`RemoteAuthProvider`] with RFC 9728
//!   [`ResourceMetadata`], and [`presets`] for common identity providers.
//! - [`BearerGuard`]: the HTTP side — 401/403/503 with the right `WWW-Authenticate` [`Challenge`].
//!   Each token is hashed at most once per request ([`PresentedToken`]) and, on a kept-alive
//!   connection, not again for the next requests ([`ConnectionMemo`]).
//! - [`AuthConfig`]: declarative configuration from code or `FASTMCP_SERVER_AUTH*` variables.
//!
//! Tokens are never logged: logs carry a short SHA-256 fingerprint instead.

#![warn(missing_docs)]

mod api_keys;
mod bearer;
mod challenge;
pub mod config;
mod connection_memo;
mod digest;
mod error;
mod http_client;
pub mod introspection;
pub mod jwks;
mod jwt;
mod metadata;
pub mod oauth;
mod presented;
pub mod presets;
mod provider;
pub mod scope;
mod token;
mod token_cache;
pub mod url;
mod verifier;

pub use api_keys::ApiKeys;
pub use bearer::BearerGuard;
pub use challenge::Challenge;
pub use config::{AuthConfig, Setting};
pub use connection_memo::ConnectionMemo;
pub use digest::{fingerprint, sha256};
pub use error::ConfigError;
pub use http_client::FetchLimits;
pub use introspection::IntrospectionVerifier;
pub use jsonwebtoken::Algorithm;
pub use jwt::{DEFAULT_ALGORITHMS, JwtVerifier, JwtVerifierBuilder, KeyProvider, parse_algorithm};
pub use metadata::ResourceMetadata;
pub use presented::PresentedToken;
pub use provider::{AuthProvider, RemoteAuthProvider, TokenVerifierProvider};
pub use scope::ScopeSet;
pub use token::{AccessToken, now_unix};
pub use token_cache::TokenCache;
pub use verifier::{MultiVerifier, TokenVerifier, Verified, VerifyError};
