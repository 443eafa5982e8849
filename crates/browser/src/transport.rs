//! Getting a batch to the collector: `fetch` with `keepalive` while the page lives, and a
//! synchronous `sendBeacon` when it is being hidden or left (an awaited promise would be cut
//! off). Bodies are `text/plain`, a CORS "simple" request, so no preflight is needed.
//! `fetch` bodies are gzipped on the way where the browser has `CompressionStream` (about a
//! tenth of the bytes of a large batch); that is asynchronous, so a batch still being
//! compressed when the page is left goes at once, uncompressed, and beacons are never
//! compressed. The collector tells gzip from JSON by the first bytes.
//!
//! The request is made by a few lines of JS (`send` in `transport.js`) that wake the tracker
//! with status, `Retry-After` and body: one import instead of fetch, RequestInit, Response,
//! Headers and promise plumbing, each of which costs a JS shim and wasm marshalling.

use super::wake::Wake;
use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/transport.js")]
extern "C" {
    // Never throws; wakes `why` exactly once (status 0: no answer) unless `why` < 0.
    fn send(url: &str, body: Option<&str>, keepalive: bool, why: i32);
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
        /// The events it refused: `name` U+0001 `reason`, a line each (see `Woken::body`).
        refused: String,
    },
    /// No answer: offline, DNS, CORS, connection reset.
    NetworkError,
}

impl Outcome {
    /// The outcome a [`Wake::Sent`] wake-up carries.
    pub fn from_wake(status: u16, retry_after: Option<String>, refused: Option<String>) -> Outcome {
        match status {
            0 => Outcome::NetworkError,
            status => Outcome::Answered {
                status,
                retry_after,
                refused: refused.unwrap_or_default(),
            },
        }
    }
}

/// Posts `body` to `url`; the answer wakes `answer` (none: not wanted).
pub fn post(url: &str, body: &str, answer: Option<Wake>) {
    // keepalive lets the request outlive the page; browsers cap its body at 64 KiB, which the
    // batch policy respects.
    send(
        url,
        Some(body),
        body.len() < wasmtrack_core::batch::BEACON_LIMIT,
        answer.map_or(-1, |w| w as i32),
    );
}

/// `GET url`; the answer wakes `answer`. The browser's HTTP cache revalidates with the
/// response's `ETag` by itself (a hand-set `If-None-Match` would cost a CORS preflight).
pub fn get(url: &str, answer: Wake) {
    send(url, None, false, answer as i32);
}

/// Queues `body` with `navigator.sendBeacon`; `false` when the browser refused it (too large,
/// too many beacons in flight, or no beacon support).
pub fn beacon(url: &str, body: &str) -> bool {
    send_beacon(url, body)
}
