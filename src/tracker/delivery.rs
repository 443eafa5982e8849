//! Getting queued events to the collector, one request at a time.
//!
//! Events leave the queue only when the collector has answered for them (or refused them for
//! good), so a request lost with its page is sent again from storage by the next page. One
//! request at a time keeps the order, and keeps a failing collector from being hammered:
//! after a failure nothing is sent until the backoff (or `Retry-After`) has passed.

use alloc::vec::Vec;
use wasm_bindgen::JsValue;

use super::persist::Consent;
use super::warnings::{report, report_owned};
use super::Tracker;
use wasmtrack_browser::timer::Timer;
use wasmtrack_browser::transport::{self, Outcome};
use wasmtrack_browser::wake::Wake;
use wasmtrack_browser::{flush, page};
use wasmtrack_core::batch::{
    batch_overhead, encode_batch, BatchPolicy, SendQueue, FETCH_MAX_BYTES,
};
use wasmtrack_core::retry::{classify, next_delay, Verdict};
use wasmtrack_core::warning::Warning;

/// Where delivery stands. `failures` counts consecutive failed tries (for the backoff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Nothing in flight; the next batch may go.
    Ready { failures: u32 },
    /// A request carries the queue's in-flight events.
    Sending { failures: u32 },
    /// The last try failed; the retry timer decides when the next one goes.
    Backoff { failures: u32 },
    /// The browser is offline; the `online` event resumes.
    Offline { failures: u32 },
}

/// Getting the queue to the collector: the queue itself, where delivery stands, and the
/// timers and `flush()` promises that wait on it.
pub struct Delivery {
    pub state: State,
    pub policy: BatchPolicy,
    /// Bytes of a batch besides its events (for the batch-size bound).
    pub overhead: usize,
    pub queue: SendQueue,
    /// Whether `flush()` promises wait for the collector's answer.
    pub flush_waiting: bool,
    pub flush_timer: Timer,
    pub retry_timer: Timer,
}

impl Delivery {
    /// Nothing queued yet, for `site` with batches of at most `flush_at` events.
    pub fn new(site: &str, flush_at: usize) -> Delivery {
        Delivery {
            state: State::Ready { failures: 0 },
            policy: BatchPolicy {
                max_events: flush_at,
                ..BatchPolicy::default()
            },
            overhead: batch_overhead(site),
            queue: SendQueue::default(),
            flush_waiting: false,
            flush_timer: Timer::new(Wake::FlushTimer),
            retry_timer: Timer::new(Wake::RetryTimer),
        }
    }
}

impl State {
    fn failures(self) -> u32 {
        match self {
            State::Ready { failures }
            | State::Sending { failures }
            | State::Backoff { failures }
            | State::Offline { failures } => failures,
        }
    }
}

impl Tracker {
    /// Sends the next batch if one waits and nothing stops it. `force` (a `flush()`, a hidden
    /// page) goes even during a backoff.
    pub fn send_next(&mut self, force: bool) {
        if self.persist.consent != Consent::Granted {
            self.resolve_flush();
            return;
        }
        match self.delivery.state {
            State::Sending { .. } => return,
            State::Backoff { .. } if !force => return,
            _ => {}
        }
        let failures = self.delivery.state.failures();
        if self.delivery.queue.waiting() == 0 {
            self.resolve_flush();
            return;
        }
        if !page::is_online() {
            self.delivery.state = State::Offline { failures };
            self.resolve_flush();
            return;
        }
        // Stored before any answer can come, at the end of this task (with what else the task
        // queued: one write, not one here and another there): if the page dies mid-request,
        // the next page has it.
        self.persist_soon();
        self.delivery.flush_timer.cancel();
        self.delivery.retry_timer.cancel();
        let now = wasmtrack_browser::js::now();
        // A living page's request may be larger than a beacon (`FETCH_MAX_BYTES`).
        let policy = BatchPolicy {
            max_bytes: FETCH_MAX_BYTES,
            ..self.delivery.policy
        };
        let body = encode_batch(
            &self.opts.site,
            now,
            self.delivery
                .queue
                .start_batch(&policy, self.delivery.overhead),
        );
        self.delivery.state = State::Sending { failures };
        transport::post(&self.opts.collect_url(), &body, Some(Wake::Sent));
    }

