//! `localStorage`, reached only through a probe: a missing, disabled, full or throwing
//! storage degrades to "not stored" and never throws into the page.

use alloc::string::String;
use alloc::vec::Vec;
use web_sys::Storage;

/// Prefix of every key the tracker writes; the version lets a later format move on cleanly.
pub const PREFIX: &str = "wasmtrack:v1:";

/// The page's `localStorage`, if it works.
pub struct Store {
    inner: Option<Storage>,
}

impl Store {
    /// Finds `localStorage`. Reaching it throws where it is disabled; a full one is found out
    /// by the first write that fails. The probe writes nothing: before consent, nothing may be.
    pub fn probe() -> Store {
        let inner = web_sys::window().and_then(|w| w.local_storage().ok().flatten()).filter(|s| s.length().is_ok());
        Store { inner }
    }

    /// Whether a working storage was found.
    pub fn is_available(&self) -> bool {
        self.inner.is_some()
    }

    /// Reads `PREFIX + key`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.inner.as_ref()?.get_item(&full(key)).ok().flatten()
    }

    /// Writes `PREFIX + key`; `false` when storage refused (quota, disabled).
    pub fn set(&self, key: &str, value: &str) -> bool {
        match &self.inner {
            Some(s) => s.set_item(&full(key), value).is_ok(),
            None => false,
        }
    }

    /// The keys (without [`PREFIX`]) that start with `PREFIX + start`.
    pub fn keys(&self, start: &str) -> Vec<String> {
        let Some(s) = &self.inner else {
            return Vec::new();
        };
        let wanted = full(start);
        let count = s.length().unwrap_or(0);
        (0..count)
            .filter_map(|i| s.key(i).ok().flatten())
            .filter(|k| k.starts_with(&wanted))
            .map(|k| String::from(&k[PREFIX.len()..]))
            .collect()
    }

    /// Removes `PREFIX + key`.
    pub fn remove(&self, key: &str) {
        if let Some(s) = &self.inner {
            let _ = s.remove_item(&full(key));
        }
    }
}

fn full(key: &str) -> String {
    let mut k = String::with_capacity(PREFIX.len() + key.len());
    k.push_str(PREFIX);
    k.push_str(key);
    k
}
