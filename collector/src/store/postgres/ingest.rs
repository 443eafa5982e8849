//! Storing completions on PostgreSQL, batched as SQLite's writer batches them
//! (`store/sqlite/writer.rs`): requests queue on a bounded channel to one writer task per
//! collector, which takes every request waiting when it is free and writes them in one
//! transaction (a group commit: multi-row statements, not one per event), and answers each
//! request only after that commit. So an answered request is committed, and a collector
//! killed mid-load loses nothing it answered. A full queue is answered
//! [`StoreError::Busy`] at once (503), never growing memory.
//!
//! What one transaction writes, and the order that makes `seq` order commit order across
//! collectors, is in [`super::ingest_group`].
//!
//! When a group fails:
//! * the database is out of reach (or the commit's outcome is unknown): every request of it
//!   is answered `Busy`, which the tracker retries; ids make the retry idempotent;
//! * a deadlock or serialization failure: the group is written again, a few times;
//! * anything else (a request the database refuses, such as a NUL character in a property):
//!   the requests are written again apart, each in its own transaction, so that one bad
//!   request fails alone (as SQLite's `write_apart`).

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use super::partitions::Partitions;
use super::{ingest_group, Caches, PgStore};
use crate::store::sqlite::WRITE_QUEUE_JOBS;
use crate::store::{Ingest, IngestOutcome, Retention, StoreError};
use crate::timestamp::now_ms;

/// Most completions committed in one transaction (as SQLite's writer).
const MAX_GROUP_EVENTS: usize = 20_000;

/// How many times a group that met a deadlock is written again before it is answered `Busy`.
const RETRIES: usize = 3;

type Reply = oneshot::Sender<Result<IngestOutcome, StoreError>>;

/// A unit of work for the writer task.
enum Job {
    Ingest(Ingest, Reply),
    /// Stop after every job queued before this one; the reply says it is done.
    Shutdown(oneshot::Sender<()>),
}

/// Why writing failed, which decides what is done next (see the module's doc).
#[derive(Debug)]
pub(super) enum Failure {
    /// A deadlock or serialization failure: the same write may well succeed at once.
    Retry,
    /// The database is out of reach (`Busy`) or the store is closing (`Closed`).
    Store(StoreError),
    /// What was written cannot be stored (refused data, or a bug).
    Request(String),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(err: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        if matches!(
            err.code(),
            Some(&SqlState::T_R_DEADLOCK_DETECTED | &SqlState::T_R_SERIALIZATION_FAILURE)
        ) {
            return Failure::Retry;
        }
        match StoreError::from(err) {
            StoreError::Internal(message) => Failure::Request(message),
            other => Failure::Store(other),
        }
    }
}

impl From<deadpool_postgres::PoolError> for Failure {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        match StoreError::from(err) {
            StoreError::Internal(message) => Failure::Request(message),
            other => Failure::Store(other),
        }
    }
}

impl Failure {
    /// The answer a request gets.
    fn answer(&self) -> StoreError {
        match self {
            Failure::Retry => StoreError::Busy,
            Failure::Store(StoreError::Closed) => StoreError::Closed,
            Failure::Store(_) => StoreError::Busy,
            Failure::Request(message) => StoreError::Internal(message.clone()),
        }
    }
}

/// The writer task and its queue.
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    /// Starts the writer; `partitions` are the months ensured at open.
    pub(super) fn start(
        pool: Pool,
        caches: Arc<Caches>,
        retention: Retention,
        partitions: Partitions,
    ) -> Writer {
        let (jobs, rx) = mpsc::channel(WRITE_QUEUE_JOBS);
        let task = tokio::spawn(run(
            Context {
                pool,
                caches,
                retention,
                partitions,
            },
            rx,
        ));
        Writer { jobs, task }
    }

    /// Stops the writer at once: a transaction in progress is rolled back and its requests,
    /// like those queued, are answered `Closed` (never stored unanswered as stored).
    pub(super) fn abort(&self) {
        self.task.abort();
    }
}

/// What the writer reads besides its jobs.
struct Context {
    pool: Pool,
    caches: Arc<Caches>,
    retention: Retention,
    partitions: Partitions,
}

