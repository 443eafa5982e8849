//! The runner: the task that runs enrolled contacts' steps when they are due.
//!
//! Everything it knows is stored: an enrollment's step, its webhook's failed attempts, when the
//! step began and when it is next due (`StepChange`). It asks the store for enrollments of the
//! enabled workflows that are due by the [`Clock`], decides each with [`steps::next`], stores
//! delays and waits at once, and sends webhooks on their own tasks. A collector stopped at any
//! moment resumes every enrollment from the store when it starts again: a step whose change
//! was stored is never run again, and the only thing done twice is a webhook attempt whose
//! answer had not been stored yet, which its receiver recognises by its idempotency key.
//!
//! It sleeps until the soonest wake time, at most [`Runner::poll`] (a clock may jump: a test's
//! [`super::ManualClock`], a wall clock set forward), or until woken: by the enrollment
//! follower when contacts enroll or waits end, and by a finished delivery.
//!
//! Steps of a workflow that is switched off wait, and run when it is switched on again; that
//! is also how a workflow paused by a 410 goes on, at the step that was refused.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use super::delivery::{Deliverer, Slot};
use super::signature::{idempotency_key, sign, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};
use super::steps::{self, Next};
use super::{payload, Clock, UrlPolicy, Workflow};
use crate::store::{ContactKey, Enrollment, EventStore, StoreError};

/// Enrollments read per round.
const BATCH: usize = 200;

/// Runs due steps until the store closes.
pub struct Runner {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    deliverer: Arc<Deliverer>,
    wake: Arc<Notify>,
    /// Longest sleep between two looks at the store.
    pub poll: Duration,
}

/// What the runner and its delivery tasks share.
struct Shared {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    deliverer: Arc<Deliverer>,
    wake: Arc<Notify>,
    /// Enrollments whose webhook is being sent.
    sending: Mutex<HashSet<i64>>,
    /// Enrollments due while their receiver had no free slot: left out until a delivery
    /// ends, so they do not hide the ones behind them.
    deferred: Mutex<HashSet<i64>>,
    /// Outcomes of deliveries that ended, to be stored.
    finished: Mutex<Vec<Finished>>,
}

/// A delivery's outcome, waiting to be stored.
struct Finished {
    workflow: u64,
    after: steps::AfterAttempt,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Uniform in `0..1`, for the retry schedule's jitter.
fn jitter() -> f64 {
    let bytes = crate::random::bytes();
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    // 53 random bits, the mantissa's width: exact in f64.
    #[allow(clippy::cast_precision_loss)]
    let unit = (u64::from_le_bytes(word) >> 11) as f64 / (1u64 << 53) as f64;
    unit
}

impl Runner {
    /// A runner over `store`, reading time from `clock`, calling only the receivers `policy`
    /// allows, woken through `wake`.
    pub fn new(
        store: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
        policy: UrlPolicy,
        wake: Arc<Notify>,
    ) -> Self {
        Runner {
            store,
            clock,
            deliverer: Arc::new(Deliverer::new(policy)),
            wake,
            poll: Duration::from_secs(1),
        }
    }

    /// The same, giving up on a webhook attempt after `timeout` (tests of slow receivers).
    #[must_use]
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        let policy = self.deliverer.policy();
        self.deliverer = Arc::new(Deliverer::new(policy).with_timeout(timeout));
        self
    }

    /// Runs until the store closes.
    pub async fn run(self) {
        let poll = self.poll;
        let shared = Arc::new(Shared {
            store: self.store,
            clock: self.clock,
            deliverer: self.deliverer,
            wake: self.wake,
            sending: Mutex::default(),
            deferred: Mutex::default(),
            finished: Mutex::default(),
        });
        let mut commits = shared.store.commits();
        let mut leading = shared.store.leading();
        loop {
            // One collector of those sharing a database runs the steps.
            if leading.wait_for(|lead| *lead).await.is_err() {
                return;
            }
            let started = std::time::Instant::now();
            match round(&shared).await {
                Ok(true) => {
                    // Ingestion first: while completions keep coming, rest between rounds.
                    if commits.has_changed().unwrap_or(false) {
                        commits.borrow_and_update();
                        tokio::time::sleep(started.elapsed() * super::YIELD_FACTOR).await;
                    }
                    continue;
                }
                Ok(false) => {}
                Err(StoreError::Closed) => return,
                Err(e) => tracing::error!(error = ?e, "running workflow steps failed; retrying"),
            }
            let nap = match nap(&shared).await {
                Ok(nap) => nap.min(poll),
                Err(StoreError::Closed) => return,
                Err(_) => poll,
            };
            tokio::select! {
                () = shared.wake.notified() => {}
                () = tokio::time::sleep(nap) => {}
            }
        }
    }
}

fn enabled(store: &dyn EventStore) -> Vec<u64> {
    store
        .workflows()
        .iter()
        .filter(|w| w.enabled)
        .map(|w| w.id)
        .collect()
}

