//! Event definitions on PostgreSQL: SQLite's rules (`store/sqlite/definitions.rs`), kept in
//! every collector's memory by name and reloaded on the `definitions` notification.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{not_yet, PgStore};
use crate::model::{DefinitionChange, EventDefinition, Rule};
use crate::store::{read_lock, StoreError};

/// Every definition, by name.
pub(super) async fn load(
    _client: &tokio_postgres::Client,
) -> Result<BTreeMap<String, Arc<EventDefinition>>, StoreError> {
    Ok(BTreeMap::new())
}

impl PgStore {
    /// The definition `name`, from memory.
    pub(super) fn definition(&self, name: &str) -> Option<Arc<EventDefinition>> {
        read_lock(&self.caches.definitions).get(name).cloned()
    }

    /// Every definition, by name, from memory.
    pub(super) fn definitions(&self) -> Vec<Arc<EventDefinition>> {
        read_lock(&self.caches.definitions)
            .values()
            .cloned()
            .collect()
    }

    pub(super) async fn create_definition(
        &self,
        _def: EventDefinition,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        Err(not_yet("create_definition"))
    }

    pub(super) async fn change_definition(
        &self,
        _name: String,
        _change: DefinitionChange,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        Err(not_yet("change_definition"))
    }

    pub(super) async fn delete_definition(
        &self,
        _name: String,
        _with_rules: bool,
    ) -> Result<Vec<Arc<Rule>>, StoreError> {
        Err(not_yet("delete_definition"))
    }
}
