//! How the browser calls the tracker back. Every callback (timers, page events, request
//! answers, locks, microtasks; `wake.js` and its neighbours) calls one plain wasm function,
//! [`wake`], with a [`Wake`] code and a status; what else came with it (a body, a header)
//! waits in the shell until the tracker asks. No wasm-bindgen closure at all:
//! a closure costs its invoke and destroy shims, a `FinalizationRegistry` and their glue in
//! every page load, while a function pointer is just an index into the function table the
//! shell calls through. The codes are named in `protocol.rs`.

use crate::global::Global;
use crate::protocol::Carried;
pub use crate::protocol::Wake;
use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/wake.js")]
extern "C" {
    fn set_waker(table: &JsValue, index: u32);
    /// What the current wake-up carries ([`Carried`]).
    fn woken_text(which: u32) -> Option<String>;
}

static HANDLER: Global<Option<fn(Woken)>> = Global::new(None);

/// What a wake-up carries: for [`Wake::Sent`] and [`Wake::Rules`] the HTTP status (0: no
/// answer) and `Retry-After`; the body for [`Wake::Rules`], the events the collector refused
/// for [`Wake::Sent`].
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
            Wake::Sent => woken_text(Carried::Refused as u32),
            Wake::Rules => woken_text(Carried::Body as u32),
            _ => None,
        };
        handler(Woken {
            why,
            status: status as u16,
            retry_after: if carries {
                woken_text(Carried::RetryAfter as u32)
            } else {
                None
            },
            body,
        });
    }
}
