//! The one thread that writes. SQLite allows one writer at a time, so rather than have request
//! tasks contend for the lock, every write is a [`Job`] on a bounded channel to this thread.
//!
//! Ingest jobs waiting in the queue are committed together in one transaction (group commit),
//! in which one failing request cannot undo another (see [`write_group`]), and every request
//! of the group is answered only after the commit. SQLite's cost is largely per commit, so
//! under load, when requests queue up while a commit runs, the groups grow and more is stored
//! per second; a lone request is committed at once (waiting for company measured slower: the
//! load generator's connections each wait for their answer). Between groups the writer merges
//! event ids into their table (see [`super::event_ids`]). The channel is bounded: when it is
//! full the request is answered 503 at once instead of growing memory.

use std::sync::mpsc::{Receiver, TryRecvError};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::oneshot;

use super::checkpoint::Checkpointer;
use super::event_ids::EventIds;
use super::values::Enumerations;
use super::{activity, crm, held, hours, quality};
use crate::model::PrimaryObject;
use crate::store::{Ingest, IngestOutcome, NewEvent, Retention, StoreError, Subject};

/// Most completions committed in one transaction; bounds how long one commit holds the lock.
const MAX_GROUP_EVENTS: usize = 20_000;

/// Work on the writer's connection; work that deletes events also updates their ids.
pub(super) type AdminWork = Box<dyn FnOnce(&mut Connection, &mut EventIds) + Send>;

/// What the writer reads besides its jobs, and what it tells.
pub(super) struct Context {
    /// How long refused and held events are kept.
    pub retention: Retention,
    /// The events' enumeration properties, whose options are counted per hour.
    pub enumerations: Enumerations,
    /// The `seq` of the newest committed event, sent after each commit that stored some.
    pub commits: tokio::sync::watch::Sender<i64>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            retention: Retention::default(),
            enumerations: Enumerations::default(),
            commits: tokio::sync::watch::Sender::new(0),
        }
    }
}

/// A unit of work for the writer thread.
pub(super) enum Job {
    /// Store completions and rejections; the reply tells how many were new.
    Ingest(Ingest, oneshot::Sender<Result<IngestOutcome, StoreError>>),
    /// Anything else (definitions, sites): runs alone, owns its transaction and its reply.
    Admin(AdminWork),
    /// Stop after every job queued before this one; the reply says it is done.
    Shutdown(oneshot::Sender<()>),
}

