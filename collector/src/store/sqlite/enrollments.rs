//! Enrollments (schema 9): the follower's decisions applied with its cursor in one
//! transaction, so a crash between them can neither lose an enrollment nor make one twice.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::SqliteStore;
use crate::store::{Enrollment, EnrollmentBatch, HistoryEntry, StoreError};

impl SqliteStore {
    pub(super) async fn enrollment_cursor(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT value FROM counters WHERE name = 'enrolled_through'",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
        .await
    }

    pub(super) async fn enroll(&self, batch: EnrollmentBatch) -> Result<u64, StoreError> {
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let made = apply(&tx, &batch)?;
            tx.commit()?;
            Ok(made)
        })
        .await
    }

    pub(super) async fn opt_out_of_enrollment(&self, prefix: String) -> Result<(), StoreError> {
        self.admin(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO enrollment_opt_outs (prefix) VALUES (?1)",
                [prefix],
            )?;
            Ok(())
        })
        .await
    }

    pub(super) async fn enrollment_opt_outs(&self) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT prefix FROM enrollment_opt_outs")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(super) async fn enrollments(
        &self,
        workflow: u64,
        limit: usize,
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM enrollments WHERE workflow = ?1 ORDER BY id DESC LIMIT ?2"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                (
                    i64::try_from(workflow).unwrap_or(i64::MAX),
                    i64::try_from(limit).unwrap_or(i64::MAX),
                ),
                row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}

/// The columns [`row`] reads, in its order.
pub(super) const COLUMNS: &str = "id, workflow, contact, event_seq, event_name, step, state, \
    created_at, attempts, wake_at, step_started_at, last_wait, finished_at";

/// An enrollment from a row of [`COLUMNS`].
pub(super) fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Enrollment> {
    Ok(Enrollment {
        id: r.get(0)?,
        workflow: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        contact: r.get(2)?,
        event_seq: r.get(3)?,
        event_name: r.get(4)?,
        step: r.get(5)?,
        state: r.get(6)?,
        created_at: r.get(7)?,
        attempts: r.get(8)?,
        wake_at: r.get(9)?,
        step_started_at: r.get(10)?,
        last_wait: r.get(11)?,
        finished_at: r.get(12)?,
    })
}

/// Adds a line to enrollment `id`'s history.
pub(super) fn log(tx: &Connection, id: i64, entry: &HistoryEntry) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO enrollment_history (enrollment, step, at, kind, status, latency_ms, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id,
        entry.step,
        entry.at,
        entry.kind,
        entry.status,
        entry.latency_ms,
        entry.detail
    ])?;
    Ok(())
}

/// How long an anonymous visitor's qualifying completion is remembered, in days: identified
/// later than that, the visitor enrolls only by what it does next. As long as the longest
/// wait a workflow may have (`workflows::model::MAX_WAIT_MS`).
pub const CANDIDATE_DAYS: i64 = 90;

