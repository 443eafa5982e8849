//! `queueMicrotask`: work deferred to the end of the current task, so that many `track` calls
//! in one task share one storage write.

use super::wake::Wake;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/microtask.js")]
extern "C" {
    fn soon(why: u32);
}

/// Wakes the tracker with `why` once the current task's script has finished.
pub fn defer(why: Wake) {
    soon(why as u32);
}
