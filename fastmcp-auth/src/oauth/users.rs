//! Who may log in: the [`Authenticator`] trait, and the built-in user store with argon2
//! password hashes.

use super::store::Store;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// Checks a username and password; returns the user id (the token's `sub`).
///
/// Implement it to check users your own way (LDAP, your app's database, …) and pass it to
/// [`OAuthServerBuilder::authenticator`](super::OAuthServerBuilder::authenticator).
pub trait Authenticator: Send + Sync + 'static {
    /// `Ok(user_id)` for valid credentials; `Err(())` otherwise (the page says only
    /// "Invalid username or password").
    fn authenticate<'a>(&'a self, username: &'a str, password: &'a str) -> BoxFuture<'a, Result<String, ()>>;
}

/// Hashes a password with argon2id (random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

fn getrandom(buf: &mut [u8]) {
    use aws_lc_rs::rand::SecureRandom;
    aws_lc_rs::rand::SystemRandom::new().fill(buf).expect("the operating system's random source failed");
}

/// Users kept in the authorization server's [`Store`] (argon2id hashes).
pub struct StoreUsers {
    store: Arc<dyn Store>,
    /// A hash to verify against for unknown users, so timing does not reveal who exists.
    decoy: String,
}

impl StoreUsers {
    /// Users in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        StoreUsers { store, decoy: hash_password("decoy-password-for-timing").unwrap_or_default() }
    }
}

impl Authenticator for StoreUsers {
    fn authenticate<'a>(&'a self, username: &'a str, password: &'a str) -> BoxFuture<'a, Result<String, ()>> {
        Box::pin(async move {
            let stored = self.store.get_user(username).await.map_err(|_| ())?;
            let hash = stored.as_deref().unwrap_or(&self.decoy).to_owned();
            let password = password.to_owned();
            // argon2 is deliberately slow: keep it off the async workers.
            let ok = tokio::task::spawn_blocking(move || {
                PasswordHash::new(&hash)
                    .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            })
            .await
            .unwrap_or(false);
            if ok && stored.is_some() { Ok(username.to_owned()) } else { Err(()) }
        })
    }
}
