//! The running tracker: the one piece of state of a page, and the operations the JS API in
//! `lib.rs` performs on it. Delivery (`delivery.rs`) and the stored queue (`persist.rs`) are
//! the two halves of "lose nothing".
//!
//! State lives in one global `RefCell`, borrowed only with `try_borrow_mut`, so a page
//! callback that re-enters the API (an `onWarning` that tracks, a getter that tracks) is
//! refused with a warning instead of panicking. Warnings are collected while the state is
//! borrowed and reported after it is released, for the same reason.

mod autotrack;
mod delivery;
mod persist;

use alloc::borrow::ToOwned;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::JsValue;

use wasmtrack_browser::global::Global;
use wasmtrack_browser::random;
use wasmtrack_browser::storage::Store;
use wasmtrack_browser::timer::Timer;
use wasmtrack_browser::transport::Outcome;
use wasmtrack_browser::wake::{self, Wake, Woken};
use wasmtrack_browser::{lifecycle, page, warn};
use wasmtrack_core::batch::{batch_overhead, BatchPolicy, Entry, SendQueue};
use wasmtrack_core::context::default_properties;
use wasmtrack_core::options::ResolvedOptions;
use wasmtrack_core::payload::{encode_context, encode_event_body};
use wasmtrack_core::properties::Props;
use wasmtrack_core::session::Session;
use wasmtrack_core::warning::Warning;

use delivery::Delivery;

const KEY_VISITOR: &str = "vid";
const KEY_SESSION: &str = "sid";
const KEY_CONSENT: &str = "consent";
/// The session's last-seen time is written at most this often (ms): a storage write on every
/// `track` call would cost more than the rest of the call.
const SESSION_SAVE_EVERY_MS: u64 = 5_000;

static TRACKER: Global<Option<Tracker>> = Global::new(None);

/// One warning, with the event and the name (property, option, reason) it concerns.
pub struct Report {
    warning: Warning,
    event: Option<String>,
    detail: Option<String>,
}

impl Report {
    /// A warning about `detail` within `event`.
    pub fn new(warning: Warning, event: Option<&str>, detail: Option<&str>) -> Report {
        Report {
            warning,
            event: event.map(str::to_owned),
            detail: detail.map(str::to_owned),
        }
    }
}

/// Warnings gathered during one API call.
pub type Reports = Vec<Report>;

/// Where warnings go: the `onWarning` callback, and the console in debug mode.
#[derive(Clone, Default)]
pub struct Sink {
    on_warning: JsValue,
    debug: bool,
}

impl Sink {
    /// A sink from the `init` options object.
    pub fn from_options(options: &JsValue, debug: bool) -> Sink {
        Sink {
            on_warning: wasmtrack_browser::convert::get(options, "onWarning"),
            debug,
        }
    }

    /// Delivers one warning about `detail` within `event`. Runs with no state borrowed: the
    /// callback may call back into us.
    #[inline(never)]
    pub fn emit_one(&self, warning: Warning, event: Option<&str>, detail: Option<&str>) {
        let loud =
            self.debug || matches!(warning, Warning::MissingOption | Warning::NotInitialized);
        warn::warn(&self.on_warning, loud, warning.text(), event, detail);
    }

    /// Delivers `reports`, as [`Sink::emit_one`] does each.
    pub fn emit(&self, reports: Reports) {
        for r in reports {
            self.emit_one(r.warning, r.event.as_deref(), r.detail.as_deref());
        }
    }
}

/// The sink of the running tracker (a default sink before `init`).
fn current_sink() -> Sink {
    TRACKER
        .cell()
        .try_borrow()
        .ok()
        .and_then(|t| t.as_ref().map(|t| t.sink.clone()))
        .unwrap_or_default()
}

/// Reports warnings gathered outside the tracker's state.
pub fn emit(reports: Reports) {
    if !reports.is_empty() {
        current_sink().emit(reports);
    }
}

/// Reports one warning about `detail` within `event`, outside the tracker's state.
pub fn warn_one(warning: Warning, event: Option<&str>, detail: Option<&str>) {
    current_sink().emit_one(warning, event, detail);
}

/// Runs `f` on the tracker and reports what it warned about. `None` when `init` has not run
/// (or the call re-entered the tracker from a page callback).
pub fn with<R>(f: impl FnOnce(&mut Tracker, &mut Reports) -> R) -> Option<R> {
    let mut reports = Vec::new();
    let out = match TRACKER.cell().try_borrow_mut() {
        Ok(mut slot) => slot.as_mut().map(|t| f(t, &mut reports)),
        Err(_) => None,
    };
    finish(out.is_some(), reports);
    out
}

// The part of `with` that does not depend on `f`, once rather than in every caller. (Taking
// `f` as `&mut dyn FnMut` instead would cost each caller a vtable and two shims.)
#[inline(never)]
fn finish(ran: bool, mut reports: Reports) {
    if !ran {
        reports.push(Report::new(Warning::NotInitialized, None, None));
    }
    emit(reports);
}

