//! API keys on PostgreSQL: SQLite's rules (`store/sqlite/keys.rs`), kept in every collector's
//! memory by the hash of their secret. A key revoked through one collector stops working on
//! all of them as soon as the notification arrives (a leaked key is revoked once).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{notify, PgStore};
use crate::scopes::Scope;
use crate::store::{read_lock, write_lock, ApiKey, StoreError};

/// Every key, by the hash of its secret.
pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<BTreeMap<String, Arc<ApiKey>>, StoreError> {
    let rows = client
        .query(
            "SELECT id, name, scopes, hash, hint, created_at FROM api_keys",
            &[],
        )
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let scopes: String = row.get(2);
        let key = ApiKey {
            id: row.get(0),
            name: row.get(1),
            scopes: scopes.split(',').filter_map(Scope::parse).collect(),
            hint: row.get(4),
            created_at: row.get(5),
        };
        out.insert(row.get(3), Arc::new(key));
    }
    Ok(out)
}

impl PgStore {
    /// The key whose secret hashes to `hash`, from memory.
    pub fn key(&self, hash: &str) -> Option<Arc<ApiKey>> {
        let keys = read_lock(&self.caches.keys);
        keys.get(hash).cloned()
    }

    /// Every key, from memory.
    pub fn keys(&self) -> Vec<Arc<ApiKey>> {
        let keys = read_lock(&self.caches.keys);
        keys.values().cloned().collect()
    }

    /// Stores a key, assigning its id.
    pub async fn create_key(
        &self,
        mut key: ApiKey,
        hash: String,
    ) -> Result<Arc<ApiKey>, StoreError> {
        let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_one(
                "INSERT INTO api_keys (name, scopes, hash, hint, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&key.name, &scopes.join(","), &hash, &key.hint, &key.created_at],
            )
            .await?;
        key.id = row.get(0);
        notify(&tx, "api_keys").await?;
        tx.commit().await?;
        let key = Arc::new(key);
        write_lock(&self.caches.keys).insert(hash, key.clone());
        Ok(key)
    }

    /// Revokes the key `id`.
    pub async fn revoke_key(&self, id: i64) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if tx
            .execute("DELETE FROM api_keys WHERE id = $1", &[&id])
            .await?
            == 0
        {
            return Err(StoreError::NotFound(format!("no API key {id}")));
        }
        notify(&tx, "api_keys").await?;
        tx.commit().await?;
        write_lock(&self.caches.keys).retain(|_, k| k.id != id);
        Ok(())
    }
}
