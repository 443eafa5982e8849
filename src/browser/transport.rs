//! Getting a batch to the collector: `fetch` with `keepalive` while the page lives, and a
//! synchronous `sendBeacon` when it is being hidden or left (an awaited promise would be cut
//! off). Bodies are `text/plain`, a CORS "simple" request, so no preflight is needed.
//!
//! The request is made by a few lines of JS (`send` below) that hand back status, `Retry-After`
//! and body in one callback: one import instead of fetch, RequestInit, Response, Headers and
//! promise plumbing, each of which costs a JS shim and wasm marshalling on every page load.

use alloc::string::String;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function send(url, body, keepalive, done) {
  const init = body === undefined ? { cache: 'no-cache' } : { method: 'POST', body, keepalive };
  try {
    return fetch(url, init).then(
      (r) => r.text().then((t) => t, () => '').then((t) => done(r.status, r.headers.get('retry-after'), t)),
      () => done(0, null, ''),
    );
  } catch (e) {
    done(0, null, '');
    return Promise.resolve();
  }
}
export function beacon(url, body) {
  try { return navigator.sendBeacon(url, body); } catch (e) { return false; }
}
"#)]
extern "C" {
    // Never throws and always calls `done` exactly once (status 0: no answer).
    fn send(url: &str, body: Option<String>, keepalive: bool, done: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = beacon)]
    fn send_beacon(url: &str, body: &str) -> bool;
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

/// Posts `body` to `url`; `done` runs once with the outcome.
pub fn post(url: &str, body: &str, done: impl FnOnce(Outcome) + 'static) -> Promise {
    // keepalive lets the request outlive the page; browsers cap its body at 64 KiB, which the
    // batch policy respects.
    request(url, Some(String::from(body)), body.len() < crate::core::batch::BEACON_LIMIT, done)
}

/// `GET url`; `done` runs once with the outcome. The browser's HTTP cache revalidates with
/// the response's `ETag` by itself (a hand-set `If-None-Match` would cost a CORS preflight).
pub fn get(url: &str, done: impl FnOnce(Outcome) + 'static) -> Promise {
    request(url, None, false, done)
}

fn request(url: &str, body: Option<String>, keepalive: bool, done: impl FnOnce(Outcome) + 'static) -> Promise {
    let callback = Closure::once_into_js(move |status: u16, retry_after: Option<String>, body: String| {
        done(if status == 0 { Outcome::NetworkError } else { Outcome::Answered { status, retry_after, body } });
    });
    send(url, body, keepalive, &callback)
}

/// Queues `body` with `navigator.sendBeacon`; `false` when the browser refused it (too large,
/// too many beacons in flight, or no beacon support).
pub fn beacon(url: &str, body: &str) -> bool {
    send_beacon(url, body)
}
