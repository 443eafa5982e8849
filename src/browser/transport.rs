//! Getting a batch to the collector: `fetch` with `keepalive` while the page lives, and a
//! synchronous `sendBeacon` when it is being hidden or left (an awaited promise would be cut
//! off). Bodies are `text/plain`, a CORS "simple" request, so no preflight is needed.

use alloc::rc::Rc;
use alloc::string::String;
use core::cell::Cell;
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    // `then` with plain functions: the callbacks are self-freeing `once_into_js` closures,
    // which js-sys's typed `then2(&Closure, &Closure)` cannot take.
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then_js(this: &Thenable, resolve: &JsValue, reject: &JsValue) -> Promise;
}

/// `promise.then(resolve, reject)` with plain function values.
fn then(promise: &Promise, resolve: &JsValue, reject: &JsValue) -> Promise {
    promise.unchecked_ref::<Thenable>().then_js(resolve, reject)
}

/// What came of a `fetch`.
pub enum Outcome {
    /// The collector answered.
    Answered {
        /// HTTP status.
        status: u16,
        /// The `Retry-After` header, if the collector sent (and exposed) one.
        retry_after: Option<String>,
        /// The response body (the collector's per-event verdicts).
        body: String,
    },
    /// No answer: offline, DNS, CORS, connection reset.
    NetworkError,
}

/// Posts `body` to `url`; `done` runs once with the outcome. Returns the promise of the
/// `fetch` chain, for callers that want to wait (`flush()`).
pub fn post(url: &str, body: &str, done: impl FnOnce(Outcome) + 'static) -> Promise {
    request(url, Some(body), done)
}

/// `GET url`; `done` runs once with the outcome. The browser's HTTP cache revalidates with
/// the response's `ETag` by itself (a hand-set `If-None-Match` would cost a CORS preflight).
pub fn get(url: &str, done: impl FnOnce(Outcome) + 'static) -> Promise {
    request(url, None, done)
}

fn request(url: &str, body: Option<&str>, done: impl FnOnce(Outcome) + 'static) -> Promise {
    let Some(window) = web_sys::window() else {
        done(Outcome::NetworkError);
        return Promise::resolve(&JsValue::UNDEFINED);
    };
    let init = RequestInit::new();
    if let Some(body) = body {
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
        // keepalive lets the request outlive the page; browsers cap its body at 64 KiB, which
        // the batch policy respects. (web-sys has no setter for it yet.)
        let keepalive = body.len() < crate::core::batch::BEACON_LIMIT;
        let _ = Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::from_bool(keepalive));
    } else {
        init.set_cache(web_sys::RequestCache::NoCache);
    }
    // Exactly one of the two callbacks runs; the shared cell hands `done` to whichever does.
    let done = Rc::new(Cell::new(Some(done)));
    let on_error = {
        let done = done.clone();
        Closure::once_into_js(move |_: JsValue| {
            if let Some(f) = done.take() {
                f(Outcome::NetworkError);
            }
        })
    };
    let on_response = Closure::once_into_js(move |resp: JsValue| -> JsValue {
        let resp: Response = resp.unchecked_into();
        let status = resp.status();
        let retry_after = resp.headers().get("retry-after").ok().flatten();
        let text = resp.text().unwrap_or_else(|_| Promise::resolve(&JsValue::from_str("")));
        // The body may fail to arrive (connection cut mid-answer): the status still stands.
        let answered = Rc::new(Cell::new(Some((done, retry_after))));
        let unreadable = answered.clone();
        let read = Closure::once_into_js(move |body: JsValue| {
            if let Some((f, retry_after)) = answered.take().and_then(|(d, r)| d.take().map(|f| (f, r))) {
                f(Outcome::Answered { status, retry_after, body: body.as_string().unwrap_or_default() });
            }
        });
        let failed = Closure::once_into_js(move |_: JsValue| {
            if let Some((f, retry_after)) = unreadable.take().and_then(|(d, r)| d.take().map(|f| (f, r))) {
                f(Outcome::Answered { status, retry_after, body: String::new() });
            }
        });
        then(&text, &read, &failed).into()
    });
    then(&window.fetch_with_str_and_init(url, &init), &on_response, &on_error)
}

/// Queues `body` with `navigator.sendBeacon`; `false` when the browser refused it (too large,
/// too many beacons in flight, or no beacon support).
pub fn beacon(url: &str, body: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().send_beacon_with_opt_str(url, Some(body)).ok())
        .unwrap_or(false)
}
