//! The analyst app's sessions in the `app_sessions` table, shared by every collector: one
//! signed in through one collector is signed in on all, and signing out ends it on all. Each
//! app request reads its session; its last use is written at most once a minute, so browsing
//! does not turn into a write per page.

use super::PgStore;
use crate::store::{SessionRecord, StoreError};

/// A session's last use is written when older than this, ms.
const TOUCH_EVERY_MS: i64 = 60_000;

impl PgStore {
    /// Stores `session`; sessions idle for `idle_ms` are deleted first.
    pub(super) async fn open_session(
        &self,
        id_hash: String,
        session: SessionRecord,
        idle_ms: i64,
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "DELETE FROM app_sessions WHERE last_seen < $1",
                &[&(session.last_seen - idle_ms)],
            )
            .await?;
        client
            .execute(
                "INSERT INTO app_sessions (id, holder, csrf, last_seen) VALUES ($1, $2, $3, $4)",
                &[&id_hash, &session.holder, &session.csrf, &session.last_seen],
            )
            .await?;
        Ok(())
    }

    /// The live session `id_hash`, its last use moved to `now`; an idle one is deleted.
    pub(super) async fn find_session(
        &self,
        id_hash: String,
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let client = self.pool.get().await?;
        let Some(row) = client
            .query_opt(
                "SELECT holder, csrf, last_seen FROM app_sessions WHERE id = $1",
                &[&id_hash],
            )
            .await?
        else {
            return Ok(None);
        };
        let mut session = SessionRecord {
            holder: row.get(0),
            csrf: row.get(1),
            last_seen: row.get(2),
        };
        if now - session.last_seen >= idle_ms {
            client
                .execute("DELETE FROM app_sessions WHERE id = $1", &[&id_hash])
                .await?;
            return Ok(None);
        }
        if now - session.last_seen >= TOUCH_EVERY_MS {
            client
                .execute(
                    "UPDATE app_sessions SET last_seen = greatest(last_seen, $2) WHERE id = $1",
                    &[&id_hash, &now],
                )
                .await?;
            session.last_seen = now;
        }
        Ok(Some(session))
    }

    /// Deletes the session `id_hash`.
    pub(super) async fn close_session(&self, id_hash: String) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute("DELETE FROM app_sessions WHERE id = $1", &[&id_hash])
            .await?;
        Ok(())
    }
}
