//! The page's storage: consent, and the queue in `localStorage` — this page's own key, its
//! heartbeat, and adopting the queues of pages that are gone (closed, reloaded, navigated
//! away, crashed).
//!
//! Each page writes only `q:<its tab id>`, so tabs never overwrite each other; the format and
//! the orphan rule are `core::stored`. Writes are coalesced to one per task (a loop of 10,000
//! `track` calls writes once), and always happen before a send.

use alloc::string::String;
use alloc::vec::Vec;

use super::warnings::report;
use super::Tracker;
use wasmtrack_browser::storage::Store;
use wasmtrack_browser::timer::Timer;
use wasmtrack_browser::wake::Wake;
use wasmtrack_browser::{locks, microtask};
use wasmtrack_core::stored::{self, HEARTBEAT_MS, ORPHAN_AFTER_MS};
use wasmtrack_core::warning::Warning;

/// Storage key of the visitor's choice (`in`, `out`).
pub const KEY_CONSENT: &str = "consent";

/// Whether this page may track, and may write to storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Track, store and send.
    Granted,
    /// `requireConsent` and no `optIn()` yet: events wait in memory; nothing is written or sent.
    Pending,
    /// `optOut()`, or Do Not Track with `respectDoNotTrack`: nothing is tracked.
    Refused,
}

/// The page's storage and what it may do with it.
pub struct Persistence {
    pub store: Store,
    /// A write failed (quota, disabled): the page goes on from memory for good.
    failed: bool,
    pub consent: Consent,
    /// This page's id: its stored queue is `q:<tab>`.
    pub tab: String,
    /// A write of the queue waits for the end of the task.
    pub scheduled: bool,
    pub heartbeat: Timer,
    pub adopt_timer: Timer,
}

impl Persistence {
    /// The page's storage, with `consent` decided from what is stored and the options.
    pub fn new(store: Store, consent: Consent, tab: String) -> Persistence {
        if !store.is_available() {
            report(Warning::StorageUnavailable, None, None);
        }
        Persistence {
            store,
            failed: false,
            consent,
            tab,
            scheduled: false,
            heartbeat: Timer::new(Wake::Heartbeat),
            adopt_timer: Timer::new(Wake::AdoptTimer),
        }
    }

    /// Whether this page may write to storage now.
    pub fn may_store(&self) -> bool {
        self.consent == Consent::Granted && !self.failed && self.store.is_available()
    }

    /// Writes a key; a failing write (quota, disabled) switches the page to memory for good,
    /// with one warning.
    pub fn set(&mut self, key: &str, value: &str) {
        if !self.may_store() {
            return;
        }
        if !self.store.set(key, value) {
            self.failed = true;
            report(Warning::StorageUnavailable, None, Some(key));
        }
    }
}

/// The storage key of a page's queue.
pub fn queue_key(tab: &str) -> String {
    let mut key = String::from("q:");
    key.push_str(tab);
    key
}

impl Tracker {
    /// Stores the queue at the end of the current task (once, however many events it queues).
    pub fn persist_soon(&mut self) {
        if self.persist.scheduled || !self.persist.may_store() {
            return;
        }
        self.persist.scheduled = true;
        microtask::defer(Wake::Persist);
    }

    /// Stores the queue now.
    pub fn persist_now(&mut self) {
        self.write_queue(false);
    }

    /// Writes this page's key (removes it when the queue is empty). While events are queued a
    /// heartbeat rewrites it, so other tabs can tell this page is alive. `left`: the page is
    /// going away, so no heartbeat follows.
    pub(super) fn write_queue(&mut self, left: bool) {
        if !self.persist.may_store() {
            return;
        }
        let key = queue_key(&self.persist.tab);
        let queue = &self.delivery.queue;
        if queue.is_empty() {
            self.persist.store.remove(&key);
            self.persist.heartbeat.cancel();
            return;
        }
        let text = stored::encode(wasmtrack_browser::js::now(), left, queue.entries());
        self.persist.set(&key, &text);
        if !left {
            self.persist.heartbeat.start(HEARTBEAT_MS as u32);
        }
    }

    /// The heartbeat timer went off.
    pub fn beat(&mut self) {
        self.write_queue(false);
    }

    /// Replaces the in-memory queue with this page's stored one (after the back/forward
    /// cache). A missing key means another page adopted the events: they are not ours now.
    pub fn reload_own_queue(&mut self) {
        let queue = &mut self.delivery.queue;
        if !self.persist.may_store() {
            queue.release();
            return;
        }
        let stored = self
            .persist
            .store
            .get(&queue_key(&self.persist.tab))
            .and_then(|text| stored::decode(&text));
        queue.clear();
        if let Some(stored) = stored {
            queue.prepend(stored.entries);
        }
    }

    /// Looks for queues left by pages that are gone and takes their events over, under a Web
    /// Lock so that two tabs never adopt the same queue.
    pub fn adopt_orphans(&mut self) {
        if !self.persist.may_store() {
            return;
        }
        locks::with_lock("wasmtrack:v1:adopt", Wake::Adopt);
    }

    /// With the adoption lock held: takes over every orphaned queue.
    pub(super) fn adopt_locked(&mut self) {
        if !self.persist.may_store() {
            return;
        }
        let now = wasmtrack_browser::js::now();
        let own = queue_key(&self.persist.tab);
        let mut adopted = Vec::new();
        let mut done_keys = Vec::new();
        let mut alive_elsewhere = false;
        let store = &self.persist.store;
        for key in store.keys("q:") {
            if key == own {
                continue;
            }
            match store.get(&key).map(|text| stored::decode(&text)) {
                Some(Some(queue)) if queue.is_orphan(now) => {
                    adopted.extend(queue.entries);
                    done_keys.push(key);
                }
                Some(Some(_)) => alive_elsewhere = true,
                Some(None) => {
                    // Unreadable (damaged, or a format this version does not know): removed so it
                    // cannot grow forever, and said so.
                    report(Warning::QueueOverflow, None, Some(&key));
                    done_keys.push(key);
                }
                None => {}
            }
        }
        if !adopted.is_empty() {
            let queue = &mut self.delivery.queue;
            queue.prepend(adopted);
            if queue.bound(self.opts.max_queue_events, self.opts.max_queue_bytes) > 0 {
                report(Warning::QueueOverflow, None, None);
            }
        }
        // Ours first, then theirs removed: a crash in between sends twice, never loses.
        self.persist_now();
        for key in done_keys {
            self.persist.store.remove(&key);
        }
        if alive_elsewhere {
            self.persist.adopt_timer.start(ORPHAN_AFTER_MS as u32);
        }
        self.send_next(false);
    }
}
