//! The Web Locks API: tabs of one site take turns at work no two may do at once (adopting
//! another tab's queue). Where the API is missing the work runs at once; the collector's
//! de-duplication by event id keeps that safe, only not as frugal.

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Runs `work` while holding the lock `name` (exclusive across the site's tabs): always later,
/// never inside the caller, whether or not the browser has Web Locks.
pub fn with_lock(name: &str, work: impl FnOnce() + 'static) {
    let manager = web_sys::window()
        .map(|w| Reflect::get(&w.navigator(), &JsValue::from_str("locks")).unwrap_or(JsValue::UNDEFINED))
        .filter(|m| m.is_object());
    let request = manager.as_ref().and_then(|m| Reflect::get(m, &JsValue::from_str("request")).ok()).and_then(|f| f.dyn_into::<Function>().ok());
    match (manager, request) {
        (Some(manager), Some(request)) => {
            let callback = Closure::once_into_js(move |_: JsValue| work());
            // The lock is released when the callback returns (it returns no promise).
            if request.call2(&manager, &JsValue::from_str(name), &callback).is_err() {
                // A `request` that throws synchronously (e.g. an opaque origin) never calls
                // back; nothing ran, and the next scan tries again.
            }
        }
        _ => crate::browser::microtask::defer(work),
    }
}
