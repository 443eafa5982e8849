//! Auto-tracking rules on PostgreSQL: SQLite's rules (`store/sqlite/rules.rs`), each site's
//! list kept in every collector's memory and reloaded on the `rules` notification. A list's
//! version comes from the `rules_version` sequence, so it never repeats.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{not_yet, PgStore};
use crate::model::Rule;
use crate::store::{read_lock, RuleSet, SavedRule, StoreError};

/// Every site's rules, by site.
pub(super) async fn load(
    _client: &tokio_postgres::Client,
) -> Result<BTreeMap<String, Arc<RuleSet>>, StoreError> {
    Ok(BTreeMap::new())
}

impl PgStore {
    /// The site's rules, from memory; `None` for an unknown site.
    pub(super) fn rules(&self, site: &str) -> Option<Arc<RuleSet>> {
        read_lock(&self.caches.sites).get(site)?;
        Some(
            read_lock(&self.caches.rules)
                .get(site)
                .cloned()
                .unwrap_or_default(),
        )
    }

    pub(super) async fn create_rule(&self, _rule: Rule) -> Result<SavedRule, StoreError> {
        Err(not_yet("create_rule"))
    }

    pub(super) async fn delete_rule(&self, _site: String, _id: u64) -> Result<(), StoreError> {
        Err(not_yet("delete_rule"))
    }
}
