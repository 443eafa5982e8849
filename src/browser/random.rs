//! Random bytes for ids, from `crypto.getRandomValues`, drawn 256 bytes at a time so that a
//! `track` call usually costs no crossing into JS for its event id.

use crate::core::uuid::format_v4;
use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "export function fill_random(b) { try { crypto.getRandomValues(b); return true; } catch (e) { return false; } }")]
extern "C" {
    fn fill_random(bytes: &mut [u8]) -> bool;
}

const POOL: usize = 256;

/// A buffer of random bytes refilled from the browser's CSPRNG.
pub struct RandomPool {
    bytes: [u8; POOL],
    used: usize,
}

impl RandomPool {
    /// An empty pool; the first id fills it.
    pub fn new() -> RandomPool {
        RandomPool { bytes: [0; POOL], used: POOL }
    }

    /// A new random UUID v4.
    pub fn uuid(&mut self) -> String {
        if self.used + 16 > POOL {
            self.refill();
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&self.bytes[self.used..self.used + 16]);
        self.used += 16;
        format_v4(id)
    }

    fn refill(&mut self) {
        if !fill_random(&mut self.bytes) {
            // Every browser that runs wasm has crypto.getRandomValues; this is a last resort
            // so that ids stay unique rather than the call failing.
            fill_from_math_random(&mut self.bytes);
        }
        self.used = 0;
    }
}

fn fill_from_math_random(bytes: &mut [u8]) {
    for b in bytes {
        *b = (super::js::random() * 256.0) as u8;
    }
}
