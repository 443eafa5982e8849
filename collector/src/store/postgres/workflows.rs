//! Workflows and their enrollments on PostgreSQL: SQLite's rules (`store/sqlite/workflows.rs`,
//! `enrollments.rs`, `enrollment_steps.rs`, and `reads.rs`'s `events_since`). Workflow
//! definitions are kept in every collector's memory and reloaded on the `workflows`
//! notification; enrollments are read from the database every time. Only the collector that
//! leads ([`super::leader`]) runs the follower and the runner that call the writing methods.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_postgres::Row;

use super::{notify, PgStore};
use crate::model::PrimaryObject;
use crate::store::sqlite::enrollments::CANDIDATE_DAYS;
use crate::store::{
    read_lock, write_lock, Enrollment, EnrollmentBatch, HistoryEntry, Resume, SeqEvent, StepChange,
    StoreError, StoredEvent,
};
use crate::workflows::Workflow;

/// Every workflow, by id.
pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<BTreeMap<u64, Arc<Workflow>>, StoreError> {
    let mut out = BTreeMap::new();
    for row in client
        .query("SELECT id, body::text FROM workflows", &[])
        .await?
    {
        let id: i64 = row.get(0);
        let mut workflow: Workflow = serde_json::from_str(row.get(1)).map_err(|e| {
            StoreError::Internal(format!("workflow {id} is stored unreadable: {e}"))
        })?;
        workflow.id = u64::try_from(id).unwrap_or(0);
        out.insert(workflow.id, Arc::new(workflow));
    }
    Ok(out)
}

/// The columns [`enrollment`] reads, in its order.
const COLUMNS: &str = "id, workflow, contact, event_seq, event_name, step, state, \
    created_at, attempts, wake_at, step_started_at, last_wait, finished_at";

/// An enrollment from a row of [`COLUMNS`].
fn enrollment(r: &Row) -> Enrollment {
    Enrollment {
        id: r.get(0),
        workflow: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
        contact: r.get(2),
        event_seq: r.get(3),
        event_name: r.get(4),
        step: i64::from(r.get::<_, i32>(5)),
        state: r.get(6),
        created_at: r.get(7),
        attempts: i64::from(r.get::<_, i32>(8)),
        wake_at: r.get(9),
        step_started_at: r.get(10),
        last_wait: r.get(11),
        finished_at: r.get(12),
    }
}

fn id_of(workflow: u64) -> i64 {
    i64::try_from(workflow).unwrap_or(i64::MAX)
}

fn ids_of(workflows: &[u64]) -> Vec<i64> {
    workflows.iter().map(|w| id_of(*w)).collect()
}

/// Adds a line to enrollment `id`'s history.
async fn log(
    tx: &deadpool_postgres::Transaction<'_>,
    id: i64,
    entry: &HistoryEntry,
) -> Result<(), StoreError> {
    let step = i32::try_from(entry.step).unwrap_or(i32::MAX);
    let status = entry.status.map(i32::from);
    tx.execute(
        "INSERT INTO enrollment_history (enrollment, step, at, kind, status, latency_ms, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &id,
            &step,
            &entry.at,
            &entry.kind,
            &status,
            &entry.latency_ms,
            &entry.detail,
        ],
    )
    .await?;
    Ok(())
}

impl PgStore {
    /// Every workflow, from memory.
    pub(super) fn workflows(&self) -> Vec<Arc<Workflow>> {
        read_lock(&self.caches.workflows)
            .values()
            .cloned()
            .collect()
    }

    /// The workflow `id`, from memory.
    pub(super) fn workflow(&self, id: u64) -> Option<Arc<Workflow>> {
        read_lock(&self.caches.workflows).get(&id).cloned()
    }

