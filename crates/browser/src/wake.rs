//! How the browser calls the tracker back. Every callback (timers, page events, request
//! answers, locks, microtasks; `js/shell.js`) calls one plain wasm function, [`wake`], with a
//! [`Wake`] number and a status; what else came with it (a body, a header, a click's target)
//! waits in the shell until the tracker asks. No wasm-bindgen closure at all: a closure costs
//! its invoke and destroy shims, a `FinalizationRegistry` and their glue in every page load,
//! while a function pointer is just an index into the function table the shell calls through.

use crate::global::Global;
use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/shell.js")]
extern "C" {
    fn set_waker(table: &JsValue, index: u32);
    /// What the current wake-up carries: `0` the `Retry-After` header, `1` the response body,
    /// `2` the events a collector's answer refused (`name` U+0001 `reason`, a line each).
    fn woken_text(which: u32) -> Option<String>;
    fn woken_target() -> JsValue;
}

static HANDLER: Global<Option<fn(Woken)>> = Global::new(None);

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
    /// The collector answered a batch; comes with status, `Retry-After` and the refused events.
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
        [
            FlushTimer, RetryTimer, Heartbeat, AdoptTimer, Left, Back, Online, Hidden, Click,
            Navigated, Sent, Rules, Adopt, Persist,
        ]
        .get(n as usize)
        .copied()
    }
}

/// What a wake-up carries: for [`Wake::Sent`] and [`Wake::Rules`] the HTTP status (0: no
/// answer) and `Retry-After`; the body for [`Wake::Rules`], the events the collector refused
/// for [`Wake::Sent`]; for [`Wake::Click`] the event's target.
pub struct Woken {
    /// Why.
    pub why: Wake,
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The response body ([`Wake::Rules`]), or the refused events, `name` U+0001 `reason`
    /// a line each ([`Wake::Sent`]; read from the body by the shell).
    pub body: Option<String>,
    /// The click's target.
    pub target: JsValue,
}

/// Sends every wake-up to `handler`, for the page's life.
pub fn install(handler: fn(Woken)) {
    *HANDLER.cell().borrow_mut() = Some(handler);
    let raw: extern "C" fn(u32, u32) = wake;
    set_waker(&wasm_bindgen::function_table(), raw as usize as u32);
}

/// What the shell calls, through the function table, with plain numbers.
extern "C" fn wake(n: u32, status: u32) {
    let handler = *HANDLER.cell().borrow();
    if let (Some(handler), Some(why)) = (handler, Wake::from_number(n)) {
        let carries = matches!(why, Wake::Sent | Wake::Rules);
        let body = match why {
            Wake::Sent => woken_text(2),
            Wake::Rules => woken_text(1),
            _ => None,
        };
        handler(Woken {
            why,
            status: status as u16,
            retry_after: if carries { woken_text(0) } else { None },
            body,
            target: if why == Wake::Click {
                woken_target()
            } else {
                JsValue::UNDEFINED
            },
        });
    }
}
