//! The tracker's pure logic: no `web-sys`, no clock, no randomness of its own.
//!
//! Everything that decides lives here and is tested on the host with `cargo test`; the
//! browser shell (`crate::browser`) only reads the page and performs effects. The collector
//! depends on this module too, so limits, name rules and the wire format exist once.

pub mod batch;
pub mod autotrack;
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
pub mod text;
pub mod stored;
pub mod uuid;
pub mod value;
pub mod warning;
