//! The authorization server's signing keys: ES256 key pairs kept in the [`Store`], the newest
//! signing, older ones published until the rotation overlap ends.

use super::store::{Store, StoreError, StoredKey};
use crate::KeyProvider;
use crate::jwks::{KeySet, VerificationKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// One loaded key.
#[derive(Clone)]
pub struct SigningKey {
    /// Key id.
    pub kid: String,
    encoding: Arc<EncodingKey>,
    /// The public JWK.
    pub jwk: Value,
    verification: VerificationKey,
    /// Retired keys verify but no longer sign.
    pub retired: bool,
}

impl SigningKey {
    fn from_stored(k: &StoredKey) -> Result<Self, String> {
        let der = base64::engine::general_purpose::STANDARD.decode(&k.private_key).map_err(|e| e.to_string())?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).map_err(|e| e.to_string())?;
        let point = pair.public_key().as_ref();
        let (x, y) = (b64url(&point[1..33]), b64url(&point[33..65]));
        let jwk = json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": k.kid, "alg": "ES256", "use": "sig" });
        let verification = VerificationKey {
            kid: Some(k.kid.clone()),
            key: DecodingKey::from_ec_components(&x, &y).map_err(|e| e.to_string())?,
            alg: Some(Algorithm::ES256),
            kty: "EC",
        };
        Ok(SigningKey {
            kid: k.kid.clone(),
            encoding: Arc::new(EncodingKey::from_ec_der(&der)),
            jwk,
            verification,
            retired: k.retired_at.is_some(),
        })
    }

    /// The key for signing.
    pub fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }
}

/// Generates a new ES256 key for the store.
pub fn generate(now: u64) -> Result<StoredKey, String> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|e| e.to_string())?;
    Ok(StoredKey {
        kid: super::random_token(12),
        private_key: base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref()),
        created_at: now,
        retired_at: None,
    })
}

struct Loaded {
    signing: Option<SigningKey>,
    all: Vec<SigningKey>,
    set: Arc<KeySet>,
}

/// The keys in memory, reloaded from the store on start, on rotation, and when a token names an
/// unknown `kid` (another instance rotated) — never on the request hot path otherwise.
pub struct Keys {
    store: Arc<dyn Store>,
    loaded: RwLock<Loaded>,
    last_reload: Mutex<Option<Instant>>,
}

impl Keys {
    /// Empty until [`reload`](Self::reload).
    pub fn new(store: Arc<dyn Store>) -> Self {
        Keys {
            store,
            loaded: RwLock::new(Loaded { signing: None, all: Vec::new(), set: Arc::new(KeySet::default()) }),
            last_reload: Mutex::new(None),
        }
    }

    /// Loads keys from the store.
    pub async fn load(&self) -> Result<(), StoreError> {
        let stored = self.store.keys().await?;
        let all: Vec<SigningKey> = stored
            .iter()
            .filter_map(|k| {
                SigningKey::from_stored(k)
                    .map_err(|e| tracing::error!(kid = %k.kid, error = %e, "unusable signing key"))
                    .ok()
            })
            .collect();
        let signing = all.iter().find(|k| !k.retired).cloned();
        let set = Arc::new(KeySet::new(all.iter().map(|k| k.verification.clone()).collect()));
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = Loaded { signing, all, set };
        Ok(())
    }

    /// Makes sure a signing key exists (generating one on first start).
    pub async fn ensure(&self, now: u64) -> Result<(), StoreError> {
        self.load().await?;
        if self.signing().is_none() {
            self.store.put_key(generate(now).map_err(StoreError)?).await?;
            self.load().await?;
        }
        Ok(())
    }

    /// Adds a new signing key and retires the others (they stay published for verification
    /// until purged after the overlap).
    pub async fn rotate(&self, now: u64) -> Result<String, StoreError> {
        let key = generate(now).map_err(StoreError)?;
        let kid = key.kid.clone();
        self.store.put_key(key).await?;
        self.store.retire_keys_except(&kid, now).await?;
        self.load().await?;
        Ok(kid)
    }

    /// The key that signs new tokens.
    pub fn signing(&self) -> Option<SigningKey> {
        self.loaded.read().unwrap_or_else(|p| p.into_inner()).signing.clone()
    }

    /// The public JWKS document.
    pub fn jwks(&self) -> Value {
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        json!({ "keys": loaded.all.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }
}

impl KeyProvider for Keys {
    fn current(&self) -> Arc<KeySet> {
        self.loaded.read().unwrap_or_else(|p| p.into_inner()).set.clone()
    }

    fn reload(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            {
                let mut last = self.last_reload.lock().unwrap_or_else(|p| p.into_inner());
                if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                    return;
                }
                *last = Some(Instant::now());
            }
            if let Err(e) = self.load().await {
                tracing::warn!(error = %e, "reloading signing keys failed");
            }
        })
    }
}
