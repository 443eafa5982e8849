//! `localStorage` through a few lines of JS that catch everything: a missing, disabled, full
//! or throwing storage reads as empty and refuses writes, and never throws into the page.
//! (gloo-storage's `expect_throw("no local storage")` is the counter-example.)

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
function ls() { try { const s = window.localStorage; s.length; return s; } catch (e) { return null; } }
export function storage_ok() { return ls() !== null; }
export function storage_get(k) { try { return ls().getItem(k); } catch (e) { return null; } }
export function storage_set(k, v) { try { ls().setItem(k, v); return true; } catch (e) { return false; } }
export function storage_remove(k) { try { ls().removeItem(k); } catch (e) {} }
export function storage_keys(p) { try { return Object.keys(ls()).filter((k) => k.startsWith(p)).join('\n'); } catch (e) { return ''; } }
"#)]
extern "C" {
    fn storage_ok() -> bool;
    fn storage_get(key: &str) -> Option<String>;
    fn storage_set(key: &str, value: &str) -> bool;
    fn storage_remove(key: &str);
    fn storage_keys(prefix: &str) -> String;
}

/// Prefix of every key the tracker writes; the version lets a later format move on cleanly.
pub const PREFIX: &str = "wasmtrack:v1:";

/// The page's `localStorage`, as far as it works.
pub struct Store {
    available: bool,
}

impl Store {
    /// Finds `localStorage`. Reaching it throws where it is disabled; a full one is found out
    /// by the first write that fails. The probe writes nothing: before consent, nothing may be.
    pub fn probe() -> Store {
        Store { available: storage_ok() }
    }

    /// Whether a working storage was found.
    pub fn is_available(&self) -> bool {
        self.available
    }

    /// Reads `PREFIX + key`.
    pub fn get(&self, key: &str) -> Option<String> {
        if !self.available {
            return None;
        }
        storage_get(&full(key))
    }

    /// Writes `PREFIX + key`; `false` when storage refused (quota, disabled).
    pub fn set(&self, key: &str, value: &str) -> bool {
        self.available && storage_set(&full(key), value)
    }

    /// The keys (without [`PREFIX`]) that start with `PREFIX + start`.
    pub fn keys(&self, start: &str) -> Vec<String> {
        if !self.available {
            return Vec::new();
        }
        let keys = storage_keys(&full(start));
        crate::core::text::split(&keys, b'\n').filter_map(|k| k.strip_prefix(PREFIX)).map(String::from).collect()
    }

    /// Removes `PREFIX + key`.
    pub fn remove(&self, key: &str) {
        if self.available {
            storage_remove(&full(key));
        }
    }
}

fn full(key: &str) -> String {
    let mut k = String::with_capacity(PREFIX.len() + key.len());
    k.push_str(PREFIX);
    k.push_str(key);
    k
}
