//! The Web Locks API: tabs of one site take turns at work no two may do at once (adopting
//! another tab's queue). Where the API is missing the work runs in a microtask; the
//! collector's de-duplication by event id keeps that safe, only not as frugal.

use super::wake::Wake;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/locks.js")]
extern "C" {
    fn locked(name: &str, why: u32);
}

/// Wakes the tracker with `why` while it holds the lock `name` (exclusive across the site's
/// tabs): always later, never inside the caller, whether or not the browser has Web Locks.
pub fn with_lock(name: &str, why: Wake) {
    locked(name, why as u32);
}
