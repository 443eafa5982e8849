//! Random ids (event, visitor, session, tab): UUID v4 text from the browser.
//!
//! `crypto.randomUUID()` where the page is a secure context (https, localhost); elsewhere the
//! same format from `crypto.getRandomValues`. Made in JS: a pool of random bytes and their
//! hex formatting in the wasm cost more bytes on every page load than one call per id costs
//! time (the browser makes a UUID in well under a microsecond).

use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/random.js")]
extern "C" {
    fn random_uuid() -> String;
}

/// A new random UUID v4, lowercase and hyphenated.
pub fn uuid() -> String {
    random_uuid()
}
