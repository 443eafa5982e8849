//! Random ids (event, visitor, session, tab): UUID v4 text from the browser.
//!
//! `crypto.randomUUID()` where the page is a secure context (https, localhost); elsewhere the
//! same format from `crypto.getRandomValues`. Made in JS: a pool of random bytes and their
//! hex formatting in the wasm cost more bytes on every page load than one call per id costs
//! time (the browser makes a UUID in well under a microsecond).

use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function random_uuid() {
  try { return crypto.randomUUID(); } catch (e) {}
  const b = new Uint8Array(16);
  try {
    crypto.getRandomValues(b);
  } catch (e) {
    // Every browser that runs wasm has getRandomValues; a last resort that keeps ids unique.
    for (let i = 0; i < 16; i++) b[i] = Math.random() * 256;
  }
  b[6] = (b[6] & 15) | 64; // version 4
  b[8] = (b[8] & 63) | 128; // variant 1
  const h = [...b].map((x) => (x + 256).toString(16).slice(1)).join('');
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}
"#)]
extern "C" {
    fn random_uuid() -> String;
}

/// A new random UUID v4, lowercase and hyphenated.
pub fn uuid() -> String {
    random_uuid()
}
