//! `enrolled DB WAIT_SECONDS`: what the collector's enroller made of a load, read from its
//! database while it runs (a WAL reader does not block the writer). The enroller follows the
//! stored completions after the commit, so when the load stops it may still be behind: this
//! waits up to `WAIT_SECONDS` for its cursor (`enrolled_through`) to reach the last stored
//! completion, then counts. Prints JSON: how long the catching up took or how far behind it
//! stayed, enrollments (all, contacts, workflows that enrolled anyone), anonymous visitors
//! remembered as candidates, and contacts.
//!
//! The API lists a workflow's last 100 enrollments only (`/v1/workflows/{id}/enrollments`), so
//! the totals are read from the tables (`collector/src/store/sqlite/schema.rs`, version 9).

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use serde_json::json;

/// Waits for the enroller, then counts; prints JSON.
pub fn run(db: &Path, wait_seconds: f64) -> Result<serde_json::Value, String> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("{}: {e}", db.display()))?;
    let count = |sql: &str| -> Result<i64, String> {
        conn.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
            .map(|n| n.unwrap_or(0))
            .map_err(|e| format!("{sql}: {e}"))
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(wait_seconds);
    let behind = loop {
        let last = count("SELECT MAX(seq) FROM events")?;
        let through = count("SELECT value FROM counters WHERE name = 'enrolled_through'")?;
        let behind = (last - through).max(0);
        if behind == 0 || Instant::now() >= deadline {
            break behind;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Ok(json!({
        "caught_up": behind == 0,
        "wait_s": started.elapsed().as_secs_f64(),
        "behind": behind,
        "enrollments": count("SELECT COUNT(*) FROM enrollments")?,
        "enrolled_contacts": count("SELECT COUNT(DISTINCT contact) FROM enrollments")?,
        "enrolling_workflows": count("SELECT COUNT(DISTINCT workflow) FROM enrollments")?,
        "candidates": count("SELECT COUNT(*) FROM enrollment_candidates")?,
        "contacts": count("SELECT COUNT(*) FROM contacts")?,
    }))
}
