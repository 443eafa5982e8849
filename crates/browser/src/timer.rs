//! A one-shot timer as an RAII handle: dropping it clears the pending `setTimeout`. When it
//! goes off, the tracker is woken with the timer's [`Wake`].
//!
//! gloo-timers' `Timeout` does the same, but it enables the `std` features of wasm-bindgen
//! and js-sys, which would link std's panic and formatting machinery back into the tracker,
//! and it makes a closure per timer.

use super::wake::Wake;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/timer.js")]
extern "C" {
    fn timer(why: u32, ms: u32) -> i32;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: i32);
}

/// A timer that wakes the tracker once per [`Timer::start`].
#[must_use = "the timer is cleared when the handle is dropped"]
pub struct Timer {
    why: Wake,
    pending: Option<i32>,
}

impl Timer {
    /// A stopped timer; whoever handles `why` must call [`Timer::fired`].
    pub fn new(why: Wake) -> Timer {
        Timer { why, pending: None }
    }

    /// Starts the timer unless it is already running.
    pub fn start(&mut self, ms: u32) {
        if self.pending.is_none() {
            self.pending = Some(timer(self.why as u32, ms));
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
