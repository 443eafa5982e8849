//! `queueMicrotask`: work deferred to the end of the current task, so that many `track` calls
//! in one task share one storage write.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &JsValue);
}

/// Runs `work` once the current task's script has finished.
pub fn defer(work: impl FnOnce() + 'static) {
    queue_microtask(&Closure::once_into_js(work));
}