    /// Stores `workflow`: a new one when its id is 0 (the id assigned by the database), else
    /// a replacement, `NotFound` when there is no workflow with that id.
    pub(super) async fn save_workflow(
        &self,
        mut workflow: Workflow,
    ) -> Result<Arc<Workflow>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if workflow.id == 0 {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO workflows (body) VALUES ('{}') RETURNING id",
                    &[],
                )
                .await?
                .get(0);
            workflow.id = u64::try_from(id).unwrap_or(0);
        }
        let body = serde_json::to_string(&workflow)
            .map_err(|e| StoreError::Internal(format!("encode: {e}")))?;
        let changed = tx
            .execute(
                "UPDATE workflows SET body = $1::text::jsonb WHERE id = $2",
                &[&body, &id_of(workflow.id)],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!(
                "no workflow {} exists",
                workflow.id
            )));
        }
        notify(&tx, "workflows").await?;
        tx.commit().await?;
        let saved = Arc::new(workflow);
        write_lock(&self.caches.workflows).insert(saved.id, saved.clone());
        Ok(saved)
    }

    /// Deletes the workflow `id` (`NotFound` when there is none).
    pub(super) async fn delete_workflow(&self, id: u64) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let gone = tx
            .execute("DELETE FROM workflows WHERE id = $1", &[&id_of(id)])
            .await?;
        if gone == 0 {
            return Err(StoreError::NotFound(format!("no workflow {id} exists")));
        }
        notify(&tx, "workflows").await?;
        tx.commit().await?;
        write_lock(&self.caches.workflows).remove(&id);
        Ok(())
    }

    /// Where the enrollment follower is: the `seq` of the last completion it decided.
    pub(super) async fn enrollment_cursor(&self) -> Result<i64, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(
                "SELECT value FROM counters WHERE name = 'enrolled_through'",
                &[],
            )
            .await?
            .map_or(0, |r| r.get(0)))
    }

    /// Applies a follower's decisions and moves its cursor, in one transaction.
    pub(super) async fn enroll(&self, batch: EnrollmentBatch) -> Result<u64, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let made = apply(&tx, &batch).await?;
        tx.commit().await?;
        Ok(made)
    }

    /// From now on, completions whose id starts with `prefix` enroll nobody.
    pub(super) async fn opt_out_of_enrollment(&self, prefix: String) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO enrollment_opt_outs (prefix) VALUES ($1) ON CONFLICT DO NOTHING",
                &[&prefix],
            )
            .await?;
        Ok(())
    }

    /// Every prefix opted out of enrollment.
    pub(super) async fn enrollment_opt_outs(&self) -> Result<Vec<String>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query("SELECT prefix FROM enrollment_opt_outs", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// A workflow's enrollments, newest first.
    pub(super) async fn enrollments(
        &self,
        workflow: u64,
        limit: usize,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let client = self.pool.get().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM enrollments WHERE workflow = $1 ORDER BY id DESC LIMIT $2"
                ),
                &[&id_of(workflow), &limit],
            )
            .await?
            .iter()
            .map(enrollment)
            .collect())
    }

    /// Completions stored after `after`, oldest first, their contact resolved through their
    /// visitor when anonymous. `seq` order is commit order (`ingest_group.rs`), so a follower
    /// reading after its cursor never skips a completion committed late.
    pub(super) async fn events_since(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<SeqEvent>, StoreError> {
        let client = self.pool.get().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                "SELECT e.seq, e.id, e.name, e.occurred_at, e.object_type,
                        COALESCE(e.object_id, (SELECT v.contact_id FROM visitors v
                                               WHERE v.vid = e.vid AND e.object_type = 'CONTACT')),
                        e.props::text, e.defaults::text, e.vid
                 FROM events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2",
                &[&after, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let object_type: String = r.get(4);
                SeqEvent {
                    seq: r.get(0),
                    event: StoredEvent {
                        id: r.get(1),
                        name: r.get(2),
                        occurred_at: r.get(3),
                        object_type: PrimaryObject::parse(&object_type)
                            .unwrap_or(PrimaryObject::Contact),
                        object_id: r.get(5),
                        props: r.get(6),
                        defaults: r.get(7),
                    },
                    vid: r.get(8),
                }
            })
            .collect())
    }

    /// Enrollments of `workflows` due by `now`, soonest first, leaving out `except`.
    pub(super) async fn due_enrollments(
        &self,
        workflows: Vec<u64>,
        now: i64,
        except: Vec<i64>,
        limit: usize,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let client = self.pool.get().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM enrollments
                     WHERE workflow = ANY($1) AND state IN ('active', 'waiting')
                         AND wake_at <= $2 AND NOT (id = ANY($3))
                     ORDER BY wake_at LIMIT $4"
                ),
                &[&ids_of(&workflows), &now, &except, &limit],
            )
            .await?
            .iter()
            .map(enrollment)
            .collect())
    }

    /// The soonest wake time of `workflows`' scheduled enrollments.
    pub(super) async fn next_wake(&self, workflows: Vec<u64>) -> Result<Option<i64>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one(
                "SELECT min(wake_at) FROM enrollments
                 WHERE workflow = ANY($1) AND state IN ('active', 'waiting')",
                &[&ids_of(&workflows)],
            )
            .await?
            .get(0))
    }

    /// One enrollment.
    pub(super) async fn enrollment(&self, id: i64) -> Result<Option<Enrollment>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM enrollments WHERE id = $1"),
                &[&id],
            )
            .await?
            .as_ref()
            .map(enrollment))
    }

    /// An enrollment's history, oldest first.
    pub(super) async fn enrollment_history(
        &self,
        id: i64,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query(
                "SELECT step, at, kind, status, latency_ms, detail FROM enrollment_history
                 WHERE enrollment = $1 ORDER BY id",
                &[&id],
            )
            .await?
            .iter()
            .map(|r| HistoryEntry {
                step: i64::from(r.get::<_, i32>(0)),
                at: r.get(1),
                kind: r.get(2),
                status: r
                    .get::<_, Option<i32>>(3)
                    .and_then(|s| u16::try_from(s).ok()),
                latency_ms: r.get(4),
                detail: r.get(5),
            })
            .collect())
    }

    /// Applies steps' outcomes in one transaction; `false` for an enrollment that moved
    /// meanwhile (compared with the place the change was decided from).
    pub(super) async fn change_steps(
        &self,
        changes: Vec<StepChange>,
    ) -> Result<Vec<bool>, StoreError> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut applied = Vec::with_capacity(changes.len());
        for change in &changes {
            let step = i32::try_from(change.step).unwrap_or(i32::MAX);
            let attempts = i32::try_from(change.attempts).unwrap_or(i32::MAX);
            let from_step = i32::try_from(change.from_step).unwrap_or(i32::MAX);
            let from_attempts = i32::try_from(change.from_attempts).unwrap_or(i32::MAX);
            let changed = tx
                .execute(
                    "UPDATE enrollments SET step = $1, attempts = $2, state = $3, wake_at = $4,
                         step_started_at = $5, last_wait = $6, finished_at = $7,
                         wait_after_seq = CASE WHEN $8 THEN
                             (SELECT value FROM counters WHERE name = 'enrolled_through')
                             ELSE NULL END
                     WHERE id = $9 AND step = $10 AND attempts = $11 AND state = $12",
                    &[
                        &step,
                        &attempts,
                        &change.state,
                        &change.wake_at,
                        &change.step_started_at,
                        &change.last_wait,
                        &change.finished_at,
                        &change.begins_wait,
                        &change.id,
                        &from_step,
                        &from_attempts,
                        &change.from_state,
                    ],
                )
                .await?;
            if changed > 0 {
                for entry in &change.history {
                    log(&tx, change.id, entry).await?;
                }
            }
            applied.push(changed > 0);
        }
        tx.commit().await?;
        Ok(applied)
    }
}

