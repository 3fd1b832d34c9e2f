//! [`MemoryStore`]: the [`Store`] in process memory, for tests and single short-lived servers.

use super::store::*;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
struct Tables {
    clients: HashMap<String, ClientRecord>,
    pending: HashMap<String, (PendingRequest, u64)>,
    codes: HashMap<String, (Grant, String, u64, Option<u64>)>,
    families: HashMap<String, u64>,
    refresh: HashMap<String, (Grant, String, u64, Option<u64>)>,
    consents: HashMap<(String, String), String>,
    keys: Vec<StoredKey>,
    users: HashMap<String, String>,
}

/// Everything in memory; lost on restart.
#[derive(Default)]
pub struct MemoryStore {
    t: Mutex<Tables>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
    fn with<R>(&self, f: impl FnOnce(&mut Tables) -> R) -> R {
        f(&mut self.t.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn ready<'a, T: Send + 'a>(v: T) -> BoxFuture<'a, StoreResult<T>> {
    Box::pin(std::future::ready(Ok(v)))
}

impl Store for MemoryStore {
    fn migrate(&self) -> BoxFuture<'_, StoreResult<()>> {
        ready(())
    }
    fn put_client(&self, client: ClientRecord) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|t| {
            t.clients.insert(client.client_id.clone(), client);
        });
        ready(())
    }
    fn get_client<'a>(&'a self, client_id: &'a str) -> BoxFuture<'a, StoreResult<Option<ClientRecord>>> {
        ready(self.with(|t| t.clients.get(client_id).cloned()))
    }
    fn put_pending(&self, id_hash: String, request: PendingRequest, expires_at: u64) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|t| {
            t.pending.insert(id_hash, (request, expires_at));
        });
        ready(())
    }
    fn get_pending<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, StoreResult<Option<PendingRequest>>> {
        let now = crate::now_unix();
        ready(self.with(|t| t.pending.get(id_hash).filter(|(_, exp)| *exp > now).map(|(r, _)| r.clone())))
    }
    fn take_pending<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, StoreResult<Option<PendingRequest>>> {
        let now = crate::now_unix();
        ready(self.with(|t| t.pending.remove(id_hash).filter(|(_, exp)| *exp > now).map(|(r, _)| r)))
    }
    fn put_code(
        &self,
        code_hash: String,
        grant: Grant,
        family: String,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|t| {
            t.codes.insert(code_hash, (grant, family, expires_at, None));
        });
        ready(())
    }
    fn redeem_code<'a>(&'a self, code_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<CodeRedemption>> {
        ready(self.with(|t| {
            let Some((grant, family, exp, used)) = t.codes.get_mut(code_hash) else { return CodeRedemption::Invalid };
            if used.is_some() {
                let family = family.clone();
                revoke(t, &family, now);
                return CodeRedemption::Replayed;
            }
            if *exp <= now {
                return CodeRedemption::Invalid;
            }
            *used = Some(now);
            CodeRedemption::Fresh { grant: grant.clone(), family: family.clone() }
        }))
    }
    fn put_refresh(
        &self,
        token_hash: String,
        grant: Grant,
        family: String,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|t| {
            t.refresh.insert(token_hash, (grant, family, expires_at, None));
        });
        ready(())
    }
    fn rotate_refresh<'a>(&'a self, token_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<RefreshRotation>> {
        ready(self.with(|t| {
            let Some((grant, family, exp, rotated)) = t.refresh.get_mut(token_hash) else {
                return RefreshRotation::Invalid;
            };
            let (grant, family) = (grant.clone(), family.clone());
            if rotated.is_some() {
                revoke(t, &family, now);
                return RefreshRotation::Reused;
            }
            if *exp <= now || t.families.contains_key(&family) {
                return RefreshRotation::Invalid;
            }
            *rotated = Some(now);
            RefreshRotation::Rotated { grant, family }
        }))
    }
    fn get_refresh<'a>(&'a self, token_hash: &'a str, now: u64) -> BoxFuture<'a, StoreResult<Option<(Grant, String)>>> {
        ready(self.with(|t| {
            let (g, f, exp, rotated) = t.refresh.get(token_hash)?;
            (*exp > now && rotated.is_none() && !t.families.contains_key(f)).then(|| (g.clone(), f.clone()))
        }))
    }
    fn revoke_family<'a>(&'a self, family: &'a str, now: u64) -> BoxFuture<'a, StoreResult<()>> {
        self.with(|t| revoke(t, family, now));
        ready(())
    }
    fn family_revoked<'a>(&'a self, family: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        ready(self.with(|t| t.families.contains_key(family)))
    }
    fn put_consent(
        &self,
        user_id: String,
        client_id: String,
        scope: String,
        _now: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|t| {
            t.consents.insert((user_id, client_id), scope);
        });
        ready(())
    }
    fn get_consent<'a>(&'a self, user_id: &'a str, client_id: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>> {
        ready(self.with(|t| t.consents.get(&(user_id.to_owned(), client_id.to_owned())).cloned()))
    }
    fn put_key(&self, key: StoredKey) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|t| t.keys.insert(0, key));
        ready(())
    }
    fn retire_keys_except<'a>(&'a self, kid: &'a str, now: u64) -> BoxFuture<'a, StoreResult<()>> {
        self.with(|t| {
            for k in t.keys.iter_mut().filter(|k| k.kid != kid && k.retired_at.is_none()) {
                k.retired_at = Some(now);
            }
        });
        ready(())
    }
    fn keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredKey>>> {
        ready(self.with(|t| t.keys.clone()))
    }
    fn put_user(&self, username: String, password_hash: String, _now: u64) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|t| {
            t.users.insert(username, password_hash);
        });
        ready(())
    }
    fn get_user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<Option<String>>> {
        ready(self.with(|t| t.users.get(username).cloned()))
    }
    fn purge(&self, now: u64, retired_before: u64) -> BoxFuture<'_, StoreResult<u64>> {
        ready(self.with(|t| {
            let before = t.pending.len() + t.codes.len() + t.refresh.len() + t.keys.len();
            t.pending.retain(|_, (_, exp)| *exp > now);
            t.codes.retain(|_, (_, _, exp, _)| *exp > now);
            t.refresh.retain(|_, (_, _, exp, _)| *exp > now);
            t.keys.retain(|k| k.retired_at.is_none_or(|r| r >= retired_before));
            (before - (t.pending.len() + t.codes.len() + t.refresh.len() + t.keys.len())) as u64
        }))
    }
}

fn revoke(t: &mut Tables, family: &str, now: u64) {
    t.families.entry(family.to_owned()).or_insert(now);
}
