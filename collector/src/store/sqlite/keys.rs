//! API keys (schema version 4): named credentials with scopes, kept as the SHA-256 of their
//! secret (a copy of the database opens nothing). Loaded at open and kept in memory by hash,
//! so authenticating a request reads no file; the writer updates that copy after each commit.
//! The store's methods that create and revoke keys are at the end of this file.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};

use super::caches::write_lock;
use super::SqliteStore;
use crate::scopes::Scope;
use crate::store::{ApiKey, StoreError};

/// Every key, by the hash of its secret.
pub(super) fn load(conn: &Connection) -> Result<BTreeMap<String, Arc<ApiKey>>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, name, scopes, hash, hint, created_at FROM api_keys")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (id, name, scopes, hash, hint, created_at) = row?;
        let key = ApiKey {
            id,
            name,
            scopes: scopes.split(',').filter_map(Scope::parse).collect(),
            hint,
            created_at,
        };
        out.insert(hash, Arc::new(key));
    }
    Ok(out)
}

/// Stores a key (assigning its id).
pub(super) fn insert(tx: &Connection, key: &mut ApiKey, hash: &str) -> Result<(), StoreError> {
    let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
    tx.execute(
        "INSERT INTO api_keys (name, scopes, hash, hint, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        (&key.name, scopes.join(","), hash, &key.hint, key.created_at),
    )?;
    key.id = tx.last_insert_rowid();
    Ok(())
}

/// Deletes the key `id`; false when there is none.
pub(super) fn delete(tx: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM api_keys WHERE id = ?1", [id])? > 0)
}

impl SqliteStore {
    pub(super) async fn create_key(
        &self,
        mut key: ApiKey,
        hash: String,
    ) -> Result<Arc<ApiKey>, StoreError> {
        let cache = self.keys.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            insert(&tx, &mut key, &hash)?;
            tx.commit()?;
            let key = Arc::new(key);
            write_lock(&cache).insert(hash, key.clone());
            Ok(key)
        })
        .await
    }

    pub(super) async fn revoke_key(&self, id: i64) -> Result<(), StoreError> {
        let cache = self.keys.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if !delete(&tx, id)? {
                return Err(StoreError::NotFound(format!("no API key {id}")));
            }
            tx.commit()?;
            write_lock(&cache).retain(|_, k| k.id != id);
            Ok(())
        })
        .await
    }
}
