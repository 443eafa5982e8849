//! The browser shell: thin wrappers, one web API each, around what `wasmtrack-core` decides.
//! The tracker and the visualizer both build on it; neither reaches the page another way.
//!
//! Nothing here throws into the page: every fallible JS call is matched, and a failure becomes
//! a [`wasmtrack_core::warning::Warning`] or a quiet fallback. It binds the few JS built-ins it
//! calls itself (`js.rs`) rather than linking `js-sys`/`web-sys`, whose call shims would cost
//! every page view bytes (see the tracker's manifest).
//!
//! On other targets the crate is empty: it is compiled and linted for `wasm32` only.
#![cfg(target_arch = "wasm32")]
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]

extern crate alloc;

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