    /// What the collector's answer (or its absence) means for the in-flight events.
    pub(super) fn answered(&mut self, outcome: Outcome) {
        let failures = self.delivery.state.failures();
        let (status, retry_after, refused) = match outcome {
            Outcome::Answered {
                status,
                retry_after,
                refused,
            } => (Some(status), retry_after, refused),
            Outcome::NetworkError => (None, None, alloc::string::String::new()),
        };
        match classify(status) {
            Verdict::Delivered => {
                report_rejections(&refused);
                self.delivery.queue.acknowledge();
                self.delivery.state = State::Ready { failures: 0 };
                self.persist_soon();
                self.keep_going();
            }
            Verdict::Drop => {
                report(Warning::BatchRejected, None, status_text(status).as_deref());
                self.delivery.queue.acknowledge();
                self.delivery.state = State::Ready { failures: 0 };
                self.persist_soon();
                self.keep_going();
            }
            Verdict::Retry => {
                self.delivery.queue.release();
                let failures = failures.saturating_add(1);
                if failures == 1 {
                    report(Warning::SendFailed, None, status_text(status).as_deref());
                }
                let delay = next_delay(
                    failures,
                    status,
                    retry_after.as_deref(),
                    wasmtrack_browser::js::random(),
                );
                self.delivery.state = State::Backoff { failures };
                self.delivery
                    .retry_timer
                    .start(delay.min(u32::MAX as u64) as u32);
                self.resolve_flush();
            }
        }
    }

    /// After an answer: send on while a `flush()` waits or a full batch is queued; otherwise
    /// let the timer collect more.
    fn keep_going(&mut self) {
        let waiting = self.delivery.queue.waiting();
        if waiting > 0
            && (self.delivery.flush_waiting || waiting >= self.delivery.policy.max_events)
        {
            self.send_next(false);
        } else if waiting > 0 {
            self.delivery.flush_timer.start(self.opts.flush_interval_ms);
        } else {
            self.resolve_flush();
        }
    }

    /// The backoff is over.
    pub fn retry_now(&mut self) {
        if let State::Backoff { failures } = self.delivery.state {
            self.delivery.state = State::Ready { failures };
        }
        self.send_next(false);
    }

    /// The browser has a network again.
    pub fn back_online(&mut self) {
        if let State::Offline { failures } = self.delivery.state {
            self.delivery.state = State::Ready { failures };
        }
        self.adopt_orphans();
        self.send_next(false);
    }

    /// `flush()`: sends everything now; the promise resolves when the collector has answered
    /// (or delivery has to wait: offline, backing off, consent pending).
    pub fn flush(&mut self) -> JsValue {
        let promise = flush::waiter();
        self.delivery.flush_waiting = true;
        self.send_next(true);
        promise
    }

    fn resolve_flush(&mut self) {
        if self.delivery.flush_waiting {
            self.delivery.flush_waiting = false;
            flush::resolve_all();
        }
    }

    /// `pagehide`: the queue is stored as left behind (the next page of the site adopts it at
    /// once), then what waits goes by beacon, the one send a leaving page can still make. The
    /// events stay stored: a beacon has no answer, and the collector keeps each id once.
    pub fn leave(&mut self) {
        if self.persist.consent != Consent::Granted {
            return;
        }
        self.write_queue(true);
        self.delivery.flush_timer.cancel();
        self.delivery.retry_timer.cancel();
        self.persist.heartbeat.cancel();
        let url = self.opts.collect_url();
        while self.delivery.queue.waiting() > 0 {
            let now = wasmtrack_browser::js::now();
            let batch: Vec<_> = self
                .delivery
                .queue
                .start_batch(&self.delivery.policy, self.delivery.overhead)
                .to_vec();
            beacon_or_split(&url, &self.opts.site, now, &batch);
        }
    }

    /// `pageshow` from the back/forward cache: the stored queue is the truth again (another
    /// page may have adopted and sent it meanwhile).
    pub fn come_back(&mut self) {
        self.reload_own_queue();
        self.delivery.state = State::Ready { failures: 0 };
        self.persist_now();
        self.adopt_orphans();
        self.send_next(false);
    }
}

/// Sends `batch` by beacon; a body the browser refuses (over its 64 KiB budget) is split in
/// half and tried again, and a single event still refused goes by `fetch` with `keepalive`.
fn beacon_or_split(url: &str, site: &str, now: u64, batch: &[wasmtrack_core::batch::Entry]) {
    let body = encode_batch(site, now, batch);
    if transport::beacon(url, &body) {
        return;
    }
    if batch.len() <= 1 {
        transport::post(url, &body, None);
        return;
    }
    let (first, second) = batch.split_at(batch.len() / 2);
    beacon_or_split(url, site, now, first);
    beacon_or_split(url, site, now, second);
}

/// Each event the collector refused in an accepted batch becomes a warning (and is not
/// retried: it would be refused again).
fn report_rejections(refused: &str) {
    for (name, reason) in wasmtrack_browser::warn::rejected_events(refused) {
        report_owned(Warning::EventRejected, Some(name), Some(reason));
    }
}

fn status_text(status: Option<u16>) -> Option<alloc::string::String> {
    status.map(|s| wasmtrack_core::payload::int_string(s.into()))
}
