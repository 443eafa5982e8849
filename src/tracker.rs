//! The running tracker: the one piece of state of a page, and the operations the JS API in
//! `lib.rs` performs on it.
//!
//! State lives in a thread-local `RefCell`, borrowed only with `try_borrow_mut`, so a page
//! callback that re-enters the API (an `onWarning` that tracks, a getter that tracks) is
//! refused with a warning instead of panicking. Warnings are collected while the state is
//! borrowed and reported after it is released, for the same reason.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::browser::listener::EventListener;
use crate::browser::random::RandomPool;
use crate::browser::storage::Store;
use crate::browser::timer::Timer;
use crate::browser::transport::{self, Outcome};
use crate::browser::{console, page};
use crate::core::batch::{BatchPolicy, SendQueue};
use crate::core::context::default_properties;
use crate::core::options::ResolvedOptions;
use crate::core::payload::{batch_overhead, encode_batch, WireEvent};
use crate::core::properties::Props;
use crate::core::session::Session;
use crate::core::warning::Warning;
use crate::single_thread::Global;

const KEY_VISITOR: &str = "vid";
const KEY_SESSION: &str = "sid";
const KEY_CONSENT: &str = "consent";
/// The session's last-seen time is written at most this often (ms): a storage write on every
/// `track` call would cost more than the rest of the call.
const SESSION_SAVE_EVERY_MS: u64 = 5_000;

static TRACKER: Global<Option<Tracker>> = Global::new(None);

/// One warning, with the event and the name (property, option) it concerns.
pub struct Report {
    warning: Warning,
    event: Option<String>,
    detail: Option<String>,
}

impl Report {
    /// A warning about `detail` within `event`.
    pub fn new(warning: Warning, event: Option<&str>, detail: Option<&str>) -> Report {
        Report { warning, event: event.map(str::to_owned), detail: detail.map(str::to_owned) }
    }
}

/// Warnings gathered during one API call.
pub type Reports = Vec<Report>;

/// Where warnings go: the `onWarning` callback, and the console in debug mode.
#[derive(Clone, Default)]
pub struct Sink {
    on_warning: Option<Function>,
    debug: bool,
}

impl Sink {
    /// A sink from the `init` options object.
    pub fn from_options(options: &JsValue, debug: bool) -> Sink {
        let on_warning = crate::browser::convert::get(options, "onWarning").dyn_into::<Function>().ok();
        Sink { on_warning, debug }
    }

    /// Delivers `reports`. Runs with no state borrowed: the callback may call back into us.
    pub fn emit(&self, reports: Reports) {
        for r in reports {
            let event = r.event.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
            let detail = r.detail.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
            if self.debug || matches!(r.warning, Warning::MissingOption | Warning::NotInitialized) {
                console::warn(r.warning.message(), &detail);
            }
            if let Some(callback) = &self.on_warning {
                let info = Object::new();
                let _ = Reflect::set(&info, &"code".into(), &r.warning.code().into());
                let _ = Reflect::set(&info, &"message".into(), &r.warning.message().into());
                let _ = Reflect::set(&info, &"event".into(), &event);
                let _ = Reflect::set(&info, &"name".into(), &detail);
                // A throwing callback is the page's own bug; it must not become ours.
                let _ = callback.call1(&JsValue::NULL, &info);
            }
        }
    }
}

/// The sink of the running tracker (a default sink before `init`).
fn current_sink() -> Sink {
    TRACKER.cell().try_borrow().ok().and_then(|t| t.as_ref().map(|t| t.sink.clone())).unwrap_or_default()
}

/// Reports warnings gathered outside the tracker's state.
pub fn emit(reports: Reports) {
    if !reports.is_empty() {
        current_sink().emit(reports);
    }
}

/// Runs `f` on the tracker and reports what it warned about. `None` when `init` has not run
/// (or the call re-entered the tracker from a page callback).
pub fn with<R>(f: impl FnOnce(&mut Tracker, &mut Reports) -> R) -> Option<R> {
    let mut reports = Vec::new();
    let out = match TRACKER.cell().try_borrow_mut() {
        Ok(mut slot) => slot.as_mut().map(|t| f(t, &mut reports)),
        Err(_) => None,
    };
    if out.is_none() {
        reports.push(Report::new(Warning::NotInitialized, None, None));
    }
    emit(reports);
    out
}

