//! The Web Locks API: tabs of one site take turns at work no two may do at once (adopting
//! another tab's queue). Where the API is missing the work runs in a microtask; the
//! collector's de-duplication by event id keeps that safe, only not as frugal.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function with_lock(name, work) {
  try {
    if (navigator.locks && navigator.locks.request) {
      navigator.locks.request(name, () => { work(); });
      return;
    }
  } catch (e) {}
  queueMicrotask(work);
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = with_lock)]
    fn request_lock(name: &str, work: &JsValue);
}

/// Runs `work` while holding the lock `name` (exclusive across the site's tabs): always later,
/// never inside the caller, whether or not the browser has Web Locks.
pub fn with_lock(name: &str, work: impl FnOnce() + 'static) {
    request_lock(name, &Closure::once_into_js(work));
}