/// The batch's enrollments (its own, then those of visitors now identified), its remembered
/// completions, the waits it ends, and the cursor (SQLite's `enrollments::apply`).
async fn apply(
    tx: &deadpool_postgres::Transaction<'_>,
    batch: &EnrollmentBatch,
) -> Result<u64, StoreError> {
    // Two collectors may both believe they lead for a moment (the database releases the
    // lock before the old leader notices its connection is gone): the cursor's row, locked
    // here to the commit, says what was decided already, and that is not decided again.
    let decided: i64 = tx
        .query_opt(
            "SELECT value FROM counters WHERE name = 'enrolled_through' FOR UPDATE",
            &[],
        )
        .await?
        .map_or(0, |r| r.get(0));
    let mut made = 0;
    for (workflow, contact, seq, name) in batch.enroll.iter().filter(|e| e.2 > decided) {
        made += enroll_one(tx, batch, *workflow, *contact, *seq, name).await?;
    }
    let identified: &[(String, i64)] = if batch.through > decided {
        &batch.identified
    } else {
        &[]
    };
    for (vid, contact) in identified {
        let waiting = tx
            .query(
                "DELETE FROM enrollment_candidates WHERE vid = $1
                 RETURNING workflow, event_seq, event_name",
                &[vid],
            )
            .await?;
        for row in waiting {
            let workflow = u64::try_from(row.get::<_, i64>(0)).unwrap_or(0);
            let name: String = row.get(2);
            made += enroll_one(tx, batch, workflow, *contact, row.get(1), &name).await?;
        }
    }
    for (workflow, vid, seq, name) in batch.remember.iter().filter(|r| r.2 > decided) {
        tx.execute(
            "INSERT INTO enrollment_candidates (workflow, vid, event_seq, event_name, remembered_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&id_of(*workflow), vid, seq, name, &batch.now],
        )
        .await?;
    }
    // Most anonymous visitors are never identified: what they did is not kept for ever.
    tx.execute(
        "DELETE FROM enrollment_candidates WHERE remembered_at < $1",
        &[&batch.now.saturating_sub(CANDIDATE_DAYS * 86_400_000)],
    )
    .await?;
    for r in batch.resume.iter().filter(|r| r.seq > decided) {
        made += resume(tx, r, batch.now).await?;
    }
    tx.execute(
        "UPDATE counters SET value = greatest(value, $1) WHERE name = 'enrolled_through'",
        &[&batch.through],
    )
    .await?;
    Ok(made)
}

