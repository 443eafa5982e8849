//! A one-shot timer as an RAII handle: dropping it clears the pending `setTimeout`.
//!
//! gloo-timers' `Timeout` does the same, but it enables the `std` features of wasm-bindgen
//! and js-sys, which would link std's panic and formatting machinery (~15 KB) back into the
//! tracker. One closure is made when the timer is and reused for every start, so starting and
//! cancelling allocate nothing and leak nothing.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: i32);
}

/// A timer that runs its callback once per [`Timer::start`].
#[must_use = "the timer is cleared when the handle is dropped"]
pub struct Timer {
    callback: Closure<dyn FnMut()>,
    pending: Option<i32>,
}

impl Timer {
    /// A stopped timer that will run `callback`. The callback must call [`Timer::fired`].
    pub fn new(callback: impl FnMut() + 'static) -> Timer {
        Timer { callback: Closure::<dyn FnMut()>::new(callback), pending: None }
    }

    /// Starts the timer unless it is already running.
    pub fn start(&mut self, ms: u32) {
        if self.pending.is_none() {
            self.pending = Some(set_timeout(self.callback.as_ref().unchecked_ref(), ms as i32));
        }
    }

    /// Stops the timer if it is running.
    pub fn cancel(&mut self) {
        if let Some(id) = self.pending.take() {
            clear_timeout(id);
        }
    }

    /// Records that the timer went off (it is no longer pending).
    pub fn fired(&mut self) {
        self.pending = None;
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.cancel();
    }
}
