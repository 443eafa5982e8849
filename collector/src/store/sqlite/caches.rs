//! What the store answers from memory: the copies of definitions, sites, rules and API keys
//! that the module's design keeps (see [`super`]), the helpers that lock them, and the
//! synchronous reads of [`EventStore`](crate::store::EventStore), which never touch SQLite. A
//! poisoned lock is read anyway: every write replaces whole `Arc` entries, so a panic under the
//! lock cannot leave one half-written.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::SqliteStore;
use crate::model::{EventDefinition, Site};
use crate::store::{ApiKey, RuleSet};

pub(super) type Definitions = Arc<RwLock<BTreeMap<String, Arc<EventDefinition>>>>;
pub(super) type Sites = Arc<RwLock<BTreeMap<String, Arc<Site>>>>;
pub(super) type RuleSets = Arc<RwLock<BTreeMap<String, Arc<RuleSet>>>>;
pub(super) type Keys = Arc<RwLock<BTreeMap<String, Arc<ApiKey>>>>;

pub(super) use crate::store::{read_lock, write_lock};

impl SqliteStore {
    pub(super) fn site(&self, id: &str) -> Option<Arc<Site>> {
        self.sites
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    pub(super) fn sites(&self) -> Vec<Arc<Site>> {
        self.sites
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    pub(super) fn rules(&self, site: &str) -> Option<Arc<RuleSet>> {
        read_lock(&self.sites).get(site)?;
        Some(
            read_lock(&self.rules)
                .get(site)
                .cloned()
                .unwrap_or_default(),
        )
    }

    pub(super) fn definition(&self, name: &str) -> Option<Arc<EventDefinition>> {
        self.definitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    pub(super) fn definitions(&self) -> Vec<Arc<EventDefinition>> {
        self.definitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    pub(super) fn key(&self, hash: &str) -> Option<Arc<ApiKey>> {
        read_lock(&self.keys).get(hash).cloned()
    }

    pub(super) fn keys(&self) -> Vec<Arc<ApiKey>> {
        let mut all: Vec<_> = read_lock(&self.keys).values().cloned().collect();
        all.sort_by_key(|k| k.id);
        all
    }
}
