//! wasmtrack: a custom behavioral event tracker for websites.
//!
//! On `wasm32` this crate is the tracking script; this file is its JS API surface. On other
//! targets only [`core`] is built, the pure logic the collector shares (limits, name rules,
//! the wire format).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod core;