/// Whether `init` has completed.
pub fn is_running() -> bool {
    TRACKER.cell().try_borrow().map(|t| t.is_some()).unwrap_or(true)
}

/// Starts the tracker; the page-lifecycle listeners it installs live as long as it does.
pub fn start(opts: ResolvedOptions, sink: Sink) {
    let mut reports = Vec::new();
    let tracker = Tracker::new(opts, sink.clone(), &mut reports);
    if let Ok(mut slot) = TRACKER.cell().try_borrow_mut() {
        *slot = Some(tracker);
    }
    sink.emit(reports);
}

/// The tracker's state for this page.
pub struct Tracker {
    opts: ResolvedOptions,
    sink: Sink,
    policy: BatchPolicy,
    overhead: usize,
    store: Store,
    random: RandomPool,
    visitor: String,
    session: Option<Session>,
    session_saved_at: u64,
    email: Option<String>,
    uid: Option<String>,
    path_override: Option<String>,
    page_href: String,
    defaults: Props,
    queue: SendQueue,
    opted_out: bool,
    timer: Timer,
    _listeners: Vec<EventListener>,
}

impl Tracker {
    fn new(opts: ResolvedOptions, sink: Sink, reports: &mut Reports) -> Tracker {
        let store = Store::probe();
        if !store.is_available() {
            reports.push(Report::new(Warning::StorageUnavailable, None, None));
        }
        let opted_out = store.get(KEY_CONSENT).as_deref() == Some("out");
        let mut random = RandomPool::new();
        let visitor = match store.get(KEY_VISITOR) {
            Some(v) if crate::core::uuid::is_uuid(&v) => v,
            _ => {
                let v = random.uuid();
                if !opted_out {
                    store.set(KEY_VISITOR, &v);
                }
                v
            }
        };
        let session = store.get(KEY_SESSION).and_then(|s| Session::decode(&s));
        let policy = BatchPolicy { max_events: opts.flush_at, ..BatchPolicy::default() };
        let overhead = batch_overhead(&opts.site);
        let mut tracker = Tracker {
            opts,
            sink,
            policy,
            overhead,
            store,
            random,
            visitor,
            session,
            session_saved_at: 0,
            email: None,
            uid: None,
            path_override: None,
            page_href: String::new(),
            defaults: Vec::new(),
            queue: SendQueue::default(),
            opted_out,
            timer: Timer::new(|| {
                with(|t, r| {
                    t.timer.fired();
                    let _ = t.send_all(r);
                });
            }),
            _listeners: lifecycle_listeners(),
        };
        tracker.refresh_page();
        tracker
    }

    fn refresh_page(&mut self) {
        let info = page::read(self.path_override.clone());
        self.page_href = info.href.clone();
        self.defaults = default_properties(&info);
    }

