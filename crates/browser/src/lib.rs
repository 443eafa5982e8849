//! The browser shell: thin wrappers, one web API each, around what `wasmtrack-core` decides.
//! The tracker and the visualizer both build on it; neither reaches the page another way.
//!
//! Nothing here throws into the page: every fallible JS call is matched, and a failure becomes
//! a [`wasmtrack_core::warning::Warning`] or a quiet fallback. It binds the few JS built-ins it
//! calls itself (`js.rs`) rather than linking `js-sys`/`web-sys`, whose call shims would cost
//! every page view bytes (see the tracker's manifest).
//!
//! Each module's JS lives beside it (`storage.rs` and `storage.js`); the numbers they exchange
//! are named once, in [`protocol`], whose test holds the JS to them.
//!
//! On other targets only [`protocol`] is built (its test runs on the host).
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(unsafe_code)]

extern crate alloc;

pub mod protocol;

/// The shell proper: wasm only (it binds the browser's JS).
macro_rules! wasm_only {
    ($($module:item)*) => { $(#[cfg(target_arch = "wasm32")] $module)* };
}

wasm_only! {
    pub mod convert;
    pub mod dom;
    pub mod flush;
    pub mod global;
    pub mod js;
    pub mod lifecycle;
    pub mod locks;
    pub mod microtask;
    pub mod page;
    pub mod random;
    pub mod storage;
    pub mod timer;
    pub mod transport;
    pub mod wake;
    pub mod warn;
}
