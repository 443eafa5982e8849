//! The holding area (schema version 4): beacon events whose name has no definition yet, kept
//! with everything needed to store them once it exists, for a bounded time and number; and the
//! bounds of the refused-events table, applied the same way.
//!
//! Writes run on the writer thread inside the ingest's transaction (see [`super::writer`]), so
//! a replayed event is stored and released from here at once or not at all. Bounds are applied
//! only by requests that add rows to these tables, through their `received_at` and `seq`
//! indexes, so the common beacon pays nothing for them.

use rusqlite::{params, Connection};

use crate::store::{HeldEvent, HeldSummary, Retention, StoreError, StoredHeld};

/// Holds `events` (a retried beacon's events are held once) and applies the bounds.
pub(super) fn hold(
    tx: &Connection,
    events: &[HeldEvent],
    retention: &Retention,
    now: i64,
) -> rusqlite::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO held (event_id, name, site, received_at, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (event_id) DO NOTHING",
    )?;
    for event in events {
        let body = serde_json::to_string(event)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        insert.execute(params![
            event.id,
            event.name,
            event.site,
            event.received_at,
            body
        ])?;
    }
    bound(tx, "held", retention.held_ms, retention.held_rows, now)
}

/// Releases replayed held events.
pub(super) fn release(tx: &Connection, seqs: &[i64]) -> rusqlite::Result<()> {
    let mut delete = tx.prepare_cached("DELETE FROM held WHERE seq = ?1")?;
    for seq in seqs {
        delete.execute([seq])?;
    }
    Ok(())
}

/// Deletes the rows of `table` (`held` or `rejected`) older than `max_age` ms, and the oldest
/// past the newest `max_rows` (counted by sequence number: rows released or deleted in between
/// only make fewer stay).
pub(super) fn bound(
    tx: &Connection,
    table: &str,
    max_age: i64,
    max_rows: i64,
    now: i64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!("DELETE FROM {table} WHERE received_at < ?1"))?
        .execute([now.saturating_sub(max_age)])?;
    tx.prepare_cached(&format!(
        "DELETE FROM {table} WHERE seq <= (SELECT MAX(seq) FROM {table}) - ?1"
    ))?
    .execute([max_rows])?;
    Ok(())
}

/// The held events, counted by name.
pub(super) fn summary(conn: &Connection) -> Result<Vec<HeldSummary>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, COUNT(*), MIN(received_at), MAX(received_at) FROM held GROUP BY name ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(HeldSummary {
            name: r.get(0)?,
            count: r.get(1)?,
            first_received: r.get(2)?,
            last_received: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Up to `limit` held events of `name` after `after`, oldest first.
pub(super) fn page(
    conn: &Connection,
    name: &str,
    after: i64,
    limit: usize,
) -> Result<Vec<StoredHeld>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, body FROM held WHERE name = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![name, after, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, body) = row?;
        let event: HeldEvent = serde_json::from_str(&body)
            .map_err(|e| StoreError::Internal(format!("held event {seq} is unreadable: {e}")))?;
        out.push(StoredHeld { seq, event });
    }
    Ok(out)
}
