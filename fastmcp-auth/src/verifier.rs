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

    /// The verdict, if it is known without waiting (a cache hit, a static key). `BearerGuard`
    /// asks this first and creates the future of [`verify_presented`](Self::verify_presented)
    /// only when it returns `None`, so a cache hit allocates nothing. The default is `None`.
    fn verify_now(&self, token: &PresentedToken<'_>) -> Option<Verified> {
        let _ = token;
        None
    }
}

/// `verify` for verifiers whose work is in `verify_presented`: presents `token` (its digest is
/// computed only if the verifier needs it).
pub(crate) fn present_and_verify<'a, V: TokenVerifier + ?Sized>(v: &'a V, token: &'a str) -> BoxFuture<'a, Verified> {
    Box::pin(async move { v.verify_presented(&PresentedToken::new(token)).await })
}

impl<T: TokenVerifier + ?Sized> TokenVerifier for Arc<T> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Verified> {
        (**self).verify(token)
    }
    fn verify_presented<'a>(&'a self, token: &'a PresentedToken<'a>) -> BoxFuture<'a, Verified> {
        (**self).verify_presented(token)
    }
    fn verify_now(&self, token: &PresentedToken<'_>) -> Option<Verified> {
        (**self).verify_now(token)
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
        present_and_verify(self, token)
    }
    fn verify_presented<'a>(&'a self, token: &'a PresentedToken<'a>) -> BoxFuture<'a, Verified> {
        Box::pin(self.check(token))
    }
    /// Known now only if the verifiers tried before the first that knows it accepts all refused.
    fn verify_now(&self, token: &PresentedToken<'_>) -> Option<Verified> {
        for v in &self.verifiers {
            match v.verify_now(token)? {
                Ok(t) => return Some(Ok(t)),
                Err(_) => continue,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiKeys, ScopeSet};

    /// Accepts everything, but only asynchronously.
    struct Slow;
    impl TokenVerifier for Slow {
        fn verify<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Verified> {
            Box::pin(async { Ok(Arc::new(AccessToken { subject: "slow".into(), ..Default::default() })) })
        }
    }

    fn keys(subject: &str) -> ApiKeys {
        ApiKeys::new().key("shared-key", subject, ScopeSet::new(), None)
    }

    #[test]
    fn multi_verifier_answers_now_only_in_order() {
        let token = PresentedToken::new("shared-key");
        let first_wins = MultiVerifier::new().with(keys("alice")).with(keys("bob"));
        assert_eq!(first_wins.verify_now(&token).unwrap().unwrap().subject, "alice");
        let refused_then_accepted = MultiVerifier::new().with(ApiKeys::new()).with(keys("bob"));
        assert_eq!(refused_then_accepted.verify_now(&token).unwrap().unwrap().subject, "bob");
        // An earlier verifier that needs to wait may accept first: no answer now.
        let slow_first = MultiVerifier::new().with(Slow).with(keys("bob"));
        assert!(slow_first.verify_now(&token).is_none());
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(rt.block_on(slow_first.verify_presented(&token)).unwrap().subject, "slow");
        // Nobody accepts now: the full (async) path decides, and refuses.
        let nobody = MultiVerifier::new().with(ApiKeys::new());
        assert!(nobody.verify_now(&token).is_none());
        assert!(rt.block_on(nobody.verify_presented(&token)).is_err());
    }
}