/// Whether `init` has completed.
pub fn is_running() -> bool {
    TRACKER
        .cell()
        .try_borrow()
        .map(|t| t.is_some())
        .unwrap_or(true)
}

/// Starts the tracker, then picks up what earlier pages of the site left unsent.
pub fn start(opts: ResolvedOptions, sink: Sink) {
    let mut reports = Vec::new();
    let tracker = Tracker::new(opts, sink.clone(), &mut reports);
    if let Ok(mut slot) = TRACKER.cell().try_borrow_mut() {
        *slot = Some(tracker);
    }
    sink.emit(reports);
    wake::install(woke);
    lifecycle::follow_page();
    with(|t, _| {
        t.adopt_orphans();
        t.start_autotrack();
    });
}

/// What the browser woke the tracker for (`browser::wake`).
fn woke(w: Woken) {
    with(|t, r| match w.why {
        Wake::FlushTimer => {
            t.flush_timer.fired();
            t.send_next(false, r);
        }
        Wake::RetryTimer => {
            t.retry_timer.fired();
            t.retry_now(r);
        }
        Wake::Heartbeat => {
            t.heartbeat.fired();
            t.beat(r);
        }
        Wake::AdoptTimer => {
            t.adopt_timer.fired();
            t.adopt_orphans();
        }
        Wake::Left => t.leave(r),
        Wake::Back => t.come_back(r),
        Wake::Online => t.back_online(r),
        Wake::Hidden => t.send_next(true, r),
        Wake::Click => t.clicked(w.target, r),
        Wake::Navigated => t.navigated(r),
        Wake::Sent => t.answered(Outcome::from_wake(w.status, w.retry_after, w.body), r),
        Wake::Rules => {
            if let (200, Some(body)) = (w.status, w.body) {
                t.rules_arrived(body, r);
            }
        }
        Wake::Adopt => t.adopt_locked(r),
        Wake::Persist => {
            t.persist_scheduled = false;
            t.persist_now(r);
        }
    });
}

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

/// The tracker's state for this page.
pub struct Tracker {
    opts: ResolvedOptions,
    sink: Sink,
    policy: BatchPolicy,
    overhead: usize,
    store: Store,
    storage_failed: bool,
    consent: Consent,
    /// This page's id: its stored queue is `q:<tab>`.
    tab: String,
    visitor: String,
    session: Option<Session>,
    session_saved_at: u64,
    email: Option<String>,
    uid: Option<String>,
    path_override: Option<String>,
    /// The page calls are being replayed from (stub calls saved by an earlier page).
    replayed_page: Option<wasmtrack_core::context::PageInfo>,
    page_href: String,
    defaults: Props,
    /// The encoded context of the current page state, shared by the events queued in it.
    context: wasmtrack_core::batch::Context,
    queue: SendQueue,
    delivery: Delivery,
    /// Whether `flush()` promises wait for the collector's answer.
    flush_waiting: bool,
    persist_scheduled: bool,
    flush_timer: Timer,
    retry_timer: Timer,
    heartbeat: Timer,
    adopt_timer: Timer,
    /// The site's auto-tracking rules (from storage, then from the collector).
    rules: Vec<wasmtrack_core::autotrack::AutoRule>,
    /// The URL the page-view rules last fired for, and which fired.
    rules_href: String,
    rules_fired: Vec<u64>,
}

impl Tracker {
    fn new(opts: ResolvedOptions, sink: Sink, reports: &mut Reports) -> Tracker {
        let store = Store::probe();
        if !store.is_available() {
            reports.push(Report::new(Warning::StorageUnavailable, None, None));
        }
        let stored_consent = store.get(KEY_CONSENT);
        let consent = match stored_consent.as_deref() {
            Some("out") => Consent::Refused,
            _ if opts.respect_do_not_track && page::asks_not_to_track() => Consent::Refused,
            Some("in") => Consent::Granted,
            _ if opts.require_consent => Consent::Pending,
            _ => Consent::Granted,
        };
        let tab = random::uuid();
        let visitor = match store.get(KEY_VISITOR) {
            Some(v) if wasmtrack_core::uuid::is_uuid(&v) => v,
            _ => random::uuid(),
        };
        let session = store.get(KEY_SESSION).and_then(|s| Session::decode(&s));
        let policy = BatchPolicy {
            max_events: opts.flush_at,
            ..BatchPolicy::default()
        };
        let overhead = batch_overhead(&opts.site);
        let mut tracker = Tracker {
            opts,
            sink,
            policy,
            overhead,
            store,
            storage_failed: false,
            consent,
            tab,
            visitor,
            session,
            session_saved_at: 0,
            email: None,
            uid: None,
            path_override: None,
            replayed_page: None,
            page_href: String::new(),
            defaults: Vec::new(),
            context: Rc::default(),
            queue: SendQueue::default(),
            delivery: Delivery::Ready { failures: 0 },
            flush_waiting: false,
            persist_scheduled: false,
            flush_timer: Timer::new(Wake::FlushTimer),
            retry_timer: Timer::new(Wake::RetryTimer),
            heartbeat: Timer::new(Wake::Heartbeat),
            adopt_timer: Timer::new(Wake::AdoptTimer),
            rules: Vec::new(),
            rules_href: String::new(),
            rules_fired: Vec::new(),
        };
        if tracker.consent == Consent::Granted {
            tracker.store_set(KEY_VISITOR, &tracker.visitor.clone(), reports);
        }
        tracker.refresh_page();
        tracker
    }