/// Runs jobs until the channel closes or a shutdown job arrives.
pub(super) fn run(
    mut conn: Connection,
    mut ids: EventIds,
    checkpoints: Checkpointer,
    rx: Receiver<Job>,
    context: Context,
) {
    let mut pending: Option<Job> = None;
    let mut last_group = 0;
    // After a failed background step, the next is tried after the next job, not at once.
    let mut background_ok = true;
    loop {
        let job = match pending.take() {
            Some(job) => job,
            // Merging ids and building their filter run between jobs, never ahead of one.
            None if background_ok && ids.background_due() => match rx.try_recv() {
                Ok(job) => job,
                Err(TryRecvError::Empty) => {
                    background_ok = background_step(&mut conn, &mut ids, last_group);
                    checkpoints.committed();
                    continue;
                }
                Err(TryRecvError::Disconnected) => return,
            },
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        background_ok = true;
        match job {
            Job::Admin(work) => work(&mut conn, &mut ids),
            Job::Shutdown(done) => {
                drop(rx);
                drop(checkpoints);
                drop(conn);
                let _ = done.send(());
                return;
            }
            Job::Ingest(ingest, reply) => {
                let mut events = ingest.events.len();
                let mut group = vec![(ingest, reply)];
                // What queued up while the last commit ran goes into this one: under load,
                // groups grow by themselves, and a lone request is never kept waiting.
                while events < MAX_GROUP_EVENTS {
                    match rx.try_recv() {
                        Ok(Job::Ingest(ingest, reply)) => {
                            events += ingest.events.len();
                            group.push((ingest, reply));
                        }
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                write_group(&mut conn, &mut ids, group, &context);
                last_group = events;
                if ids.background_due() {
                    background_ok = background_step(&mut conn, &mut ids, last_group);
                }
                checkpoints.committed();
            }
        }
    }
}

/// One step of merging ids or building their filter; false when it failed (the ids stay in
/// memory, and the step is tried again after the next job).
fn background_step(conn: &mut Connection, ids: &mut EventIds, group: usize) -> bool {
    match ids.background_step(conn, group) {
        Ok(()) => true,
        Err(err) => {
            tracing::error!(error = %err, "merging event ids or building their filter failed");
            false
        }
    }
}

type Reply = oneshot::Sender<Result<IngestOutcome, StoreError>>;

/// Stores a group of requests in one transaction and answers every request only after the
/// commit: with its outcome, or all with an error when the commit fails (then none of the
/// group is stored, and no id of it is remembered).
///
/// The group is first written as one plain transaction. Only when a request fails (which
/// valid input does not make happen) is it written again with a savepoint per request, so
/// that the failing one stores nothing and the others are stored: savepoints on every group
/// cost SQLite a copy of each page a request touches.
pub(super) fn write_group(
    conn: &mut Connection,
    ids: &mut EventIds,
    group: Vec<(Ingest, Reply)>,
    context: &Context,
) {
    let outcomes = match write_together(conn, ids, &group, context) {
        Together::Committed(outcomes) => Ok(outcomes.into_iter().map(Ok).collect()),
        Together::CommitFailed(err) => Err(err),
        Together::RequestFailed => write_apart(conn, ids, &group, context),
    };
    match outcomes {
        Ok(outcomes) => {
            let stored = outcomes
                .iter()
                .any(|o| o.as_ref().is_ok_and(|o| o.stored > 0));
            if stored {
                // Whoever follows the stored events (the workflows' enrollment) learns how far
                // they go, after the commit: never before the events can be read.
                if let Ok(seq) = conn.query_row("SELECT MAX(seq) FROM events", [], |r| {
                    r.get::<_, Option<i64>>(0)
                }) {
                    context.commits.send_replace(seq.unwrap_or(0));
                }
            }
            for ((_, reply), outcome) in group.into_iter().zip(outcomes) {
                let _ = reply.send(outcome.map_err(StoreError::Internal));
            }
        }
        Err(err) => {
            for (_, reply) in group {
                let _ = reply.send(Err(StoreError::Internal(format!("sqlite commit: {err}"))));
            }
        }
    }
}

/// How writing a group as one plain transaction went; unless committed, nothing is stored
/// and no id of the group is remembered.
enum Together {
    Committed(Vec<IngestOutcome>),
    /// A request failed before the commit.
    RequestFailed,
    /// The commit failed.
    CommitFailed(String),
}

fn write_together(
    conn: &mut Connection,
    ids: &mut EventIds,
    group: &[(Ingest, Reply)],
    context: &Context,
) -> Together {
    // Per request, the events inserted (not duplicates): their ids were added to `ids`.
    let mut inserted: Vec<Vec<usize>> = Vec::with_capacity(group.len());
    let mut commit_failed = None;
    let result = (|| -> rusqlite::Result<Vec<IngestOutcome>> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(group.len());
        for (ingest, _) in group {
            let mut new = Vec::with_capacity(ingest.events.len());
            let outcome = ingest_one(&tx, ids, ingest, &mut new, context);
            inserted.push(new);
            outcomes.push(outcome?);
        }
        if let Err(err) = tx.commit() {
            commit_failed = Some(err.to_string());
        }
        Ok(outcomes)
    })();
    match (result, commit_failed) {
        (Ok(outcomes), None) => Together::Committed(outcomes),
        (result, commit_failed) => {
            forget(ids, group, &inserted);
            match (result, commit_failed) {
                (_, Some(err)) => Together::CommitFailed(err),
                _ => Together::RequestFailed,
            }
        }
    }
}

/// Writes the group again, each request in its own savepoint (see [`write_group`]).
fn write_apart(
    conn: &mut Connection,
    ids: &mut EventIds,
    group: &[(Ingest, Reply)],
    context: &Context,
) -> Result<Vec<Result<IngestOutcome, String>>, String> {
    let mut inserted: Vec<Vec<usize>> = Vec::with_capacity(group.len());
    let outcomes = (|| -> rusqlite::Result<Vec<Result<IngestOutcome, String>>> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(group.len());
        for (ingest, _) in group {
            tx.execute_batch("SAVEPOINT job")?;
            let mut new = Vec::with_capacity(ingest.events.len());
            let outcome = ingest_one(&tx, ids, ingest, &mut new, context);
            if outcome.is_err() {
                for &i in &new {
                    ids.remove(&ingest.events[i].dedupe_id());
                }
                new.clear();
            }
            inserted.push(new);
            match outcome {
                Ok(outcome) => {
                    tx.execute_batch("RELEASE job")?;
                    outcomes.push(Ok(outcome));
                }
                Err(err) => {
                    tx.execute_batch("ROLLBACK TO job; RELEASE job")?;
                    outcomes.push(Err(format!("sqlite: {err}")));
                }
            }
        }
        tx.commit()?;
        Ok(outcomes)
    })();
    outcomes.map_err(|err| {
        forget(ids, group, &inserted);
        err.to_string()
    })
}

/// Forgets the ids of a group's events whose inserts were rolled back.
fn forget(ids: &mut EventIds, group: &[(Ingest, Reply)], inserted: &[Vec<usize>]) {
    for ((ingest, _), new) in group.iter().zip(inserted) {
        for &i in new {
            ids.remove(&ingest.events[i].dedupe_id());
        }
    }
}

const INSERT_EVENT: &str = "INSERT INTO events
    (id, name, occurred_at, received_at, object_type, object_id, vid, sid, site, props, defaults)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

const INSERT_REJECTED: &str =
    "INSERT INTO rejected (event_id, name, site, reason, body, received_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_id) DO NOTHING";

/// Stores one request's events; `new` receives the indexes of those inserted (not
/// duplicates), whose ids are then in `ids`.
fn ingest_one(
    tx: &Connection,
    ids: &mut EventIds,
    ingest: &Ingest,
    new: &mut Vec<usize>,
    context: &Context,
) -> rusqlite::Result<IngestOutcome> {
    let mut outcome = IngestOutcome::default();
    crm::update(tx, &ingest.contacts)?;
    let mut insert = tx.prepare_cached(INSERT_EVENT)?;
    let mut stored = Vec::with_capacity(ingest.events.len());
    for (i, event) in ingest.events.iter().enumerate() {
        let dedupe_id = event.dedupe_id();
        if ids.contains(tx, &dedupe_id)? {
            outcome.duplicates += 1;
            continue;
        }
        let object_id = resolve_subject(tx, event)?;
        if let (PrimaryObject::Contact, Some(contact), Some(vid)) =
            (event.object_type, object_id, &event.vid)
        {
            link_visitor(tx, vid, contact, event.received_at)?;
        }
        insert.execute(params![
            event.id,
            event.name,
            event.occurred_at,
            event.received_at,
            event.object_type.as_str(),
            object_id,
            event.vid,
            event.sid,
            event.site.as_deref(),
            event.props,
            event.defaults.as_deref(),
        ])?;
        ids.insert(&dedupe_id);
        new.push(i);
        stored.push((i, object_id));
        outcome.stored += 1;
    }
    if let Some(first) = ingest.rejected.first() {
        let mut reject = tx.prepare_cached(INSERT_REJECTED)?;
        for r in &ingest.rejected {
            reject.execute(params![
                r.event_id,
                r.name,
                r.site,
                r.reason,
                r.body,
                r.received_at
            ])?;
        }
        held::bound(
            tx,
            "rejected",
            context.retention.rejected_ms,
            context.retention.rejected_rows,
            first.received_at,
        )?;
    }
    if let Some(first) = ingest.held.first() {
        held::hold(tx, &ingest.held, &context.retention, first.received_at)?;
    }
    held::release(tx, &ingest.released)?;
    quality::add(tx, &ingest.quality)?;
    hours::count(tx, ingest, &stored, &context.enumerations)?;
    activity::touch(tx, ingest, &stored)?;
    Ok(outcome)
}

/// The object id an event is stored with; contacts named by email or external id are found
/// or created here, inside the event's transaction.
fn resolve_subject(tx: &Connection, event: &NewEvent) -> rusqlite::Result<Option<i64>> {
    match (&event.subject, event.object_type) {
        (Subject::Anonymous, _) => Ok(None),
        (Subject::ObjectId(id), PrimaryObject::Contact) => {
            tx.prepare_cached(
                "INSERT INTO contacts (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
            )?
            .execute((id, event.received_at))?;
            Ok(Some(*id))
        }
        (Subject::ObjectId(id), _) => Ok(Some(*id)),
        (Subject::Contact { email, external_id }, PrimaryObject::Contact) => contact_for(
            tx,
            email.as_deref(),
            external_id.as_deref(),
            event.received_at,
        )
        .map(Some),
        (Subject::Contact { .. }, _) => Ok(None),
    }
}

/// Finds the contact with this external id or email (the external id wins when they name two
/// different contacts), fills in whichever of the two it lacks, or creates it.
pub(super) fn contact_for(
    tx: &Connection,
    email: Option<&str>,
    external: Option<&str>,
    now: i64,
) -> rusqlite::Result<i64> {
    let by_external = match external {
        Some(x) => tx
            .prepare_cached("SELECT id FROM contacts WHERE external_id = ?1")?
            .query_row([x], |r| r.get(0))
            .optional()?,
        None => None,
    };
    let by_email: Option<i64> = match (by_external, email) {
        (None, Some(e)) => tx
            .prepare_cached("SELECT id FROM contacts WHERE email = ?1")?
            .query_row([e], |r| r.get(0))
            .optional()?,
        _ => None,
    };
    match by_external.or(by_email) {
        Some(id) => {
            if let (Some(e), Some(_)) = (email, by_external) {
                tx.prepare_cached(
                    "UPDATE OR IGNORE contacts SET email = ?1 WHERE id = ?2 AND email IS NULL",
                )?
                .execute((e, id))?;
            }
            if let (Some(x), Some(_)) = (external, by_email) {
                tx.prepare_cached("UPDATE OR IGNORE contacts SET external_id = ?1 WHERE id = ?2 AND external_id IS NULL")?
                    .execute((x, id))?;
            }
            Ok(id)
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO contacts (email, external_id, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute((email, external, now))?;
            Ok(tx.last_insert_rowid())
        }
    }
}

/// Links a visitor to a contact: from now on its anonymous events, earlier ones included,
/// are part of the contact's timeline (resolved when queried).
fn link_visitor(tx: &Connection, vid: &str, contact: i64, now: i64) -> rusqlite::Result<()> {
    let before: Option<i64> = tx
        .prepare_cached("SELECT contact_id FROM visitors WHERE vid = ?1")?
        .query_row([vid], |r| r.get(0))
        .optional()?;
    if before == Some(contact) {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO visitors (vid, contact_id, linked_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (vid) DO UPDATE SET contact_id = excluded.contact_id, linked_at = excluded.linked_at",
    )?
    .execute((vid, contact, now))?;
    activity::relinked(tx, vid, contact, before)
}
