//! The browser shell: thin wrappers, one web API each, around what `crate::core` decides.
//!
//! Nothing here throws into the page: every fallible JS call is matched, and a failure becomes
//! a [`crate::core::warning::Warning`] or a quiet fallback.

#[cfg(feature = "visualizer")]
pub mod console;
pub mod convert;
pub mod dom;
pub mod flush;
pub mod js;
pub mod lifecycle;
// The tracker listens through `lifecycle`; the visualizer adds and removes its own.
#[cfg(feature = "visualizer")]
pub mod listener;
pub mod locks;
pub mod microtask;
pub mod page;
pub mod random;
pub mod storage;
pub mod timer;
pub mod transport;
pub mod wake;
pub mod warn;
