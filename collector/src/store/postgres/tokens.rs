//! Visualizer tokens on PostgreSQL: SQLite's rules (`store/sqlite/rules.rs`), kept as the
//! SHA-256 of the token and read from the database on every use, so a token issued or revoked
//! through one collector is so on all of them at once. Whether the site exists is asked of
//! the database too, in the issuing transaction: a site made through another collector a
//! moment ago may not have reached this one's memory yet.

use super::PgStore;
use crate::store::{StoreError, VisualizerToken};
use crate::timestamp::now_ms;

impl PgStore {
    /// Issues a token for `site`, valid until `expires_at` (and forgets the expired ones).
    pub async fn issue_visualizer_token(
        &self,
        site: String,
        expires_at: i64,
    ) -> Result<VisualizerToken, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // FOR SHARE: a deletion of the site waits for this transaction, or this one for it.
        if tx
            .query_opt("SELECT 1 FROM sites WHERE id = $1 FOR SHARE", &[&site])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "site \"{site}\" does not exist"
            )));
        }
        let now = now_ms();
        tx.execute(
            "DELETE FROM visualizer_tokens WHERE expires_at <= $1",
            &[&now],
        )
        .await?;
        let token = format!("vt_{}", crate::random::hex(2));
        tx.execute(
            "INSERT INTO visualizer_tokens (token, site, expires_at, created_at) VALUES ($1, $2, $3, $4)",
            &[&crate::auth::hash_secret(&token), &site, &expires_at, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(VisualizerToken {
            token,
            site,
            expires_at,
        })
    }

    /// The stored token `token`, expired or not; `None` when there is none.
    pub async fn visualizer_token(
        &self,
        token: String,
    ) -> Result<Option<VisualizerToken>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT site, expires_at FROM visualizer_tokens WHERE token = $1",
                &[&crate::auth::hash_secret(&token)],
            )
            .await?;
        Ok(row.map(|r| VisualizerToken {
            token,
            site: r.get(0),
            expires_at: r.get(1),
        }))
    }

    /// Revokes one token (1, or 0 when there is none), or every token of a site (how many).
    pub async fn revoke_visualizer_tokens(
        &self,
        token: Option<String>,
        site: Option<String>,
    ) -> Result<usize, StoreError> {
        let client = self.pool.get().await?;
        let revoked = match (token, site) {
            (Some(token), _) => {
                client
                    .execute(
                        "DELETE FROM visualizer_tokens WHERE token = $1",
                        &[&crate::auth::hash_secret(&token)],
                    )
                    .await?
            }
            (None, Some(site)) => {
                client
                    .execute("DELETE FROM visualizer_tokens WHERE site = $1", &[&site])
                    .await?
            }
            (None, None) => 0,
        };
        Ok(revoked as usize)
    }
}
