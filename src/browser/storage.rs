//! `localStorage`, reached only through a probe: a missing, disabled, full or throwing
//! storage degrades to "not stored" and never throws into the page.

use alloc::string::String;
use web_sys::Storage;

/// Prefix of every key the tracker writes; the version lets a later format move on cleanly.
pub const PREFIX: &str = "wasmtrack:v1:";

/// The page's `localStorage`, if it works.
pub struct Store {
    inner: Option<Storage>,
}

impl Store {
    /// Finds a working `localStorage`: it exists and accepts a write.
    pub fn probe() -> Store {
        let inner = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .filter(|s| {
                let key = "wasmtrack:v1:probe";
                s.set_item(key, "1").is_ok() && s.remove_item(key).is_ok()
            });
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
