//! Getting queued events to the collector, one request at a time.
//!
//! Events leave the queue only when the collector has answered for them (or refused them for
//! good), so a request lost with its page is sent again from storage by the next page. One
//! request at a time keeps the order, and keeps a failing collector from being hammered:
//! after a failure nothing is sent until the backoff (or `Retry-After`) has passed.

use alloc::vec::Vec;
use wasm_bindgen::JsValue;

use super::{Consent, Report, Reports, Tracker};
use wasmtrack_browser::transport::{self, Outcome};
use wasmtrack_browser::wake::Wake;
use wasmtrack_browser::{flush, page};
use wasmtrack_core::batch::encode_batch;
use wasmtrack_core::retry::{classify, next_delay, Verdict};
use wasmtrack_core::warning::Warning;

/// Where delivery stands. `failures` counts consecutive failed tries (for the backoff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing in flight; the next batch may go.
    Ready { failures: u32 },
    /// A request carries the queue's in-flight events.
    Sending { failures: u32 },
    /// The last try failed; the retry timer decides when the next one goes.
    Backoff { failures: u32 },
    /// The browser is offline; the `online` event resumes.
    Offline { failures: u32 },
}

impl Delivery {
    fn failures(self) -> u32 {
        match self {
            Delivery::Ready { failures }
            | Delivery::Sending { failures }
            | Delivery::Backoff { failures }
            | Delivery::Offline { failures } => failures,
        }
    }
}

impl Tracker {
    /// Sends the next batch if one waits and nothing stops it. `force` (a `flush()`, a hidden
    /// page) goes even during a backoff.
    pub fn send_next(&mut self, force: bool, reports: &mut Reports) {
        if self.consent != Consent::Granted {
            self.resolve_flush();
            return;
        }
        match self.delivery {
            Delivery::Sending { .. } => return,
            Delivery::Backoff { .. } if !force => return,
            _ => {}
        }
        let failures = self.delivery.failures();
        if self.queue.waiting() == 0 {
            self.resolve_flush();
            return;
        }
        if !page::is_online() {
            self.delivery = Delivery::Offline { failures };
            self.resolve_flush();
            return;
        }
        // Written before it is sent: if the page dies mid-request, the next page has it.
        self.persist_now(reports);
        self.flush_timer.cancel();
        self.retry_timer.cancel();
        let now = wasmtrack_browser::js::now();
        let body = encode_batch(
            &self.opts.site,
            now,
            self.queue.start_batch(&self.policy, self.overhead),
        );
        self.delivery = Delivery::Sending { failures };
        transport::post(&self.opts.collect_url(), &body, Some(Wake::Sent));
    }

    /// What the collector's answer (or its absence) means for the in-flight events.
    pub(super) fn answered(&mut self, outcome: Outcome, reports: &mut Reports) {
        let failures = self.delivery.failures();
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
                report_rejections(&refused, reports);
                self.queue.acknowledge();
                self.delivery = Delivery::Ready { failures: 0 };
                self.persist_soon();
                self.keep_going(reports);
            }
            Verdict::Drop => {
                reports.push(Report::new(
                    Warning::BatchRejected,
                    None,
                    status_text(status).as_deref(),
                ));
                self.queue.acknowledge();
                self.delivery = Delivery::Ready { failures: 0 };
                self.persist_soon();
                self.keep_going(reports);
            }
            Verdict::Retry => {
                self.queue.release();
                let failures = failures.saturating_add(1);
                if failures == 1 {
                    reports.push(Report::new(
                        Warning::SendFailed,
                        None,
                        status_text(status).as_deref(),
                    ));
                }
                let delay = next_delay(
                    failures,
                    status,
                    retry_after.as_deref(),
                    wasmtrack_browser::js::random(),
                );
                self.delivery = Delivery::Backoff { failures };
                self.retry_timer.start(delay.min(u32::MAX as u64) as u32);
                self.resolve_flush();
            }
        }
    }

    /// After an answer: send on while a `flush()` waits or a full batch is queued; otherwise
    /// let the timer collect more.
    fn keep_going(&mut self, reports: &mut Reports) {
        let waiting = self.queue.waiting();
        if waiting > 0 && (self.flush_waiting || waiting >= self.policy.max_events) {
            self.send_next(false, reports);
        } else if waiting > 0 {
            self.flush_timer.start(self.opts.flush_interval_ms);
        } else {
            self.resolve_flush();
        }
    }

    /// The backoff is over.
    pub fn retry_now(&mut self, reports: &mut Reports) {
        if let Delivery::Backoff { failures } = self.delivery {
            self.delivery = Delivery::Ready { failures };
        }
        self.send_next(false, reports);
    }

    /// The browser has a network again.
    pub fn back_online(&mut self, reports: &mut Reports) {
        if let Delivery::Offline { failures } = self.delivery {
            self.delivery = Delivery::Ready { failures };
        }
        self.adopt_orphans();
        self.send_next(false, reports);
    }

    /// `flush()`: sends everything now; the promise resolves when the collector has answered
    /// (or delivery has to wait: offline, backing off, consent pending).
    pub fn flush(&mut self, reports: &mut Reports) -> JsValue {
        let promise = flush::waiter();
        self.flush_waiting = true;
        self.send_next(true, reports);
        promise
    }

    fn resolve_flush(&mut self) {
        if self.flush_waiting {
            self.flush_waiting = false;
            flush::resolve_all();
        }
    }

    /// `pagehide`: the queue is stored as left behind (the next page of the site adopts it at
    /// once), then what waits goes by beacon, the one send a leaving page can still make. The
    /// events stay stored: a beacon has no answer, and the collector keeps each id once.
    pub fn leave(&mut self, reports: &mut Reports) {
        if self.consent != Consent::Granted {
            return;
        }
        self.write_queue(true, reports);
        self.flush_timer.cancel();
        self.retry_timer.cancel();
        self.heartbeat.cancel();
        let url = self.opts.collect_url();
        while self.queue.waiting() > 0 {
            let now = wasmtrack_browser::js::now();
            let batch: Vec<_> = self.queue.start_batch(&self.policy, self.overhead).to_vec();
            beacon_or_split(&url, &self.opts.site, now, &batch);
        }
    }

    /// `pageshow` from the back/forward cache: the stored queue is the truth again (another
    /// page may have adopted and sent it meanwhile).
    pub fn come_back(&mut self, reports: &mut Reports) {
        self.reload_own_queue();
        self.delivery = Delivery::Ready { failures: 0 };
        self.persist_now(reports);
        self.adopt_orphans();
        self.send_next(false, reports);
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
fn report_rejections(refused: &str, reports: &mut Reports) {
    for (name, reason) in wasmtrack_browser::warn::rejected_events(refused) {
        reports.push(Report {
            warning: Warning::EventRejected,
            event: Some(name),
            detail: Some(reason),
        });
    }
}

fn status_text(status: Option<u16>) -> Option<alloc::string::String> {
    status.map(|s| wasmtrack_core::payload::int_string(s.into()))
}
