//! wasmtrack's pure logic: no `web-sys`, no clock, no randomness of its own.
//!
//! Everything that decides lives here and is tested on the host with `cargo test`; the
//! browser crates (`wasmtrack-browser`, the tracker, the visualizer) only read the page and
//! perform effects. The collector depends on this crate too, so limits, name rules, the rule
//! model and the wire format exist once. Its manifest has no browser dependency, so the
//! compiler, not a convention, keeps `web-sys` and `wasm-bindgen` out.
// `no_std` (with `alloc`): the tracker links this crate into every page's wasm without std's
// ~15 KB of panic and formatting machinery. Tests run on the host with std.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod autotrack;
pub mod batch;
pub mod context;
pub mod event;
pub mod limits;
pub mod options;
pub mod payload;
pub mod properties;
pub mod retry;
pub mod rules;
pub mod selector;
pub mod session;
pub mod stored;
pub mod text;
pub mod url_match;
pub mod uuid;
pub mod value;
pub mod warning;
