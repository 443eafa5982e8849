//! The running tracker: the one piece of state of a page, and the operations the JS API in
//! `lib.rs` performs on it.
//!
//! The state is split by what changes it, each part in the file that owns it: who the visitor
//! is (`identity.rs`), the page events are attributed to (`page.rs`), storage and consent
//! (`persist.rs`), getting the queue to the collector (`delivery.rs`) and the site's rules
//! (`autotrack.rs`). Delivery and the stored queue are the two halves of "lose nothing". The
//! operations that need several parts are methods of [`Tracker`], in the file of the part
//! they are mostly about.
//!
//! State lives in one global `RefCell`, borrowed only with `try_borrow_mut`, so a page
//! callback that re-enters the API (a getter that tracks) is refused with a warning instead of
//! panicking. Warnings wait until the state is released (`warnings.rs`), for the same reason.

mod autotrack;
mod delivery;
mod identity;
mod page;
mod persist;
pub mod warnings;

use alloc::string::String;
use wasm_bindgen::JsValue;

use wasmtrack_browser::global::Global;
use wasmtrack_browser::random;
use wasmtrack_browser::storage::Store;
use wasmtrack_browser::transport::Outcome;
use wasmtrack_browser::wake::{self, Wake, Woken};
use wasmtrack_browser::{lifecycle, page as browser_page};
use wasmtrack_core::batch::Entry;
use wasmtrack_core::context::PageInfo;
use wasmtrack_core::options::ResolvedOptions;
use wasmtrack_core::payload::encode_event_body;
use wasmtrack_core::properties::Props;
use wasmtrack_core::warning::Warning;

use delivery::Delivery;
use identity::{Identity, KEY_SESSION, KEY_VISITOR};
use page::Page;
use persist::{Consent, Persistence, KEY_CONSENT};
use warnings::{report, Sink};

static TRACKER: Global<Option<Tracker>> = Global::new(None);

/// Runs `f` on the tracker, then delivers what it (and the API call before it) warned about.
/// `None` when `init` has not run, the call re-entered the tracker from a page callback, or
/// an earlier call trapped and left the state stuck.
pub fn with<R>(f: impl FnOnce(&mut Tracker) -> R) -> Option<R> {
    let out = match TRACKER.cell().try_borrow_mut() {
        Ok(mut slot) => slot.as_mut().map(f),
        Err(_) => None,
    };
    finish(out.is_some());
    out
}

// The part of `with` that does not depend on `f`, once rather than in every caller. (Taking
// `f` as `&mut dyn FnMut` instead would cost each caller a vtable and two shims.)
#[inline(never)]
fn finish(ran: bool) {
    if !ran {
        report(warnings::unavailable(), None, None);
    }
    warnings::deliver();
}

/// Whether `init` has completed (or the state is stuck after a trap).
pub fn is_running() -> bool {
    TRACKER
        .cell()
        .try_borrow()
        .map(|t| t.is_some())
        .unwrap_or(true)
}

/// A call into the tracker threw (`__trapped`, or the shell's [`Wake::Trapped`]). If that left
/// the state borrowed, nothing can use it again: later calls say `tracker_unavailable`.
pub fn note_trap() {
    if TRACKER.cell().try_borrow_mut().is_err() {
        warnings::trapped();
        report(Warning::TrackerUnavailable, None, None);
        warnings::deliver();
    }
}

/// Starts the tracker, then picks up what earlier pages of the site left unsent. `autotrack`
/// is the loader's function that takes the site's rule list (`autotrack.rs`).
pub fn start(opts: ResolvedOptions, sink: Sink, autotrack: JsValue) {
    sink.install();
    let tracker = Tracker::new(opts, autotrack);
    if let Ok(mut slot) = TRACKER.cell().try_borrow_mut() {
        *slot = Some(tracker);
    }
    warnings::deliver();
    wake::install(woke);
    lifecycle::follow_page();
    with(|t| {
        t.adopt_orphans();
        t.start_autotrack();
    });
}

/// What the browser woke the tracker for (`browser::wake`).
fn woke(w: Woken) {
    if w.why == Wake::Trapped {
        return note_trap();
    }
    with(|t| match w.why {
        Wake::FlushTimer => {
            t.delivery.flush_timer.fired();
            t.send_next(false);
        }
        Wake::RetryTimer => {
            t.delivery.retry_timer.fired();
            t.retry_now();
        }
        Wake::Heartbeat => {
            t.persist.heartbeat.fired();
            t.beat();
        }
        Wake::AdoptTimer => {
            t.persist.adopt_timer.fired();
            t.adopt_orphans();
        }
        Wake::Left => t.leave(),
        Wake::Back => t.come_back(),
        Wake::Online => t.back_online(),
        Wake::Hidden => t.send_next(true),
        Wake::Sent => t.answered(Outcome::from_wake(w.status, w.retry_after, w.body)),
        Wake::Rules => {
            if let (200, Some(body)) = (w.status, w.body) {
                t.rules_arrived(body);
            }
        }
        Wake::Adopt => t.adopt_locked(),
        Wake::Persist => {
            t.persist.scheduled = false;
            t.persist_now();
        }
        Wake::Trapped => {}
    });
}

