//! The store contract (`fastmcp_auth::oauth::contract`) on the in-memory and SQLite stores.
//! PostgreSQL runs the same contract in the workspace tests (`tests/tests/oauth_e2e.rs`).

use fastmcp_auth::oauth::contract::check_store;
use fastmcp_auth::oauth::{MemoryStore, SqlStore};
use std::sync::Arc;

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    check_store(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn sqlite_store_keeps_the_contract() {
    let dir = std::env::temp_dir().join(format!("fastmcp-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("contract.db");
    let _ = std::fs::remove_file(&path);
    let store = SqlStore::connect(&format!("sqlite:{}", path.display())).await.unwrap();
    check_store(Arc::new(store)).await;
    assert!(path.exists(), "the database file was created");
    let _ = std::fs::remove_dir_all(dir);
}
