//! Reloading a cache without undoing this collector's own change. A reload reads the table,
//! then swaps the copy; if this collector committed a change and put it in its copy between
//! the two (a notification of another change arrived just before), the swap would put back
//! the older state until the next notification, and a client of this collector would not see
//! the change it was just answered. So a reload that finds the copy changed while it read
//! reads again: its next read starts after that change committed.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use crate::store::{read_lock, write_lock, StoreError};

/// Reads that may each be overtaken before one is kept anyway (changes through one
/// collector are an admin's, far apart).
const TRIES: usize = 5;

/// Swaps `cache` for what `load` reads, reading again while the copy changed meanwhile.
pub(super) async fn reload<K: Ord + Clone, V, F, Fut>(
    cache: &RwLock<BTreeMap<K, Arc<V>>>,
    load: F,
) -> Result<(), StoreError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<BTreeMap<K, Arc<V>>, StoreError>>,
{
    for tried in 1.. {
        let before = read_lock(cache).clone();
        let loaded = load().await?;
        let mut held = write_lock(cache);
        if tried >= TRIES || same(&before, &held) {
            *held = loaded;
            return Ok(());
        }
    }
    Ok(())
}

/// Whether two copies hold the very same entries (a change replaces an entry's `Arc`).
fn same<K: Ord, V>(a: &BTreeMap<K, Arc<V>>, b: &BTreeMap<K, Arc<V>>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && Arc::ptr_eq(va, vb))
}
