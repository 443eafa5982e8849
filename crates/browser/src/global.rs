//! The tracker's one global, without `thread_local!` (which needs std).
//!
//! This is the crate's only `unsafe`: `RefCell` is not `Sync`, and a `static` must be.

use core::cell::RefCell;

#[cfg(target_feature = "atomics")]
compile_error!("wasmtrack's state assumes single-threaded wasm (no `atomics` target feature)");

/// A `RefCell` that may live in a `static` on single-threaded wasm.
pub struct Global<T>(RefCell<T>);

impl<T> Global<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Global<T> {
        Global(RefCell::new(value))
    }

    /// The cell.
    pub fn cell(&self) -> &RefCell<T> {
        &self.0
    }
}

// SAFETY: wasm32-unknown-unknown without the `atomics` feature (checked above) runs on exactly
// one thread, so no reference to the cell can ever be shared with, or sent to, another thread.
#[allow(unsafe_code)]
unsafe impl<T> Sync for Global<T> {}