async fn run(mut context: Context, mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.recv().await {
        let (ingest, reply) = match job {
            Job::Ingest(ingest, reply) => (ingest, reply),
            Job::Shutdown(done) => {
                rx.close();
                while let Ok(job) = rx.try_recv() {
                    if let Job::Ingest(_, reply) = job {
                        let _ = reply.send(Err(StoreError::Closed));
                    }
                }
                let _ = done.send(());
                return;
            }
        };
        let mut events = ingest.events.len();
        let mut group = vec![(ingest, reply)];
        let mut shutdown = None;
        // What queued up while the last commit ran goes into this one: under load, groups
        // grow by themselves, and a lone request is never kept waiting.
        while events < MAX_GROUP_EVENTS {
            match rx.try_recv() {
                Ok(Job::Ingest(ingest, reply)) => {
                    events += ingest.events.len();
                    group.push((ingest, reply));
                }
                Ok(Job::Shutdown(done)) => {
                    shutdown = Some(done);
                    break;
                }
                Err(_) => break,
            }
        }
        write_group(&mut context, group).await;
        if let Some(done) = shutdown {
            rx.close();
            while let Ok(Job::Ingest(_, reply)) = rx.try_recv() {
                let _ = reply.send(Err(StoreError::Closed));
            }
            let _ = done.send(());
            return;
        }
    }
}

/// Writes a group in one transaction and answers every request after the commit (see the
/// module's doc for failures).
async fn write_group(context: &mut Context, group: Vec<(Ingest, Reply)>) {
    let occurred: Vec<i64> = group
        .iter()
        .flat_map(|(ingest, _)| ingest.events.iter().map(|e| e.occurred_at))
        .collect();
    context
        .partitions
        .for_batch(&context.pool, now_ms(), &occurred)
        .await;
    let ingests: Vec<&Ingest> = group.iter().map(|(ingest, _)| ingest).collect();
    match write_retrying(context, &ingests).await {
        Ok(outcomes) => {
            for ((_, reply), outcome) in group.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(Failure::Request(_)) if group.len() > 1 => {
            for (ingest, reply) in group {
                let outcome = write_retrying(context, &[&ingest]).await;
                let _ = reply.send(match outcome {
                    Ok(mut outcomes) => Ok(outcomes.pop().unwrap_or_default()),
                    Err(failure) => {
                        log(&failure);
                        Err(failure.answer())
                    }
                });
            }
        }
        Err(failure) => {
            log(&failure);
            for (_, reply) in group {
                let _ = reply.send(Err(failure.answer()));
            }
        }
    }
}

/// Logs a request refused by the database (its answer, 500, says nothing of why); the
/// database out of reach is logged where it is met.
fn log(failure: &Failure) {
    if let Failure::Request(message) = failure {
        tracing::error!(error = %message, "a request could not be stored");
    }
}

/// Writes `ingests` in one transaction, again after a deadlock; after the commit, raises the
/// newest committed `seq` this collector's followers wait on.
async fn write_retrying(
    context: &Context,
    ingests: &[&Ingest],
) -> Result<Vec<IngestOutcome>, Failure> {
    let mut tries = 0;
    loop {
        match write_together(context, ingests).await {
            Ok((outcomes, newest)) => {
                if let Some(seq) = newest {
                    context.caches.committed(seq);
                }
                return Ok(outcomes);
            }
            Err(Failure::Retry) if tries < RETRIES => tries += 1,
            Err(failure) => return Err(failure),
        }
    }
}

/// One transaction: the outcomes, and the newest `seq` stored, if any.
async fn write_together(
    context: &Context,
    ingests: &[&Ingest],
) -> Result<(Vec<IngestOutcome>, Option<i64>), Failure> {
    let mut client = context.pool.get().await?;
    let tx = client.transaction().await?;
    let written = ingest_group::write(&tx, ingests, &context.retention).await?;
    tx.commit().await?;
    Ok(written)
}

impl PgStore {
    /// Stores a request's completions, refusals, held events and counts in the transaction of
    /// its group; answered once committed. `Busy` when the queue is full or the database is
    /// out of reach.
    pub async fn ingest(&self, mut ingest: Ingest) -> Result<IngestOutcome, StoreError> {
        super::nul::scrub(&mut ingest);
        let (reply, answer) = oneshot::channel();
        match self.writer.jobs.try_send(Job::Ingest(ingest, reply)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => return Err(StoreError::Busy),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(StoreError::Closed),
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Writes every request queued so far, then stops the writer (later requests are
    /// answered `Closed`).
    pub(super) async fn finish_writes(&self) {
        let (done, finished) = oneshot::channel();
        if self.writer.jobs.send(Job::Shutdown(done)).await.is_ok() {
            let _ = finished.await;
        }
    }
}
