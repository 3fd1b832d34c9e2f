//! [`Store`]: what the authorization server persists, behind one trait with three
//! implementations — [`MemoryStore`](super::MemoryStore) for tests, and
//! [`SqlStore`](super::SqlStore) for SQLite (the embedded default) and PostgreSQL (several
//! instances behind a load balancer). Secrets are stored only as digests.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// A storage failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage error: {0}")]
pub struct StoreError(pub String);

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A registered client (RFC 7591 metadata as stored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// `client_id`.
    pub client_id: String,
    /// Digest of the client secret (confidential clients).
    pub secret_hash: Option<String>,
    /// `client_name`.
    pub name: Option<String>,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// `token_endpoint_auth_method`: `none`, `client_secret_basic` or `client_secret_post`.
    pub auth_method: String,
    /// Allowed grant types.
    pub grant_types: Vec<String>,
    /// Scopes the client may request (empty: any supported).
    pub scope: Option<String>,
    /// Unix seconds.
    pub created_at: u64,
}

/// What an authorization grants; shared by pending requests, codes and refresh tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// Client.
    pub client_id: String,
    /// Resource owner (empty for client credentials).
    pub user_id: String,
    /// Granted scopes (space-separated).
    pub scope: String,
    /// The resource (audience) the tokens are for.
    pub resource: String,
    /// The redirect URI used (authorization code only).
    pub redirect_uri: String,
    /// PKCE S256 challenge (authorization code only).
    pub code_challenge: String,
}

/// An authorization request waiting for login and consent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingRequest {
    /// The grant being asked for (scope = requested scopes).
    pub grant: Grant,
    /// `state` to return.
    pub state: Option<String>,
    /// CSRF token the login and consent forms must echo.
    pub csrf: String,
    /// Set once the user has logged in.
    pub user_id: Option<String>,
}

/// What redeeming a code found.
#[derive(Clone, Debug, PartialEq)]
pub enum CodeRedemption {
    /// First use: the grant and the family of tokens it starts.
    Fresh {
        /// The grant.
        grant: Grant,
        /// Token family id.
        family: String,
    },
    /// The code was used before: its family has now been revoked.
    Replayed,
    /// Unknown or expired.
    Invalid,
}

/// What rotating a refresh token found.
#[derive(Clone, Debug, PartialEq)]
pub enum RefreshRotation {
    /// Rotated: the grant and its family.
    Rotated {
        /// The grant.
        grant: Grant,
        /// Token family id.
        family: String,
    },
    /// Already rotated (stolen or replayed): the whole family has now been revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// A signing key as stored (PKCS#8, base64).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredKey {
    /// Key id.
    pub kid: String,
    /// PKCS#8 DER, base64.
    pub private_key: String,
    /// Unix seconds.
    pub created_at: u64,
    /// When it stopped signing (still published for verification until purged).
    pub retired_at: Option<u64>,
}

/// Persistence for the authorization server. Every method is atomic on its own; single-use
/// semantics (codes, refresh rotation) are enforced by the store, so they hold across
/// instances sharing one database.
pub trait Store: Send + Sync + 'static {
    /// Creates tables (one migration set for every backend).
    fn migrate(&self) -> BoxFuture<'_, StoreResult<()>>;
    /// Saves a client.
    fn put_client(&self, client: ClientRecord) -> BoxFuture<'_, StoreResult<()>>;
    /// Loads a client.
    fn get_client<'a>(&'a self, client_id: &'a str) -> BoxFuture<'a, StoreResult<Option<ClientRecord>>>;
    /// Saves a pending authorization request under the digest of its id.
    fn put_pending(&self, id_hash: String, request: PendingRequest, expires_at: u64) -> BoxFuture<'_, StoreResult<()>>;
    /// Loads a pending request.
    fn get_pending<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, StoreResult<Option<PendingRequest>>>;
    /// Removes a pending request, returning it if it existed (single use).
    fn take_pending<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, StoreResult<Option<PendingRequest>>>;
    /// Saves an authorization code (by digest) starting token family `family`.
    fn put_code(
        &self,
        code_hash: String,
        grant: Grant,
        family: String,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<()>>;
    /// Redeems a code exactly once; a second redemption revokes the family.
    fn redeem_code<'a>(&'a self, code_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<CodeRedemption>>;
    /// Saves a refresh token (by digest).
    fn put_refresh(
        &self,
        token_hash: String,
        grant: Grant,
        family: String,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<()>>;
    /// Marks a refresh token used; reuse of a rotated token revokes the family.
    fn rotate_refresh<'a>(&'a self, token_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<RefreshRotation>>;
    /// Looks a refresh token up without using it (introspection, revocation).
    fn get_refresh<'a>(&'a self, token_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<Option<(Grant, String)>>>;
    /// Revokes a token family (every refresh token of it).
    fn revoke_family<'a>(&'a self, family: &'a str, now: u64) -> BoxFuture<'a, StoreResult<()>>;
    /// True if the family was revoked.
    fn family_revoked<'a>(&'a self, family: &'a str) -> BoxFuture<'a, StoreResult<bool>>;
    /// Remembers that `user_id` approved `scope` for `client_id`.
    fn put_consent(
        &self,
        user_id: String,
        client_id: String,
        scope: String,
        now: u64,
    ) -> BoxFuture<'_, StoreResult<()>>;
    /// The scopes `user_id` approved for `client_id`.
    fn get_consent<'a>(&'a self, user_id: &'a str, client_id: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>>;
    /// Adds a signing key.
    fn put_key(&self, key: StoredKey) -> BoxFuture<'_, StoreResult<()>>;
    /// Marks every key except `kid` retired.
    fn retire_keys_except<'a>(&'a self, kid: &'a str, now: u64) -> BoxFuture<'a, StoreResult<()>>;
    /// All keys, newest first.
    fn keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredKey>>>;
    /// Saves a user's password hash.
    fn put_user(&self, username: String, password_hash: String, now: u64) -> BoxFuture<'_, StoreResult<()>>;
    /// A user's password hash.
    fn get_user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>>;
    /// Deletes expired codes, pending requests and refresh tokens, and keys retired before
    /// `retired_before`. Returns how many rows went.
    fn purge(&self, now: u64, retired_before: u64) -> BoxFuture<'_, StoreResult<u64>>;
}
