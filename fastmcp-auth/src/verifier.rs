//! The [`TokenVerifier`] trait and its error.

use crate::{AccessToken, PresentedToken};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// What a verifier returns: the token's facts, shared cheaply between layers.
pub type Verified = Result<Arc<AccessToken>, VerifyError>;

/// Why a token was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The token is bad (malformed, expired, wrong audience, bad signature, …): HTTP 401
    /// `error="invalid_token"`. The message is for logs and `error_description`; it never
    /// contains the token.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The verifier could not decide (JWKS or introspection endpoint unreachable): HTTP 503.
    /// Never treated as acceptance.
    #[error("token verification unavailable: {0}")]
    Unavailable(String),
}

/// Checks bearer tokens. Implemented by [`ApiKeys`](crate::ApiKeys),
/// [`JwtVerifier`](crate::JwtVerifier), [`IntrospectionVerifier`](crate::IntrospectionVerifier)
/// and [`MultiVerifier`](crate::MultiVerifier); implement it to check tokens your own way.
///
/// ```
/// use fastmcp_auth::{AccessToken, TokenVerifier, Verified, VerifyError};
/// use std::sync::Arc;
/// use futures_util::future::BoxFuture;
///
/// struct OnlyAlice;
/// impl TokenVerifier for OnlyAlice {
///     fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Verified> {
///         Box::pin(async move {
///             if token == "alice" { Ok(Arc::new(AccessToken { subject: "alice".into(), ..Default::default() })) }
///             else { Err(VerifyError::Invalid("unknown token".into())) }
///         })
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a token verifier",
    note = "implement `fastmcp_auth::TokenVerifier` (fn verify(&self, token) -> BoxFuture<Verified>)"
)]
pub trait TokenVerifier: Send + Sync + 'static {
    /// Verifies `token` (the bearer credential, without the `Bearer ` prefix).
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Verified>;

    /// Verifies a token as [`BearerGuard`](crate::BearerGuard) received it. Verifiers that key
    /// caches by the token's SHA-256 override this to use [`PresentedToken::digest`], which is
    /// computed at most once per request and remembered per connection. The default calls
    /// [`verify`](Self::verify).
    fn verify_presented<'a>(&'a self, token: &'a PresentedToken<'a>) -> BoxFuture<'a, Verified> {
        self.verify(token.as_str())
    }
}

impl<T: TokenVerifier + ?Sized> TokenVerifier for Arc<T> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Verified> {
        (**self).verify(token)
    }
    fn verify_presented<'a>(&'a self, token: &'a PresentedToken<'a>) -> BoxFuture<'a, Verified> {
        (**self).verify_presented(token)
    }
}

/// Tries verifiers in order: the first that accepts wins; if none accepts, an outage (503)
/// takes precedence over "invalid" so that a down JWKS endpoint is never reported as a bad token.
///
/// ```
/// # use fastmcp_auth::{MultiVerifier, ApiKeys};
/// let v = MultiVerifier::new().with(ApiKeys::new());
/// ```
#[derive(Default)]
pub struct MultiVerifier {
    verifiers: Vec<Box<dyn TokenVerifier>>,
}

impl MultiVerifier {
    /// No verifiers yet (accepts nothing).
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a verifier, tried after the ones already added.
    pub fn with(mut self, verifier: impl TokenVerifier) -> Self {
        self.verifiers.push(Box::new(verifier));
        self
    }
}

impl MultiVerifier {
    async fn check(&self, token: &PresentedToken<'_>) -> Verified {
        let mut outage = None;
        let mut invalid = VerifyError::Invalid("no verifier configured".into());
        for v in &self.verifiers {
            match v.verify_presented(token).await {
                Ok(t) => return Ok(t),
                Err(e @ VerifyError::Unavailable(_)) => outage = Some(e),
                Err(e) => invalid = e,
            }
        }
        Err(outage.unwrap_or(invalid))
    }
}

impl TokenVerifier for MultiVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Verified> {
        Box::pin(async move { self.check(&PresentedToken::new(token)).await })
    }
    fn verify_presented<'a>(&'a self, token: &'a PresentedToken<'a>) -> BoxFuture<'a, Verified> {
        Box::pin(self.check(token))
    }
}
