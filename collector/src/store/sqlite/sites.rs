//! Sites: the `sites` table, loaded into memory at open, and the store's writes of it.
//! Deleting a site also deletes its rules and visualizer tokens (see [`super::rules`]) in the
//! same transaction, so no rule outlives its site.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::caches::write_lock;
use super::{encode, rules, SqliteStore};
use crate::model::Site;
use crate::store::StoreError;
use crate::timestamp::now_ms;

/// Every site, by id.
pub(super) fn load(conn: &Connection) -> Result<BTreeMap<String, Arc<Site>>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT id, origins, public_key, created_at, updated_at FROM sites")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (id, origins, public_key, created_at, updated_at) = row?;
        let origins: Vec<String> = serde_json::from_str(&origins).map_err(|e| {
            StoreError::Internal(format!("stored origins of site {id} are unreadable: {e}"))
        })?;
        out.insert(
            id.clone(),
            Arc::new(Site {
                id,
                origins,
                public_key,
                created_at,
                updated_at,
            }),
        );
    }
    Ok(out)
}

impl SqliteStore {
    pub(super) async fn put_site(
        &self,
        id: String,
        origins: Vec<String>,
        create_only: bool,
    ) -> Result<(Arc<Site>, bool), StoreError> {
        let cache = self.sites.clone();
        self.admin(move |conn| {
            let now = now_ms();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(String, i64)> = tx
                .query_row("SELECT public_key, created_at FROM sites WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if existing.is_some() && create_only {
                return Err(StoreError::Conflict(format!("site \"{id}\" already exists")));
            }
            let created = existing.is_none();
            let (public_key, created_at) = existing.unwrap_or_else(|| (format!("pk_{}", crate::random::hex(1)), now));
            tx.execute(
                "INSERT INTO sites (id, origins, public_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET origins = excluded.origins, updated_at = excluded.updated_at",
                (&id, encode(&origins)?, &public_key, created_at, now),
            )?;
            tx.commit()?;
            let site = Arc::new(Site { id: id.clone(), origins, public_key, created_at, updated_at: now });
            cache.write().unwrap_or_else(|e| e.into_inner()).insert(id, site.clone());
            Ok((site, created))
        })
        .await
    }

    pub(super) async fn delete_site(&self, id: String) -> Result<(), StoreError> {
        let cache = self.sites.clone();
        let rule_sets = self.rules.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if tx.execute("DELETE FROM sites WHERE id = ?1", [&id])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "site \"{id}\" does not exist"
                )));
            }
            rules::delete_site(&tx, &id)?;
            tx.commit()?;
            write_lock(&cache).remove(&id);
            write_lock(&rule_sets).remove(&id);
            Ok(())
        })
        .await
    }
}
