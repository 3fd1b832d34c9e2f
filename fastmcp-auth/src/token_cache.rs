//! [`TokenCache`]: verified tokens by SHA-256 digest, bounded, each entry expiring with its token.

use crate::AccessToken;
use crate::token::now_unix;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;

/// The keys are SHA-256 digests — already uniformly distributed — so their first eight bytes
/// are the hash; no second hash function runs on the hot path.
#[derive(Default)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // The digest's bytes (the array's length prefix arrives through `write_usize`).
        if let Some(head) = bytes.get(..8) {
            self.0 ^= u64::from_le_bytes(head.try_into().unwrap_or_default());
        }
    }
    fn write_usize(&mut self, _: usize) {}
}

type DigestMap<V> = HashMap<[u8; 32], V, std::hash::BuildHasherDefault<DigestHasher>>;

/// A cache hit.
#[derive(Clone)]
pub struct CachedToken {
    /// The verified token.
    pub token: Arc<AccessToken>,
    /// The id of the key that verified it (shared: a hit clones no string).
    pub kid: Option<Arc<str>>,
}

#[derive(Clone)]
struct Entry {
    hit: CachedToken,
    /// Unix seconds after which the entry is dead.
    expires_at: u64,
}

/// A bounded cache of verified tokens keyed by the token's digest (the token itself is never
/// stored). Sharded to keep lock contention low.
pub struct TokenCache {
    shards: Vec<Mutex<DigestMap<Entry>>>,
    capacity_per_shard: usize,
    max_ttl: u64,
}

impl TokenCache {
    /// A cache for up to `capacity` tokens, none kept longer than `max_ttl_secs`.
    pub fn new(capacity: usize, max_ttl_secs: u64) -> Self {
        TokenCache {
            shards: (0..SHARDS).map(|_| Mutex::new(DigestMap::default())).collect(),
            capacity_per_shard: capacity.div_ceil(SHARDS).max(1),
            max_ttl: max_ttl_secs,
        }
    }

    fn shard(&self, digest: &[u8; 32]) -> std::sync::MutexGuard<'_, DigestMap<Entry>> {
        // Shard by a byte the in-shard hash does not use.
        self.shards[digest[31] as usize % SHARDS].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached token for `digest`, if present and unexpired.
    pub fn get(&self, digest: &[u8; 32]) -> Option<CachedToken> {
        let now = now_unix();
        let mut shard = self.shard(digest);
        match shard.get(digest) {
            Some(e) if e.expires_at > now => Some(e.hit.clone()),
            Some(_) => {
                shard.remove(digest);
                None
            }
            None => None,
        }
    }

    /// Caches `token` until its `exp` (or `max_ttl`, whichever is sooner).
    pub fn insert(&self, digest: [u8; 32], token: Arc<AccessToken>, kid: Option<String>) {
        let kid = kid.map(Arc::from);
        let now = now_unix();
        let expires_at = token.expires_at.unwrap_or(u64::MAX).min(now + self.max_ttl);
        if expires_at <= now {
            return;
        }
        let mut shard = self.shard(&digest);
        if shard.len() >= self.capacity_per_shard {
            shard.retain(|_, e| e.expires_at > now);
            if shard.len() >= self.capacity_per_shard
                && let Some(k) = shard.keys().next().copied()
            {
                shard.remove(&k);
            }
        }
        shard.insert(digest, Entry { hit: CachedToken { token, kid }, expires_at });
    }

    /// Drops `digest`.
    pub fn remove(&self, digest: &[u8; 32]) {
        self.shard(digest).remove(digest);
    }

    /// Number of cached tokens.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map(|m| m.len()).unwrap_or(0)).sum()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_expiring() {
        let cache = TokenCache::new(32, 3600);
        let live =
            Arc::new(AccessToken { subject: "a".into(), expires_at: Some(now_unix() + 60), ..Default::default() });
        let dead =
            Arc::new(AccessToken { subject: "b".into(), expires_at: Some(now_unix() - 1), ..Default::default() });
        cache.insert([1; 32], live, None);
        cache.insert([2; 32], dead, None);
        assert_eq!(cache.get(&[1; 32]).unwrap().token.subject, "a");
        assert!(cache.get(&[2; 32]).is_none());
        for i in 0..1000u32 {
            let mut d = [0u8; 32];
            d[..4].copy_from_slice(&i.to_le_bytes());
            cache.insert(d, Arc::new(AccessToken { expires_at: Some(now_unix() + 60), ..Default::default() }), None);
        }
        assert!(cache.len() <= 32, "{}", cache.len());
    }

    #[test]
    fn digest_hash_uses_the_digest_not_the_length() {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let b = BuildHasherDefault::<DigestHasher>::default();
        let mut d1 = [0u8; 32];
        d1[0] = 1;
        let mut d2 = [0u8; 32];
        d2[0] = 2;
        assert_ne!(b.hash_one(d1), b.hash_one(d2));
    }
}
