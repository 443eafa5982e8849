//! The queue in `localStorage`: this page's own key, its heartbeat, and adopting the queues
//! of pages that are gone (closed, reloaded, navigated away, crashed).
//!
//! Each page writes only `q:<its tab id>`, so tabs never overwrite each other; the format and
//! the orphan rule are `core::stored`. Writes are coalesced to one per task (a loop of 10,000
//! `track` calls writes once), and always happen before a send.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Report, Reports, Tracker};
use wasmtrack_browser::wake::Wake;
use wasmtrack_browser::{locks, microtask};
use wasmtrack_core::stored::{self, HEARTBEAT_MS, ORPHAN_AFTER_MS};
use wasmtrack_core::warning::Warning;

/// The storage key of a page's queue.
pub fn queue_key(tab: &str) -> String {
    let mut key = String::from("q:");
    key.push_str(tab);
    key
}

impl Tracker {
    /// Stores the queue at the end of the current task.
    pub fn persist_soon(&mut self) {
        if self.persist_scheduled || !self.may_store() {
            return;
        }
        self.persist_scheduled = true;
        microtask::defer(Wake::Persist);
    }

    /// Stores the queue now.
    pub fn persist_now(&mut self, reports: &mut Reports) {
        self.write_queue(false, reports);
    }

    /// Writes this page's key (removes it when the queue is empty). While events are queued a
    /// heartbeat rewrites it, so other tabs can tell this page is alive.
    pub(super) fn write_queue(&mut self, left: bool, reports: &mut Reports) {
        if !self.may_store() {
            return;
        }
        let key = queue_key(&self.tab);
        if self.queue.is_empty() {
            self.store.remove(&key);
            self.heartbeat.cancel();
            return;
        }
        let text = stored::encode(wasmtrack_browser::js::now(), left, self.queue.entries());
        self.store_set(&key, &text, reports);
        if !left {
            self.heartbeat.start(HEARTBEAT_MS as u32);
        }
    }

    /// The heartbeat timer went off.
    pub fn beat(&mut self, reports: &mut Reports) {
        self.write_queue(false, reports);
    }

    /// Replaces the in-memory queue with this page's stored one (after the back/forward
    /// cache). A missing key means another page adopted the events: they are not ours now.
    pub fn reload_own_queue(&mut self) {
        if !self.may_store() {
            self.queue.release();
            return;
        }
        let stored = self
            .store
            .get(&queue_key(&self.tab))
            .and_then(|text| stored::decode(&text));
        self.queue.clear();
        if let Some(stored) = stored {
            self.queue.prepend(stored.entries);
        }
    }

    /// Looks for queues left by pages that are gone and takes their events over, under a Web
    /// Lock so that two tabs never adopt the same queue.
    pub fn adopt_orphans(&mut self) {
        if !self.may_store() {
            return;
        }
        locks::with_lock("wasmtrack:v1:adopt", Wake::Adopt);
    }

    pub(super) fn adopt_locked(&mut self, reports: &mut Reports) {
        if !self.may_store() {
            return;
        }
        let now = wasmtrack_browser::js::now();
        let own = queue_key(&self.tab);
        let mut adopted = Vec::new();
        let mut done_keys = Vec::new();
        let mut alive_elsewhere = false;
        for key in self.store.keys("q:") {
            if key == own {
                continue;
            }
            match self.store.get(&key).map(|text| stored::decode(&text)) {
                Some(Some(queue)) if queue.is_orphan(now) => {
                    adopted.extend(queue.entries);
                    done_keys.push(key);
                }
                Some(Some(_)) => alive_elsewhere = true,
                // Unreadable (damaged, or a format this version does not know): removed so it
                // cannot grow forever, and said so.
                Some(None) => {
                    reports.push(Report::new(Warning::QueueOverflow, None, Some(&key)));
                    done_keys.push(key);
                }
                None => {}
            }
        }
        if !adopted.is_empty() {
            self.queue.prepend(adopted);
            if self
                .queue
                .bound(self.opts.max_queue_events, self.opts.max_queue_bytes)
                > 0
            {
                reports.push(Report::new(Warning::QueueOverflow, None, None));
            }
        }
        // Ours first, then theirs removed: a crash in between sends twice, never loses.
        self.persist_now(reports);
        for key in done_keys {
            self.store.remove(&key);
        }
        if alive_elsewhere {
            self.adopt_timer.start(ORPHAN_AFTER_MS as u32);
        }
        self.send_next(false, reports);
    }
}