/// The batch's enrollments (its own, then those of visitors now identified), its remembered
/// completions, and the cursor.
fn apply(tx: &Connection, batch: &EnrollmentBatch) -> rusqlite::Result<u64> {
    let mut made = 0;
    let enroll = |workflow: u64, contact: i64, seq: i64, name: &str| -> rusqlite::Result<u64> {
        let w = i64::try_from(workflow).unwrap_or(i64::MAX);
        if !batch.reenroll.contains(&workflow) {
            let before: Option<i64> = tx
                .prepare_cached(
                    "SELECT 1 FROM enrollments WHERE workflow = ?1 AND contact = ?2 LIMIT 1",
                )?
                .query_row((w, contact), |r| r.get(0))
                .optional()?;
            if before.is_some() {
                return Ok(0);
            }
        }
        tx.prepare_cached(
            "INSERT INTO enrollments (workflow, contact, event_seq, event_name, state, wake_at, created_at)
             VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?5)",
        )?
        .execute(params![w, contact, seq, name, batch.now])?;
        let entry = HistoryEntry::enrolled(batch.now, name);
        log(tx, tx.last_insert_rowid(), &entry)?;
        Ok(1)
    };
    for (workflow, contact, seq, name) in &batch.enroll {
        made += enroll(*workflow, *contact, *seq, name)?;
    }
    for (vid, contact) in &batch.identified {
        let waiting: Vec<(i64, i64, String)> = tx
            .prepare_cached(
                "SELECT workflow, event_seq, event_name FROM enrollment_candidates WHERE vid = ?1",
            )?
            .query_map([vid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (workflow, seq, name) in waiting {
            made += enroll(u64::try_from(workflow).unwrap_or(0), *contact, seq, &name)?;
        }
        tx.prepare_cached("DELETE FROM enrollment_candidates WHERE vid = ?1")?
            .execute([vid])?;
    }
    for (workflow, vid, seq, name) in &batch.remember {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO enrollment_candidates
                 (workflow, vid, event_seq, event_name, remembered_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            i64::try_from(*workflow).unwrap_or(i64::MAX),
            vid,
            seq,
            name,
            batch.now
        ])?;
    }
    // Most anonymous visitors are never identified: what they did is not kept for ever.
    tx.prepare_cached("DELETE FROM enrollment_candidates WHERE remembered_at < ?1")?
        .execute([batch.now.saturating_sub(CANDIDATE_DAYS * 86_400_000)])?;
    for r in &batch.resume {
        made += resume(tx, r, batch.now)?;
    }
    tx.execute(
        "INSERT INTO counters (name, value) VALUES ('enrolled_through', ?1)
         ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
        [batch.through],
    )?;
    Ok(made)
}

/// Ends the waits `r` ends: its contact's enrollments in its workflow waiting at its step
/// since before it was stored go on to the next step, told that the event happened.
fn resume(tx: &Connection, r: &crate::store::Resume, now: i64) -> rusqlite::Result<u64> {
    let last_wait = r.last_wait(now);
    let ids: Vec<i64> = tx
        .prepare_cached(
            "UPDATE enrollments SET step = step + 1, state = 'active', attempts = 0,
                 step_started_at = NULL, wait_after_seq = NULL, wake_at = ?1, last_wait = ?2
             WHERE workflow = ?3 AND contact = ?4 AND step = ?5 AND state = 'waiting'
                 AND wait_after_seq < ?6
             RETURNING id",
        )?
        .query_map(
            params![
                now,
                last_wait,
                i64::try_from(r.workflow).unwrap_or(i64::MAX),
                r.contact,
                r.step,
                r.seq
            ],
            |row| row.get(0),
        )?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        let entry = HistoryEntry::resumed(r, now);
        log(tx, *id, &entry)?;
    }
    Ok(ids.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EnrollmentBatch;

    const DAY: i64 = 86_400_000;

    #[tokio::test]
    async fn remembered_visitors_are_found_by_index_and_forgotten_after_90_days() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        let remember = |now: i64, vid: &str| EnrollmentBatch {
            now,
            remember: vec![(1, vid.into(), 1, "signup".into())],
            ..EnrollmentBatch::default()
        };
        store.enroll(remember(DAY, "old")).await.unwrap();
        store.enroll(remember(80 * DAY, "recent")).await.unwrap();
        let (plan, vids) = store
            .read(|conn| {
                let plan: Vec<String> = conn
                    .prepare(
                        "EXPLAIN QUERY PLAN SELECT workflow FROM enrollment_candidates WHERE vid = 'x'",
                    )?
                    .query_map([], |r| r.get(3))?
                    .collect::<Result<_, _>>()?;
                let vids: Vec<String> = conn
                    .prepare("SELECT vid FROM enrollment_candidates ORDER BY vid")?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                Ok((plan, vids))
            })
            .await
            .unwrap();
        assert!(
            plan.iter()
                .any(|p| p.contains("enrollment_candidates_by_vid")),
            "{plan:?}"
        );
        assert_eq!(vids, ["old", "recent"]);
        store.enroll(remember(92 * DAY, "new")).await.unwrap();
        let vids: Vec<String> = store
            .read(|conn| {
                Ok(conn
                    .prepare("SELECT vid FROM enrollment_candidates ORDER BY vid")?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(vids, ["new", "recent"], "the 91-day-old one is forgotten");
    }
}