/// Runs what is due; whether anything moved (then another round follows at once).
async fn round(shared: &Arc<Shared>) -> Result<bool, StoreError> {
    let mut moved = store_finished(shared).await?;
    let workflows = enabled(shared.store.as_ref());
    if workflows.is_empty() {
        return Ok(moved);
    }
    let now = shared.clock.now_ms();
    let except: Vec<i64> = {
        let sending = locked(&shared.sending);
        let deferred = locked(&shared.deferred);
        sending.iter().chain(deferred.iter()).copied().collect()
    };
    let due = shared
        .store
        .due_enrollments(workflows, now, except, BATCH)
        .await?;
    // Delays and waits that begin or end are stored together, after the loop.
    let mut changes = Vec::new();
    for e in due {
        // Deleted or switched off since the read: its steps wait.
        let Some(workflow) = shared.store.workflow(e.workflow).filter(|w| w.enabled) else {
            continue;
        };
        match steps::next(&workflow, &e, now) {
            Next::Change(change) => changes.push(change),
            Next::Deliver(url) => match shared.deliverer.slot(&url) {
                Some(slot) => {
                    locked(&shared.sending).insert(e.id);
                    tokio::spawn(deliver(shared.clone(), workflow, e, url, slot));
                    moved = true;
                }
                None => {
                    locked(&shared.deferred).insert(e.id);
                }
            },
        }
    }
    if !changes.is_empty() {
        shared.store.change_steps(changes).await?;
        moved = true;
    }
    Ok(moved)
}

/// How long until the soonest wake time (zero if it has passed: those due are being sent or
/// deferred, and a finished delivery wakes the runner).
async fn nap(shared: &Shared) -> Result<Duration, StoreError> {
    let workflows = enabled(shared.store.as_ref());
    if workflows.is_empty() {
        return Ok(Duration::MAX);
    }
    let next = shared.store.next_wake(workflows).await?;
    let now = shared.clock.now_ms();
    Ok(match next {
        Some(at) if at > now => Duration::from_millis(u64::try_from(at - now).unwrap_or(0)),
        // Past (those due are being sent or deferred) or nothing scheduled: until woken.
        _ => Duration::MAX,
    })
}

/// Sends `e`'s current webhook once and stores what came of it.
async fn deliver(
    shared: Arc<Shared>,
    workflow: Arc<Workflow>,
    e: Enrollment,
    url: String,
    slot: Slot,
) {
    let store = &shared.store;
    let contact = store
        .contact_record(ContactKey::Id(e.contact))
        .await
        .ok()
        .flatten();
    let event = store
        .events_since(e.event_seq - 1, 1)
        .await
        .ok()
        .and_then(|events| events.into_iter().next())
        .filter(|s| s.seq == e.event_seq)
        .map(|s| s.event);
    let body = payload::body(
        &workflow,
        &e,
        contact.as_ref(),
        event.as_ref(),
        e.attempts + 1,
    );
    let headers = [
        (
            SIGNATURE_HEADER,
            sign(
                &workflow.secret,
                &body,
                shared.clock.now_ms().div_euclid(1000),
            ),
        ),
        (
            IDEMPOTENCY_HEADER,
            idempotency_key(
                u64::try_from(e.id).unwrap_or(0),
                usize::try_from(e.step).unwrap_or(0),
            ),
        ),
    ];
    let attempt = shared.deliverer.post(&slot, &url, &headers, body).await;
    drop(slot);
    let after = steps::after_attempt(&e, &attempt, shared.clock.now_ms(), jitter());
    // Stored by the runner with the other outcomes of its round, in one transaction; until
    // then the enrollment stays in `sending`, so it is not read as due and sent again.
    locked(&shared.finished).push(Finished {
        workflow: workflow.id,
        after,
    });
    shared.wake.notify_one();
}

/// Stores the outcomes of the deliveries that ended, then lets their enrollments be read again.
async fn store_finished(shared: &Shared) -> Result<bool, StoreError> {
    let finished = std::mem::take(&mut *locked(&shared.finished));
    if finished.is_empty() {
        return Ok(false);
    }
    let ids: Vec<i64> = finished.iter().map(|f| f.after.change.id).collect();
    let stored = shared
        .store
        .change_steps(finished.iter().map(|f| f.after.change.clone()).collect())
        .await;
    match &stored {
        Ok(applied) => {
            for (f, applied) in finished.into_iter().zip(applied) {
                if let (true, Some(reason)) = (applied, f.after.pause) {
                    pause(shared.store.as_ref(), f.workflow, reason).await;
                }
            }
        }
        // The attempts are sent again (after a restart, with the same idempotency keys).
        Err(err) => tracing::warn!(error = ?err, "webhook attempts' outcomes were not stored"),
    }
    let mut sending = locked(&shared.sending);
    for id in ids {
        sending.remove(&id);
    }
    drop(sending);
    locked(&shared.deferred).clear();
    stored.map(|_| true)
}

/// Switches workflow `id` off, saying why (a receiver answered 410).
async fn pause(store: &dyn EventStore, id: u64, reason: String) {
    let Some(current) = store.workflow(id) else {
        return;
    };
    if !current.enabled {
        return;
    }
    let mut paused = (*current).clone();
    paused.enabled = false;
    paused.paused_reason = Some(reason);
    paused.updated_at = crate::timestamp::now_ms();
    if let Err(err) = store.save_workflow(paused).await {
        tracing::error!(error = ?err, workflow = id, "a workflow could not be paused");
    } else {
        tracing::warn!(
            workflow = id,
            "workflow paused: a webhook receiver answered 410 Gone"
        );
    }
}
