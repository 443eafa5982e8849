//! How the browser calls the tracker back. Every callback (timers, page events, request
//! answers, locks, microtasks; `js/shell.js`) calls one function with a [`Wake`] number and
//! what came with it, rather than each being a wasm-bindgen closure: one closure made once
//! instead of eight closure types with their shims, tables and bookkeeping in every page load.

use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/shell.js")]
extern "C" {
    fn set_waker(f: &JsValue);
}

/// Why the browser woke the tracker. The numbers are what `js/shell.js` passes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The batch timer: send what waits.
    FlushTimer = 0,
    /// The backoff is over.
    RetryTimer = 1,
    /// Rewrite the stored queue so other tabs see this page alive.
    Heartbeat = 2,
    /// Look again for queues of pages that are gone.
    AdoptTimer = 3,
    /// `pagehide`.
    Left = 4,
    /// `pageshow` from the back/forward cache.
    Back = 5,
    /// `online`.
    Online = 6,
    /// `visibilitychange` to hidden.
    Hidden = 7,
    /// A click anywhere; comes with its target.
    Click = 8,
    /// `pushState`, `replaceState` or `popstate`.
    Navigated = 9,
    /// The collector answered a batch; comes with status, `Retry-After` and body.
    Sent = 10,
    /// The collector answered the rules request; comes with status and body.
    Rules = 11,
    /// The adoption lock is held.
    Adopt = 12,
    /// The end of the task in which events were queued: store them.
    Persist = 13,
}

impl Wake {
    fn from_number(n: u32) -> Option<Wake> {
        use Wake::*;
        [FlushTimer, RetryTimer, Heartbeat, AdoptTimer, Left, Back, Online, Hidden, Click, Navigated, Sent, Rules, Adopt, Persist]
            .get(n as usize)
            .copied()
    }
}

/// What a wake-up carries: for [`Wake::Sent`] and [`Wake::Rules`] the HTTP status (0: no
/// answer), `Retry-After` and the body; for [`Wake::Click`] the event's target.
pub struct Woken {
    /// Why.
    pub why: Wake,
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The response body.
    pub body: Option<String>,
    /// The click's target.
    pub target: JsValue,
}

/// Sends every wake-up to `handler`, for the page's life.
pub fn install(handler: fn(Woken)) {
    let callback = Closure::<dyn FnMut(u32, u32, Option<String>, Option<String>, JsValue)>::new(
        move |n: u32, status: u32, retry_after: Option<String>, body: Option<String>, target: JsValue| {
            if let Some(why) = Wake::from_number(n) {
                handler(Woken { why, status: status as u16, retry_after, body, target });
            }
        },
    );
    set_waker(&callback.into_js_value());
}
