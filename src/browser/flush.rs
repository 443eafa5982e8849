//! The promises `flush()` returns, kept on the JS side (`js/shell.js`) and resolved together
//! when the collector has answered: no closure per promise.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/shell.js")]
extern "C" {
    fn flush_promise() -> Promise;
    fn flushed();
}

/// A promise that resolves at the next [`resolve_all`].
pub fn waiter() -> Promise {
    flush_promise()
}

/// Resolves every promise of [`waiter`].
pub fn resolve_all() {
    flushed();
}
