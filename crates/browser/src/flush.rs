//! The promises `flush()` returns, kept on the JS side (`flush.js`) and resolved together
//! when the collector has answered: no closure per promise.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/flush.js")]
extern "C" {
    fn flush_promise() -> JsValue;
    fn flushed();
}

/// A promise that resolves at the next [`resolve_all`].
pub fn waiter() -> JsValue {
    flush_promise()
}

/// Resolves every promise of [`waiter`].
pub fn resolve_all() {
    flushed();
}