    /// Whether this page may write to storage now.
    fn may_store(&self) -> bool {
        self.consent == Consent::Granted && !self.storage_failed && self.store.is_available()
    }

    /// Writes a key; a failing write (quota, disabled) switches the page to memory for good,
    /// with one warning.
    fn store_set(&mut self, key: &str, value: &str, reports: &mut Reports) {
        if !self.may_store() {
            return;
        }
        if !self.store.set(key, value) {
            self.storage_failed = true;
            reports.push(Report::new(Warning::StorageUnavailable, None, Some(key)));
        }
    }

    fn refresh_page(&mut self) {
        let info = page::read(self.path_override.clone(), self.replayed_page.as_ref());
        self.page_href = match self.replayed_page {
            Some(_) => page::href(),
            None => info.href.clone(),
        };
        self.defaults = default_properties(&info);
        self.refresh_context();
    }

    fn refresh_context(&mut self) {
        let sid = self.session.as_ref().map_or("", |s| s.id.as_str());
        self.context = Rc::new(encode_context(
            &self.visitor,
            sid,
            &self.email,
            &self.uid,
            &self.defaults,
        ));
    }

    /// Queues an event named `name` (already normalized) with cleaned `props`, which happened
    /// at `occurred_at` (epoch ms, the page's own `occurredAt`) or now.
    pub fn enqueue(
        &mut self,
        name: String,
        props: Props,
        occurred_at: Option<f64>,
        reports: &mut Reports,
    ) {
        if self.consent == Consent::Refused {
            return;
        }
        if page::href() != self.page_href {
            self.refresh_page();
        }
        let now = wasmtrack_core::options::event_time(occurred_at, wasmtrack_browser::js::now());
        let mut new_session = false;
        let session = Session::touch(self.session.take(), now, || {
            new_session = true;
            random::uuid()
        });
        let save =
            new_session || now.saturating_sub(self.session_saved_at) >= SESSION_SAVE_EVERY_MS;
        let encoded = save.then(|| session.encode());
        self.session = Some(session);
        if new_session {
            self.refresh_context();
        }
        if let Some(encoded) = encoded {
            self.store_set(KEY_SESSION, &encoded, reports);
            self.session_saved_at = now;
        }
        let id = random::uuid();
        let entry = Entry {
            ctx: self.context.clone(),
            body: encode_event_body(&id, &name, now, &props),
        };
        let full = self.queue.push(entry, &self.policy);
        let dropped = self
            .queue
            .bound(self.opts.max_queue_events, self.opts.max_queue_bytes);
        if dropped > 0 {
            reports.push(Report::new(Warning::QueueOverflow, Some(&name), None));
        }
        self.persist_soon();
        if full {
            self.send_next(false, reports);
        } else {
            self.flush_timer.start(self.opts.flush_interval_ms);
        }
    }

    /// Sets the contact the following events belong to.
    pub fn identify(&mut self, email: Option<String>, uid: Option<String>) {
        if email.is_some() {
            self.email = email;
        }
        if uid.is_some() {
            self.uid = uid;
        }
        self.refresh_context();
    }

    /// Sets the path reported by following events (single-page apps).
    pub fn set_path(&mut self, path: String) {
        self.path_override = Some(path);
        self.refresh_page();
    }

    /// Attributes the following events to `page` (a page whose stub calls are being replayed),
    /// or to the current page again with `None`.
    pub fn replay_from(&mut self, page: Option<wasmtrack_core::context::PageInfo>) {
        self.replayed_page = page;
        self.refresh_page();
    }

    /// Re-reads the page (title, referrer…) before a page view.
    pub fn reread_page(&mut self) {
        self.refresh_page();
    }

    /// Stops tracking and forgets this browser, persistently: the queue, the visitor and the
    /// session are removed; only the refusal itself is kept, so that it lasts.
    pub fn opt_out(&mut self) {
        self.consent = Consent::Refused;
        self.queue.clear();
        self.flush_timer.cancel();
        self.retry_timer.cancel();
        self.heartbeat.cancel();
        // Everything the tracker ever wrote (queues, ids, the rules cache) goes.
        for key in self.store.keys("") {
            self.store.remove(&key);
        }
        let _ = self.store.set(KEY_CONSENT, "out");
    }

    /// Tracks again, persistently; events held for consent are stored and sent now.
    pub fn opt_in(&mut self, reports: &mut Reports) {
        self.consent = Consent::Granted;
        self.store_set(KEY_CONSENT, "in", reports);
        self.store_set(KEY_VISITOR, &self.visitor.clone(), reports);
        self.persist_now(reports);
        self.adopt_orphans();
        self.send_next(false, reports);
    }
}