/// Enrolls `contact` in `workflow`, unless it was enrolled before and the workflow does not
/// enroll again; returns 1 when it did.
async fn enroll_one(
    tx: &deadpool_postgres::Transaction<'_>,
    batch: &EnrollmentBatch,
    workflow: u64,
    contact: i64,
    seq: i64,
    name: &str,
) -> Result<u64, StoreError> {
    let w = id_of(workflow);
    if !batch.reenroll.contains(&workflow)
        && tx
            .query_opt(
                "SELECT 1 FROM enrollments WHERE workflow = $1 AND contact = $2 LIMIT 1",
                &[&w, &contact],
            )
            .await?
            .is_some()
    {
        return Ok(0);
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO enrollments (workflow, contact, event_seq, event_name, state, wake_at, created_at)
             VALUES ($1, $2, $3, $4, 'active', $5, $5) RETURNING id",
            &[&w, &contact, &seq, &name, &batch.now],
        )
        .await?
        .get(0);
    let entry = HistoryEntry::enrolled(batch.now, name);
    log(tx, id, &entry).await?;
    Ok(1)
}

/// Ends the waits `r` ends: its contact's enrollments in its workflow waiting at its step
/// since before it was stored go on to the next step, told that the event happened.
async fn resume(
    tx: &deadpool_postgres::Transaction<'_>,
    r: &Resume,
    now: i64,
) -> Result<u64, StoreError> {
    let last_wait = r.last_wait(now);
    let step = i32::try_from(r.step).unwrap_or(i32::MAX);
    let ids: Vec<i64> = tx
        .query(
            "UPDATE enrollments SET step = step + 1, state = 'active', attempts = 0,
                 step_started_at = NULL, wait_after_seq = NULL, wake_at = $1, last_wait = $2
             WHERE workflow = $3 AND contact = $4 AND step = $5 AND state = 'waiting'
                 AND wait_after_seq < $6
             RETURNING id",
            &[
                &now,
                &last_wait,
                &id_of(r.workflow),
                &r.contact,
                &step,
                &r.seq,
            ],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for id in &ids {
        let entry = HistoryEntry::resumed(r, now);
        log(tx, *id, &entry).await?;
    }
    Ok(ids.len() as u64)
}
