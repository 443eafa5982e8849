//! `localStorage` through a few lines of JS that catch everything: a missing, disabled, full
//! or throwing storage reads as empty and refuses writes, and never throws into the page.
//! (gloo-storage's `expect_throw("no local storage")` is the counter-example.)

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

use crate::protocol::StorageOp;

// One function for every operation (`StorageOp`; `storage.js` says why).
#[wasm_bindgen(module = "/src/storage.js")]
extern "C" {
    fn storage(op: u32, key: &str, value: &str) -> Option<String>;
}

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
            available: storage(StorageOp::Probe as u32, "", "").is_some(),
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
        storage(StorageOp::Get as u32, key, "")
    }

    /// Writes `key`; `false` when storage refused (quota, disabled).
    pub fn set(&self, key: &str, value: &str) -> bool {
        self.available && storage(StorageOp::Set as u32, key, value).is_some()
    }

    /// The keys that start with `start`.
    pub fn keys(&self, start: &str) -> Vec<String> {
        if !self.available {
            return Vec::new();
        }
        let keys = storage(StorageOp::Keys as u32, start, "").unwrap_or_default();
        wasmtrack_core::text::split(&keys, b'\n')
            .filter(|k| !k.is_empty())
            .map(String::from)
            .collect()
    }

    /// Removes `key`.
    pub fn remove(&self, key: &str) {
        if self.available {
            storage(StorageOp::Remove as u32, key, "");
        }
    }
}
