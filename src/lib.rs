//! wasmtrack: a custom behavioral event tracker for websites.
//!
//! This crate is the tracking script and this file is its whole JS API surface; every
//! function takes plain JS values, never throws for bad input, and reports what it cut or
//! dropped through `onWarning`. What it decides lives in `wasmtrack-core` (browser-free,
//! shared with the collector); how it reaches the page lives in `wasmtrack-browser`.
//!
//! On other targets the crate is empty: it is compiled and linted for `wasm32` only.
#![cfg(target_arch = "wasm32")]
// std's panic and formatting machinery would be ~15 KB of every page load: the tracker is
// `no_std` (with `alloc`); the browser tests link std with `--no-default-features`.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

mod tracker;

/// The shipped build's allocator: talc, about 1 KB of wasm (std's dlmalloc is about 8 KB).
#[cfg(feature = "tiny")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The shipped build has no panic messages: a panic traps, and the JS wrappers around every
/// call catch the trap, so the page never sees it (see `js/commands.js`).
#[cfg(feature = "tiny")]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo) -> ! {
    ::core::arch::wasm32::unreachable()
}

pub use api::*;

mod api {
    use crate::tracker;
    use crate::tracker::warnings::{self, report, Sink};
    use alloc::vec::Vec;
    use wasm_bindgen::prelude::*;
    use wasmtrack_browser::convert::{self, get, get_bool, get_f64, get_string};
    use wasmtrack_core::event::{event_name, IDENTIFY, PAGE_VIEW};
    use wasmtrack_core::options::{InitOptions, ResolvedOptions};
    use wasmtrack_core::properties::clean_properties;
    use wasmtrack_core::warning::Warning;

    #[wasm_bindgen(typescript_custom_section)]
    const TS_TYPES: &'static str = r#"
/** Options of `init`. */
export interface InitOptions {
  /** Base URL of the collector; batches are posted to `{collector}/v1/collect`. Required. */
  collector: string;
  /** Site id the collector knows this site by. Required. */
  site: string;
  /** Print every warning to the console. Default `false`. */
  debug?: boolean;
  /** Receives every truncation, drop and delivery problem. Default: none. */
  onWarning?: (warning: TrackerWarning) => void;
  /** Track a page view as soon as `init` runs. Default `true`. */
  autoPageView?: boolean;
  /** Send as soon as this many events are queued (a request then carries every queued event, up to 512 KiB; 60 KB when the page is left). Default `20`, range 1–100. */
  flushAt?: number;
  /** Send queued events at least this often, in milliseconds. Default `2000`, range 250–60000. */
  flushInterval?: number;
  /** Hold every event in memory, and write nothing to storage or cookies, until `optIn()`. Default `false`. */
  requireConsent?: boolean;
  /** Track nothing while the browser sends Do Not Track or Global Privacy Control. Default `false`. */
  respectDoNotTrack?: boolean;
  /** Most events kept queued (memory and `localStorage`); the oldest are dropped first, with a warning. Default `1000`, range 100–10000. */
  maxQueueEvents?: number;
  /** URL of the visualizer module (`visualizer.js`). Default: `{collector}/dist/visualizer.js`; the script tag uses the file beside `wasmtrack.js`. */
  visualizerUrl?: string;
}

/** What `onWarning` receives. */
export interface TrackerWarning {
  /** Stable identifier, e.g. `"value_truncated"`. */
  code: string;
  /** A sentence for people. */
  message: string;
  /** The event concerned, when there is one. */
  event?: string;
  /** The property or option concerned, as the page spelled it. */
  name?: string;
}

/** A property value: arrays are sent `;`-joined, dates as epoch milliseconds; `null` and `undefined` are dropped. */
export type PropertyValue = string | number | bigint | boolean | Date | null | undefined | ReadonlyArray<string | number | boolean | Date | null | undefined>;

/** The argument of `trackCustomBehavioralEvent`. */
export interface CustomBehavioralEvent {
  /** Internal event name; lowercased, cut to 50 characters. */
  name: string;
  /** Up to 50 properties; names are lowercased and cut to 50, values cut to 256 (1024 for URLs). */
  properties?: Record<string, PropertyValue>;
  /** When it happened (epoch ms or a Date), e.g. for events recorded offline. Default: now. Times in the future or over 7 days old are replaced by now. */
  occurredAt?: number | Date;
}

/** Who the visitor is: an email address or your own contact id. */
export type Identity = { email: string; id?: string } | { id: string; email?: string };
"#;

