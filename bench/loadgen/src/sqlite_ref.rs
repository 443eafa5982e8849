//! The physical reference: how fast this machine inserts the benchmark's rows into SQLite with
//! nothing in between (no HTTP, no JSON parsing, no validation, no channel). The tables and
//! their indexes are copied from the collector's own database file, so the reference pays for
//! the same schema, and the connection gets the collector writer's pragmas (WAL,
//! `synchronous = NORMAL`, its cache size and checkpoint interval, and its [`Checkpointer`]
//! thread). Rows go in transactions of `per_tx` rows through one cached prepared statement.
//!
//! Ids are kept unique as the collector keeps them: from schema version 3 through its
//! `event_ids` table and [`EventIds`] (ids in memory, merged into the table in sorted chunks
//! between transactions), the collector's own code; before, through the unique index on
//! `events.id`. `plain` leaves de-duplication out: the rows alone, an upper bound.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use wasmtrack_collector::store::sqlite::checkpoint::Checkpointer;
use wasmtrack_collector::store::sqlite::event_ids::EventIds;

use crate::beacon::{self, Ids};

/// Inserts for `seconds` into a fresh file `db` with the `events` schema of `schema_from`;
/// returns rows per second and the row count as JSON.
pub fn run(
    schema_from: &Path,
    db: &Path,
    per_tx: usize,
    seconds: f64,
    plain: bool,
) -> Result<serde_json::Value, String> {
    let err = |e: rusqlite::Error| e.to_string();
    let source = Connection::open(schema_from).map_err(err)?;
    let mut stmt = source
        .prepare(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN ('events', 'event_ids', 'counters') AND sql IS NOT NULL
             ORDER BY tbl_name, type DESC",
        )
        .map_err(err)?;
    let schema: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    if schema.is_empty() {
        return Err(format!("{} has no events table", schema_from.display()));
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut conn = Connection::open(db).map_err(err)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 10000;",
    )
    .map_err(err)?;
    for sql in &schema {
        conn.execute_batch(sql).map_err(err)?;
    }
    let has_id_table = schema.iter().any(|sql| sql.contains("TABLE event_ids"));
    let mut ids_kept = if has_id_table && !plain {
        conn.execute(
            "INSERT INTO counters (name, value) VALUES ('event_ids_through', 0)",
            [],
        )
        .map_err(err)?;
        Some(EventIds::load(&conn).map_err(err)?)
    } else {
        None
    };

    let checkpoints = Checkpointer::start(db).map_err(|e| format!("{e:?}"))?;
    let (name, props) = beacon::event();
    let mut ids = Ids::new(0x5EED ^ u64::from(std::process::id()));
    let visitor = ids.uuid();
    let session = format!("{visitor}-s1");
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut rows: u64 = 0;
    while Instant::now() < deadline {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let tx = conn.transaction().map_err(err)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO events (id, name, occurred_at, received_at, object_type, object_id, vid, sid, site, props, defaults)
                     VALUES (?1, ?2, ?3, ?4, 'CONTACT', NULL, ?5, ?6, 'bench', ?7, ?8)",
                )
                .map_err(err)?;
            for _ in 0..per_tx {
                let id = ids.uuid();
                if let Some(kept) = ids_kept.as_mut() {
                    if kept.contains(&tx, &id).map_err(err)? {
                        continue;
                    }
                    kept.insert(&id);
                }
                insert
                    .execute(params![
                        id,
                        name,
                        now,
                        now,
                        visitor,
                        session,
                        props,
                        beacon::DEFAULTS
                    ])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        rows += per_tx as u64;
        if let Some(kept) = ids_kept.as_mut() {
            if kept.background_due() {
                kept.background_step(&mut conn, per_tx).map_err(err)?;
            }
        }
        checkpoints.committed();
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(checkpoints);
    Ok(serde_json::json!({
        "per_tx": per_tx,
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows as f64 / elapsed,
        "dedupe": if ids_kept.is_some() { "event_ids" } else if plain { "none" } else { "unique index" },
    }))
}
