//! The behaviour every [`Store`] must have, as one executable check run against each backend
//! (memory and SQLite in this crate's tests, PostgreSQL in the workspace integration tests).

use super::store::*;
use std::sync::Arc;

fn grant(client: &str) -> Grant {
    Grant {
        client_id: client.into(),
        user_id: "alice".into(),
        scope: "a b".into(),
        resource: "http://127.0.0.1:1/mcp".into(),
        redirect_uri: "http://127.0.0.1:2/cb".into(),
        code_challenge: "c".repeat(43),
    }
}

/// Runs the store contract; panics with the rule that failed.
pub async fn check_store(store: Arc<dyn Store>) {
    let now = crate::now_unix();
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("the migration can run twice");

    let client = ClientRecord {
        client_id: "c1".into(),
        secret_hash: Some("ab".repeat(32)),
        name: Some("Client".into()),
        redirect_uris: vec!["https://app.example/cb".into()],
        auth_method: "client_secret_basic".into(),
        grant_types: vec!["authorization_code".into()],
        scope: None,
        created_at: now,
    };
    store.put_client(client.clone()).await.unwrap();
    assert_eq!(store.get_client("c1").await.unwrap(), Some(client), "clients round-trip");
    assert_eq!(store.get_client("nope").await.unwrap(), None);

    let pending = PendingRequest { grant: grant("c1"), state: Some("s".into()), csrf: "x".into(), user_id: None };
    store.put_pending("p1".into(), pending.clone(), now + 60).await.unwrap();
    assert_eq!(store.get_pending("p1").await.unwrap(), Some(pending.clone()));
    assert_eq!(store.take_pending("p1").await.unwrap(), Some(pending.clone()));
    assert_eq!(store.take_pending("p1").await.unwrap(), None, "pending requests are single-use");
    store.put_pending("p2".into(), pending, now - 1).await.unwrap();
    assert_eq!(store.get_pending("p2").await.unwrap(), None, "expired pending requests are gone");

    store.put_code("k1".into(), grant("c1"), "fam1".into(), now + 60).await.unwrap();
    store.put_refresh("r0".into(), grant("c1"), "fam1".into(), now + 600).await.unwrap();
    assert!(
        matches!(store.redeem_code("k1", now).await.unwrap(), CodeRedemption::Fresh { ref family, .. } if family == "fam1")
    );
    assert_eq!(store.redeem_code("k1", now).await.unwrap(), CodeRedemption::Replayed, "a code redeems once");
    assert!(store.family_revoked("fam1").await.unwrap(), "a replay revokes the family");
    assert_eq!(
        store.rotate_refresh("r0", now).await.unwrap(),
        RefreshRotation::Invalid,
        "tokens of a revoked family are dead"
    );
    assert_eq!(store.redeem_code("unknown", now).await.unwrap(), CodeRedemption::Invalid);
    store.put_code("k2".into(), grant("c1"), "fam2".into(), now - 1).await.unwrap();
    assert_eq!(store.redeem_code("k2", now).await.unwrap(), CodeRedemption::Invalid, "expired codes");

    store.put_refresh("r1".into(), grant("c1"), "fam3".into(), now + 600).await.unwrap();
    assert!(store.get_refresh("r1", now).await.unwrap().is_some());
    assert!(matches!(store.rotate_refresh("r1", now).await.unwrap(), RefreshRotation::Rotated { .. }));
    store.put_refresh("r2".into(), grant("c1"), "fam3".into(), now + 600).await.unwrap();
    assert!(store.get_refresh("r1", now).await.unwrap().is_none(), "a rotated token is no longer active");
    assert_eq!(store.rotate_refresh("r1", now).await.unwrap(), RefreshRotation::Reused, "reuse is detected");
    assert_eq!(
        store.rotate_refresh("r2", now).await.unwrap(),
        RefreshRotation::Invalid,
        "reuse revokes the whole family"
    );
    store.put_refresh("r3".into(), grant("c1"), "fam4".into(), now + 600).await.unwrap();
    store.revoke_family("fam4", now).await.unwrap();
    assert!(store.get_refresh("r3", now).await.unwrap().is_none(), "revocation");

    store.put_consent("alice".into(), "c1".into(), "a".into(), now).await.unwrap();
    store.put_consent("alice".into(), "c1".into(), "a b".into(), now).await.unwrap();
    assert_eq!(store.get_consent("alice", "c1").await.unwrap().as_deref(), Some("a b"), "consent is updated in place");

    store.put_user("bob".into(), "h1".into(), now).await.unwrap();
    store.put_user("bob".into(), "h2".into(), now).await.unwrap();
    assert_eq!(store.get_user("bob").await.unwrap().as_deref(), Some("h2"));

    store
        .put_key(StoredKey { kid: "old".into(), private_key: "x".into(), created_at: now - 10, retired_at: None })
        .await
        .unwrap();
    store
        .put_key(StoredKey { kid: "new".into(), private_key: "y".into(), created_at: now, retired_at: None })
        .await
        .unwrap();
    store.retire_keys_except("new", now).await.unwrap();
    let keys = store.keys().await.unwrap();
    assert_eq!(keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["new", "old"], "newest first");
    assert!(keys[0].retired_at.is_none() && keys[1].retired_at.is_some());

    store.put_refresh("r-expired".into(), grant("c1"), "fam5".into(), now - 5).await.unwrap();
    let purged = store.purge(now, now + 1).await.unwrap();
    assert!(purged >= 3, "expired codes, pending requests, refresh tokens and retired keys are purged ({purged})");
    assert_eq!(store.keys().await.unwrap().iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["new"]);
    assert!(store.get_refresh("r-expired", now - 10).await.unwrap().is_none());
}
