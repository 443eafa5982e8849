//! Sites on PostgreSQL: the same rules as SQLite's (`store/sqlite/sites.rs`). Deleting a site
//! deletes its rules, its rule-list version and its visualizer tokens in the same transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{notify, PgStore};
use crate::model::Site;
use crate::store::{read_lock, write_lock, StoreError};
use crate::timestamp::now_ms;

/// Every site, by id.
pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<BTreeMap<String, Arc<Site>>, StoreError> {
    let rows = client
        .query(
            "SELECT id, origins::text, public_key, created_at, updated_at FROM sites",
            &[],
        )
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let id: String = row.get(0);
        let origins: Vec<String> = serde_json::from_str(row.get(1)).map_err(|e| {
            StoreError::Internal(format!("stored origins of site {id} are unreadable: {e}"))
        })?;
        out.insert(
            id.clone(),
            Arc::new(Site {
                id,
                origins,
                public_key: row.get(2),
                created_at: row.get(3),
                updated_at: row.get(4),
            }),
        );
    }
    Ok(out)
}

impl PgStore {
    /// The site `id`, from memory.
    pub fn site(&self, id: &str) -> Option<Arc<Site>> {
        let sites = read_lock(&self.caches.sites);
        sites.get(id).cloned()
    }

    /// Every site, by id, from memory.
    pub fn sites(&self) -> Vec<Arc<Site>> {
        let sites = read_lock(&self.caches.sites);
        sites.values().cloned().collect()
    }

    /// Creates the site, or replaces its origins; `create_only` refuses an existing id
    /// (Conflict). Returns the site and whether it was created. Every collector sees it once
    /// the transaction commits: this one at once, the others when the notification arrives.
    pub async fn put_site(
        &self,
        id: String,
        origins: Vec<String>,
        create_only: bool,
    ) -> Result<(Arc<Site>, bool), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let now = now_ms();
        let fresh_key = format!("pk_{}", crate::random::hex(1));
        let origins_json = serde_json::to_string(&origins)
            .map_err(|e| StoreError::Internal(format!("origins: {e}")))?;
        // One statement decides between creating and updating, so two collectors creating the
        // same site at once cannot both believe they created it.
        let row = tx
            .query_one(
                "INSERT INTO sites (id, origins, public_key, created_at, updated_at)
                 VALUES ($1, $2::text::jsonb, $3, $4, $4)
                 ON CONFLICT (id) DO UPDATE SET origins = excluded.origins, updated_at = excluded.updated_at
                 RETURNING public_key, created_at, (xmax = 0) AS created",
                &[&id, &origins_json, &fresh_key, &now],
            )
            .await?;
        let created: bool = row.get(2);
        if create_only && !created {
            // Dropping the transaction rolls the update back.
            return Err(StoreError::Conflict(format!(
                "site \"{id}\" already exists"
            )));
        }
        notify(&tx, "sites").await?;
        tx.commit().await?;
        let site = Arc::new(Site {
            id: id.clone(),
            origins,
            public_key: row.get(0),
            created_at: row.get(1),
            updated_at: now,
        });
        write_lock(&self.caches.sites).insert(id, site.clone());
        Ok((site, created))
    }

    /// Deletes a site, its rules, its rule-list version and its visualizer tokens.
    pub async fn delete_site(&self, id: String) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if tx
            .execute("DELETE FROM sites WHERE id = $1", &[&id])
            .await?
            == 0
        {
            return Err(StoreError::NotFound(format!(
                "site \"{id}\" does not exist"
            )));
        }
        for table in ["rules", "rule_versions", "visualizer_tokens"] {
            tx.execute(&format!("DELETE FROM {table} WHERE site = $1"), &[&id])
                .await?;
        }
        notify(&tx, "sites").await?;
        notify(&tx, "rules").await?;
        tx.commit().await?;
        write_lock(&self.caches.sites).remove(&id);
        Ok(())
    }
}