    /// Starts the tracker. Resolves once it runs; never rejects (problems go to `onWarning`).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn init(#[wasm_bindgen(unchecked_param_type = "InitOptions")] options: JsValue) -> JsValue {
        let debug = get_bool(&options, "debug").unwrap_or(false);
        let sink = Sink::from_options(&options, debug);
        if tracker::is_running() {
            sink.emit_one(Warning::AlreadyInitialized, None, None);
            return wasmtrack_browser::js::resolved();
        }
        let raw = InitOptions {
            collector: get_string(&options, "collector"),
            site: get_string(&options, "site"),
            debug: Some(debug),
            auto_page_view: get_bool(&options, "autoPageView"),
            flush_at: get_f64(&options, "flushAt"),
            flush_interval_ms: get_f64(&options, "flushInterval"),
            require_consent: get_bool(&options, "requireConsent"),
            respect_do_not_track: get_bool(&options, "respectDoNotTrack"),
            max_queue_events: get_f64(&options, "maxQueueEvents"),
            visualizer_url: get_string(&options, "visualizerUrl"),
        };
        match ResolvedOptions::resolve(raw) {
            Ok(opts) => {
                let page_view = opts.auto_page_view;
                let visualizer = tracker::Tracker::take_visualizer_token();
                tracker::start(opts, sink, get(&options, "__autotrack"));
                if page_view {
                    track_page_view();
                }
                if let Some(token) = &visualizer {
                    tracker::with(|t| t.open_visualizer(token));
                }
            }
            Err(w) => sink.emit_one(w, None, None),
        }
        wasmtrack_browser::js::resolved()
    }

    /// Tracks one completion of a custom event: `{ name, properties }`.
    #[wasm_bindgen(js_name = trackCustomBehavioralEvent)]
    pub fn track_custom_behavioral_event(
        #[wasm_bindgen(unchecked_param_type = "CustomBehavioralEvent")] event: JsValue,
    ) {
        // Everything is read from the page before the tracker's state is borrowed, so a
        // property getter that calls back into the API cannot collide with it.
        let (raw_name, props) = match event.as_string() {
            Some(name) => (name, JsValue::UNDEFINED),
            None => (
                get_string(&event, "name").unwrap_or_default(),
                get(&event, "properties"),
            ),
        };
        let Some(name) = event_name(&raw_name, &mut |w| report(w, Some(&raw_name), None)) else {
            return warnings::deliver();
        };
        let props = if convert::is_plain_object(&props) {
            clean_properties(convert::entries(&props), &mut |w, key| {
                report(w, Some(&name), Some(key))
            })
        } else {
            if !props.is_undefined() && !props.is_null() {
                report(Warning::BadArgument, Some(&name), Some("properties"));
            }
            Vec::new()
        };
        let at = get(&event, "occurredAt");
        let occurred_at = match convert::raw_value(&at, 0) {
            wasmtrack_core::value::RawValue::Date(ms) => Some(ms),
            _ => at.as_f64(),
        };
        // The warnings of cleaning are delivered with those of queueing, once the state is free.
        tracker::with(|t| t.enqueue(name, props, occurred_at));
    }

    /// Internal, for the script-tag loader: attributes the following calls to an earlier page
    /// (`{ url, referrer, title }`) whose stub calls are being replayed; `null` ends it.
    #[wasm_bindgen(js_name = __replayPage)]
    pub fn replay_page(page: JsValue) {
        let info =
            (!page.is_null() && !page.is_undefined()).then(|| wasmtrack_core::context::PageInfo {
                href: get_string(&page, "url").unwrap_or_default(),
                referrer: get_string(&page, "referrer").unwrap_or_default(),
                title: get_string(&page, "title").unwrap_or_default(),
                ..wasmtrack_core::context::PageInfo::default()
            });
        tracker::with(|t| t.replay_from(info));
    }

    /// Says who the visitor is: `{ email }` or `{ id }`. Their earlier events join that contact.
    #[wasm_bindgen]
    pub fn identify(#[wasm_bindgen(unchecked_param_type = "Identity")] who: JsValue) {
        let email = get_string(&who, "email").filter(|e| !e.is_empty());
        let id = get(&who, "id");
        let uid = id
            .as_string()
            .or_else(|| id.as_f64().map(|_| convert::number_text(&id)));
        if email.is_none() && uid.is_none() {
            warn_now(Warning::BadArgument, Some(IDENTIFY), None);
            return;
        }
        tracker::with(|t| {
            t.identify(email, uid);
            t.enqueue(IDENTIFY.into(), Vec::new(), None);
        });
    }

    /// Sets the path that following events and page views report (single-page apps).
    #[wasm_bindgen(js_name = setPath)]
    pub fn set_path(#[wasm_bindgen(unchecked_param_type = "string")] path: JsValue) {
        match path.as_string() {
            Some(p) => {
                tracker::with(|t| t.set_path(p));
            }
            None => warn_now(Warning::BadArgument, None, Some("path")),
        }
    }

    /// Tracks a view of the current page (done by `init` unless `autoPageView` is false).
    #[wasm_bindgen(js_name = trackPageView)]
    pub fn track_page_view() {
        tracker::with(|t| {
            t.reread_page();
            t.enqueue(PAGE_VIEW.into(), Vec::new(), None);
        });
    }

    /// Opens the event visualizer on this page with a token the collector issued
    /// (`POST /v1/visualizer/tokens`). The same happens on load for a URL with
    /// `?wt_visualize=<token>`. The visualizer is a separate module, loaded only now.
    #[wasm_bindgen(js_name = openVisualizer)]
    pub fn open_visualizer(
        #[wasm_bindgen(unchecked_param_type = "{ token: string }")] options: JsValue,
    ) {
        match get_string(&options, "token").filter(|t| !t.is_empty()) {
            Some(token) => {
                tracker::with(|t| t.open_visualizer(&token));
            }
            None => warn_now(Warning::BadArgument, None, Some("token")),
        }
    }

    /// Internal, for the loaders (`js/commands.js`): a call into the tracker threw. If that left
    /// its state stuck, the tracker says `tracker_unavailable` now and at every later call,
    /// instead of `not_initialized` forever.
    #[wasm_bindgen(js_name = __trapped)]
    pub fn trapped() {
        tracker::note_trap();
    }

    /// Reports one warning at once, outside the tracker's state.
    fn warn_now(warning: Warning, event: Option<&str>, detail: Option<&str>) {
        report(warning, event, detail);
        warnings::deliver();
    }

    /// Sends every queued event now. Resolves when the collector has answered.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn flush() -> JsValue {
        tracker::with(|t| t.flush()).unwrap_or_else(wasmtrack_browser::js::resolved)
    }

    /// Stops all tracking in this browser, persistently, and forgets its visitor id.
    #[wasm_bindgen(js_name = optOut)]
    pub fn opt_out() {
        tracker::with(|t| t.opt_out());
    }

    /// Tracks again after `optOut`, or gives the consent `requireConsent` waits for;
    /// persistently. Events held until now are stored and sent.
    #[wasm_bindgen(js_name = optIn)]
    pub fn opt_in() {
        tracker::with(|t| t.opt_in());
    }

    /// Debug builds print Rust panics to the console (release builds abort without text).
    #[cfg(feature = "debug-panic")]
    #[wasm_bindgen(start)]
    fn start() {
        console_error_panic_hook::set_once();
    }
}
