//! Running enrollments' steps (schema 11): which are due, and applying what a step did. The
//! runner (`workflows::runner`) decides; this stores the decision with its history lines in one
//! transaction, and only if the enrollment is still where the decision was taken from.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::enrollments::{log, row, COLUMNS};
use super::SqliteStore;
use crate::store::{Enrollment, HistoryEntry, StepChange, StoreError};

/// The ids as the JSON array `json_each` reads.
fn json_ids<T: serde::Serialize>(ids: &[T]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

impl SqliteStore {
    pub(super) async fn due_enrollments(
        &self,
        workflows: Vec<u64>,
        now: i64,
        except: Vec<i64>,
        limit: usize,
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM enrollments
                 WHERE workflow IN (SELECT value FROM json_each(?1))
                     AND state IN ('active', 'waiting') AND wake_at <= ?2
                     AND id NOT IN (SELECT value FROM json_each(?3))
                 ORDER BY wake_at LIMIT ?4"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    json_ids(&workflows),
                    now,
                    json_ids(&except),
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(super) async fn next_wake(&self, workflows: Vec<u64>) -> Result<Option<i64>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT MIN(wake_at) FROM enrollments
                     WHERE workflow IN (SELECT value FROM json_each(?1))
                         AND state IN ('active', 'waiting')",
                )?
                .query_row([json_ids(&workflows)], |r| r.get(0))?)
        })
        .await
    }

    pub(super) async fn enrollment(&self, id: i64) -> Result<Option<Enrollment>, StoreError> {
        self.read(move |conn| {
            let sql = format!("SELECT {COLUMNS} FROM enrollments WHERE id = ?1");
            Ok(conn.prepare_cached(&sql)?.query_row([id], row).optional()?)
        })
        .await
    }

    pub(super) async fn enrollment_history(
        &self,
        id: i64,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT step, at, kind, status, latency_ms, detail FROM enrollment_history
                 WHERE enrollment = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([id], |r| {
                Ok(HistoryEntry {
                    step: r.get(0)?,
                    at: r.get(1)?,
                    kind: r.get(2)?,
                    status: r.get(3)?,
                    latency_ms: r.get(4)?,
                    detail: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(super) async fn change_steps(
        &self,
        changes: Vec<StepChange>,
    ) -> Result<Vec<bool>, StoreError> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let applied = changes
                .iter()
                .map(|change| apply(&tx, change))
                .collect::<rusqlite::Result<Vec<bool>>>()?;
            tx.commit()?;
            Ok(applied)
        })
        .await
    }
}

/// Applies one change, if its enrollment is still where it was decided from.
fn apply(tx: &rusqlite::Connection, change: &StepChange) -> rusqlite::Result<bool> {
    // A wait counts completions the enrollment follower has not decided yet: those it has were
    // stored before the wait began. Read in this transaction, which the follower's cannot
    // interleave with, so none is counted twice or missed.
    let changed = tx
        .prepare_cached(
            "UPDATE enrollments SET step = ?1, attempts = ?2, state = ?3, wake_at = ?4,
                 step_started_at = ?5, last_wait = ?6, finished_at = ?7,
                 wait_after_seq = CASE WHEN ?8 THEN
                     (SELECT value FROM counters WHERE name = 'enrolled_through')
                     ELSE NULL END
             WHERE id = ?9 AND step = ?10 AND attempts = ?11 AND state = ?12",
        )?
        .execute(params![
            change.step,
            change.attempts,
            change.state,
            change.wake_at,
            change.step_started_at,
            change.last_wait,
            change.finished_at,
            change.begins_wait,
            change.id,
            change.from_step,
            change.from_attempts,
            change.from_state,
        ])?;
    if changed == 0 {
        return Ok(false);
    }
    for entry in &change.history {
        log(tx, change.id, entry)?;
    }
    Ok(true)
}