    /// Queues an event named `name` (already normalized) with cleaned `props`.
    pub fn enqueue(&mut self, name: String, props: Props, reports: &mut Reports) {
        if self.opted_out {
            return;
        }
        if page::href() != self.page_href {
            self.refresh_page();
        }
        let now = js_sys::Date::now() as u64;
        let random = &mut self.random;
        let session = Session::touch(self.session.take(), now, || random.uuid());
        let new_session = self.session_saved_at == 0 || now.saturating_sub(self.session_saved_at) >= SESSION_SAVE_EVERY_MS;
        if new_session {
            self.store.set(KEY_SESSION, &session.encode());
            self.session_saved_at = now;
        }
        let event = WireEvent {
            id: self.random.uuid(),
            name,
            ts: now,
            vid: self.visitor.clone(),
            sid: session.id.clone(),
            email: self.email.clone(),
            uid: self.uid.clone(),
            props,
            defaults: self.defaults.clone(),
        };
        self.session = Some(session);
        if self.queue.push(event.encode(), &self.policy, self.overhead) {
            let _ = self.send_all(reports);
        } else {
            self.arm_timer();
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
    }

    /// Sets the path reported by following events (single-page apps).
    pub fn set_path(&mut self, path: String) {
        self.path_override = Some(path);
        self.refresh_page();
    }

    /// Re-reads the page (title, referrer…) before a page view.
    pub fn reread_page(&mut self) {
        self.refresh_page();
    }

    /// Stops tracking and forgets this browser, persistently.
    pub fn opt_out(&mut self) {
        self.opted_out = true;
        self.queue = SendQueue::default();
        self.timer.cancel();
        self.store.remove(KEY_VISITOR);
        self.store.remove(KEY_SESSION);
        self.store.set(KEY_CONSENT, "out");
    }

    /// Resumes tracking after `opt_out`.
    pub fn opt_in(&mut self) {
        self.opted_out = false;
        self.store.set(KEY_CONSENT, "in");
        self.store.set(KEY_VISITOR, &self.visitor);
    }

    fn arm_timer(&mut self) {
        if !self.queue.is_empty() {
            self.timer.start(self.opts.flush_interval_ms);
        }
    }

    /// Sends everything queued with `fetch`; the promise settles when every request has.
    pub fn send_all(&mut self, _reports: &mut Reports) -> Promise {
        self.timer.cancel();
        let url = self.opts.collect_url();
        let sends = js_sys::Array::new();
        while !self.queue.is_empty() {
            let batch = self.queue.take_batch(&self.policy, self.overhead);
            let body = encode_batch(&self.opts.site, js_sys::Date::now() as u64, batch.iter().map(String::as_str));
            sends.push(&transport::post(&url, &body, move |outcome| on_sent(outcome, batch)));
        }
        Promise::all(&sends)
    }

    /// Sends everything queued with `sendBeacon`, for a page that is being hidden or left.
    /// A beacon the browser refuses is split in half and tried again; a single event that is
    /// still refused goes by `fetch` with `keepalive`.
    pub fn send_by_beacon(&mut self) {
        self.timer.cancel();
        let url = self.opts.collect_url();
        while !self.queue.is_empty() {
            let batch = self.queue.take_batch(&self.policy, self.overhead);
            self.beacon_or_split(&url, batch);
        }
    }

    fn beacon_or_split(&mut self, url: &str, batch: Vec<String>) {
        let body = encode_batch(&self.opts.site, js_sys::Date::now() as u64, batch.iter().map(String::as_str));
        if transport::beacon(url, &body) {
            return;
        }
        if batch.len() == 1 {
            let _ = transport::post(url, &body, move |outcome| on_sent(outcome, batch));
            return;
        }
        let mut first = batch;
        let second = first.split_off(first.len() / 2);
        self.beacon_or_split(url, first);
        self.beacon_or_split(url, second);
    }
}

/// What to do with a batch once the collector answered (or did not).
fn on_sent(outcome: Outcome, batch: Vec<String>) {
    let retry = match outcome {
        Outcome::Answered(status) if (200..300).contains(&status) => return,
        Outcome::Answered(status) if status == 429 || status >= 500 => true,
        Outcome::Answered(_) => false,
        Outcome::NetworkError => true,
    };
    with(|t, r| {
        if retry {
            r.push(Report::new(Warning::SendFailed, None, None));
            t.queue.unshift(batch);
            t.arm_timer();
        } else {
            r.push(Report::new(Warning::BatchRejected, None, None));
        }
    });
}

/// Hidden or left: send now, synchronously, by beacon. `pagehide`, never `unload`, so the
/// page stays eligible for the back/forward cache.
fn lifecycle_listeners() -> Vec<EventListener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let mut listeners = vec![EventListener::new(&window, "pagehide", false, |_| {
        with(|t, _| t.send_by_beacon());
    })];
    if let Some(document) = window.document() {
        listeners.push(EventListener::new(&document, "visibilitychange", false, |_| {
            if page::is_hidden() {
                with(|t, _| t.send_by_beacon());
            }
        }));
    }
    listeners
}