/// The tracker's state for this page, a part per concern.
pub struct Tracker {
    opts: ResolvedOptions,
    identity: Identity,
    page: Page,
    persist: Persistence,
    delivery: Delivery,
    /// The loader's function that takes the site's rule list (`autotrack.rs`).
    autotrack: JsValue,
}

impl Tracker {
    fn new(opts: ResolvedOptions, autotrack: JsValue) -> Tracker {
        let store = Store::probe();
        let consent = match store.get(KEY_CONSENT).as_deref() {
            Some("out") => Consent::Refused,
            _ if opts.respect_do_not_track && browser_page::asks_not_to_track() => Consent::Refused,
            Some("in") => Consent::Granted,
            _ if opts.require_consent => Consent::Pending,
            _ => Consent::Granted,
        };
        let identity = Identity::load(&store);
        let delivery = Delivery::new(&opts.site, opts.flush_at);
        let mut tracker = Tracker {
            persist: Persistence::new(store, consent, random::uuid()),
            opts,
            identity,
            page: Page::default(),
            delivery,
            autotrack,
        };
        if tracker.persist.consent == Consent::Granted {
            tracker.persist.set(KEY_VISITOR, &tracker.identity.visitor);
        }
        tracker.page.refresh(&tracker.identity);
        tracker
    }

    /// Queues an event named `name` (already normalized) with cleaned `props`, which happened
    /// at `occurred_at` (epoch ms, the page's own `occurredAt`) or now.
    pub fn enqueue(&mut self, name: String, props: Props, occurred_at: Option<f64>) {
        if self.persist.consent == Consent::Refused {
            return;
        }
        if self.page.moved() {
            self.page.refresh(&self.identity);
        }
        let now = wasmtrack_core::options::event_time(occurred_at, wasmtrack_browser::js::now());
        let touched = self.identity.touch(now);
        if touched.new_session {
            self.page.refresh_context(&self.identity);
        }
        if let Some(encoded) = touched.save {
            self.persist.set(KEY_SESSION, &encoded);
        }
        let id = random::uuid();
        let entry = Entry {
            ctx: self.page.context.clone(),
            body: encode_event_body(&id, &name, now, &props),
        };
        let delivery = &mut self.delivery;
        let full = delivery.queue.push(entry, &delivery.policy);
        let dropped = delivery
            .queue
            .bound(self.opts.max_queue_events, self.opts.max_queue_bytes);
        if dropped > 0 {
            report(Warning::QueueOverflow, Some(&name), None);
        }
        self.persist_soon();
        if full {
            self.send_next(false);
        } else {
            self.delivery.flush_timer.start(self.opts.flush_interval_ms);
        }
    }

    /// Sets the contact the following events belong to.
    pub fn identify(&mut self, email: Option<String>, uid: Option<String>) {
        self.identity.identify(email, uid);
        self.page.refresh_context(&self.identity);
    }

    /// Sets the path reported by following events (single-page apps).
    pub fn set_path(&mut self, path: String) {
        self.page.path_override = Some(path);
        self.page.refresh(&self.identity);
    }

    /// Attributes the following events to `page` (a page whose stub calls are being replayed),
    /// or to the current page again with `None`.
    pub fn replay_from(&mut self, page: Option<PageInfo>) {
        self.page.replayed = page;
        self.page.refresh(&self.identity);
    }

    /// Re-reads the page (title, referrer…) before a page view.
    pub fn reread_page(&mut self) {
        self.page.refresh(&self.identity);
    }

    /// Stops tracking and forgets this browser, persistently: the queue, the visitor and the
    /// session are removed; only the refusal itself is kept, so that it lasts.
    pub fn opt_out(&mut self) {
        self.persist.consent = Consent::Refused;
        self.delivery.queue.clear();
        self.delivery.flush_timer.cancel();
        self.delivery.retry_timer.cancel();
        self.persist.heartbeat.cancel();
        // Everything the tracker ever wrote (queues, ids, the rules cache) goes.
        let store = &self.persist.store;
        for key in store.keys("") {
            store.remove(&key);
        }
        let _ = store.set(KEY_CONSENT, "out");
    }

    /// Tracks again, persistently; events held for consent are stored and sent now.
    pub fn opt_in(&mut self) {
        self.persist.consent = Consent::Granted;
        self.persist.set(KEY_CONSENT, "in");
        self.persist.set(KEY_VISITOR, &self.identity.visitor);
        self.persist_now();
        self.adopt_orphans();
        self.send_next(false);
    }
}
