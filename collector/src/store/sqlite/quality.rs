//! Data-quality counts (schema version 4): how often the beacon path dropped or cut a
//! property, held an event or dropped an identity, per (event, property, code, site), with the
//! first and last time and the last occurrence. Updated inside the ingest's transaction from
//! counts its request already grouped, so a beacon of a thousand identical problems costs one
//! row update, and the counts can never disagree with what was stored.

use rusqlite::{params, Connection};

use crate::store::{QualityCount, QualityRow, StoreError};

/// Adds a request's counts.
pub(super) fn add(tx: &Connection, counts: &[QualityCount]) -> rusqlite::Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO quality (event, property, code, site, count, first_seen, last_seen, example)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
         ON CONFLICT (event, property, code, site) DO UPDATE SET
             count = count + excluded.count,
             first_seen = MIN(first_seen, excluded.first_seen),
             last_seen = MAX(last_seen, excluded.last_seen),
             example = excluded.example",
    )?;
    for c in counts {
        upsert.execute(params![
            c.event,
            c.property,
            c.code,
            c.site,
            i64::try_from(c.count).unwrap_or(i64::MAX),
            c.at,
            c.example
        ])?;
    }
    Ok(())
}

/// Most rows one query answers.
const MAX_ROWS: i64 = 10_000;

/// The counts seen at or after `since`, of a site and/or event when given, latest first.
pub(super) fn list(
    conn: &Connection,
    site: Option<&str>,
    event: Option<&str>,
    since: i64,
) -> Result<Vec<QualityRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT event, property, code, site, count, first_seen, last_seen, example FROM quality
         WHERE last_seen >= ?1 AND (?2 IS NULL OR site = ?2) AND (?3 IS NULL OR event = ?3)
         ORDER BY last_seen DESC, event, property, code LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![since, site, event, MAX_ROWS], |r| {
        Ok(QualityRow {
            count: QualityCount {
                event: r.get(0)?,
                property: r.get(1)?,
                code: r.get(2)?,
                site: r.get(3)?,
                count: r.get(4)?,
                at: r.get(6)?,
                example: r.get(7)?,
            },
            first_seen: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
