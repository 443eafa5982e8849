//! `localStorage` through a few lines of JS that catch everything: a missing, disabled, full
//! or throwing storage reads as empty and refuses writes, and never throws into the page.
//! (gloo-storage's `expect_throw("no local storage")` is the counter-example.)

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

// One function for every operation, and the prefix added here: one import and one string
// argument per call rather than five imports. `null`: storage is missing, disabled or refused.
#[wasm_bindgen(inline_js = r#"
const PREFIX = 'wasmtrack:v1:';
export function storage(op, key, value) {
  try {
    const s = window.localStorage;
    const k = PREFIX + key;
    switch (op) {
      case 0: return s.getItem(k);
      case 1: s.setItem(k, value); break;
      case 2: s.removeItem(k); break;
      case 3: return Object.keys(s).filter((x) => x.startsWith(k)).map((x) => x.slice(PREFIX.length)).join('\n');
      default: s.length;
    }
    return '';
  } catch (e) {
    return null;
  }
}
"#)]
extern "C" {
    fn storage(op: u32, key: &str, value: &str) -> Option<String>;
}

const GET: u32 = 0;
const SET: u32 = 1;
const REMOVE: u32 = 2;
const KEYS: u32 = 3;
const PROBE: u32 = 4;

// Every key the tracker writes starts with `wasmtrack:v1:` (the JS above adds it); the version
// lets a later format move on cleanly.

/// The page's `localStorage`, as far as it works.
pub struct Store {
    available: bool,
}

impl Store {
    /// Finds `localStorage`. Reaching it throws where it is disabled; a full one is found out
    /// by the first write that fails. The probe writes nothing: before consent, nothing may be.
    pub fn probe() -> Store {
        Store {
            available: storage(PROBE, "", "").is_some(),
        }
    }

    /// Whether a working storage was found.
    pub fn is_available(&self) -> bool {
        self.available
    }

    /// Reads `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        if !self.available {
            return None;
        }
        storage(GET, key, "")
    }

    /// Writes `key`; `false` when storage refused (quota, disabled).
    pub fn set(&self, key: &str, value: &str) -> bool {
        self.available && storage(SET, key, value).is_some()
    }

    /// The keys that start with `start`.
    pub fn keys(&self, start: &str) -> Vec<String> {
        if !self.available {
            return Vec::new();
        }
        let keys = storage(KEYS, start, "").unwrap_or_default();
        wasmtrack_core::text::split(&keys, b'\n')
            .filter(|k| !k.is_empty())
            .map(String::from)
            .collect()
    }

    /// Removes `key`.
    pub fn remove(&self, key: &str) {
        if self.available {
            storage(REMOVE, key, "");
        }
    }
}
