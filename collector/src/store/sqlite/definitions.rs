//! Event definitions: JSON bodies in the `definitions` table, loaded into memory at open and
//! changed only on the writer thread. Also the writes a new rule makes when it creates or
//! widens its event's definition (see [`super::rules`]), and how a change that cannot be
//! applied is answered. Deleting a definition deletes its events, and with `with_rules` the
//! rules that fire it, in one transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};

use super::caches::{read_lock, write_lock};
use super::{activity, encode, rules, SqliteStore};
use crate::error::ErrorDetail;
use crate::model::{ChangeError, DefinitionChange, EventDefinition, Rule};
use crate::store::StoreError;
use crate::timestamp::now_ms;

/// Every definition, by name.
pub(super) fn load(
    conn: &Connection,
) -> Result<BTreeMap<String, Arc<EventDefinition>>, StoreError> {
    let mut stmt = conn.prepare("SELECT body FROM definitions")?;
    let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = BTreeMap::new();
    for body in bodies {
        let def: EventDefinition = serde_json::from_str(&body?)
            .map_err(|e| StoreError::Internal(format!("a stored definition is unreadable: {e}")))?;
        out.insert(def.name.clone(), Arc::new(def));
    }
    Ok(out)
}

pub(super) fn write_definition(tx: &Connection, def: &EventDefinition) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE definitions SET body = ?1 WHERE id = ?2",
        (encode(def)?, def.id),
    )?;
    Ok(())
}

/// Inserts a new definition, assigning its id.
pub(super) fn insert_definition(
    tx: &Connection,
    def: &mut EventDefinition,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO definitions (name, body) VALUES (?1, '{}')",
        [&def.name],
    )?;
    def.id = tx.last_insert_rowid();
    write_definition(tx, def)
}

/// A change of the definition `name` that cannot be applied, as the API answers it.
pub(crate) fn change_error(name: &str, e: ChangeError) -> StoreError {
    let code = match e {
        ChangeError::PropertyNotFound(_) => "PROPERTY_NOT_FOUND",
        ChangeError::PropertyExists(_) => "PROPERTY_EXISTS",
        _ => "INVALID_CHANGE",
    };
    let detail = ErrorDetail::new(code, e.message(name)).with("eventName", name);
    match e {
        ChangeError::PropertyNotFound(_) => StoreError::NotFound(detail.message),
        ChangeError::PropertyExists(_) => StoreError::Conflict(detail.message),
        _ => StoreError::Invalid(detail),
    }
}

impl SqliteStore {
    pub(super) async fn create_definition(
        &self,
        mut def: EventDefinition,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        let cache = self.definitions.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM definitions WHERE name = ?1)",
                [&def.name],
                |r| r.get(0),
            )?;
            if exists {
                return Err(StoreError::Conflict(format!(
                    "an event definition named \"{}\" already exists",
                    def.name
                )));
            }
            insert_definition(&tx, &mut def)?;
            tx.commit()?;
            let def = Arc::new(def);
            cache
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(def.name.clone(), def.clone());
            Ok(def)
        })
        .await
    }

    pub(super) async fn change_definition(
        &self,
        name: String,
        change: DefinitionChange,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        let cache = self.definitions.clone();
        self.admin(move |conn| {
            let current = cache
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&name)
                .cloned();
            let Some(current) = current else {
                return Err(StoreError::NotFound(format!(
                    "event definition \"{name}\" does not exist"
                )));
            };
            let mut def = (*current).clone();
            def.apply(change, now_ms())
                .map_err(|e| change_error(&name, e))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            write_definition(&tx, &def)?;
            tx.commit()?;
            let def = Arc::new(def);
            cache
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(name, def.clone());
            Ok(def)
        })
        .await
    }

    pub(super) async fn delete_definition(
        &self,
        name: String,
        with_rules: bool,
    ) -> Result<Vec<Arc<Rule>>, StoreError> {
        let cache = self.definitions.clone();
        let rule_sets = self.rules.clone();
        self.admin_with_ids(move |conn, ids| {
            // The writer is the only one that changes rules, so what the cache shows here is
            // what the file holds until this job ends.
            let firing: Vec<Arc<Rule>> = read_lock(&rule_sets)
                .values()
                .flat_map(|set| set.rules.iter())
                .filter(|rule| rule.event_name == name)
                .cloned()
                .collect();
            if !read_lock(&cache).contains_key(&name) {
                return Err(StoreError::NotFound(format!(
                    "event definition \"{name}\" does not exist"
                )));
            }
            if !firing.is_empty() && !with_rules {
                return Err(StoreError::RulesFire(firing));
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if tx.execute("DELETE FROM definitions WHERE name = ?1", [&name])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "event definition \"{name}\" does not exist"
                )));
            }
            let mut versions = Vec::with_capacity(firing.len());
            for rule in &firing {
                versions.push((
                    rule.site.clone(),
                    rule.id,
                    rules::delete(&tx, &rule.site, rule.id)?,
                ));
            }
            let forgotten = ids.delete_named(&tx, &name)?;
            let contacts = activity::affected_by_deleting(&tx, &name)?;
            tx.execute("DELETE FROM events WHERE name = ?1", [&name])?;
            for contact in contacts {
                activity::recount(&tx, contact)?;
            }
            // The hourly counts go with them (schema 5; kept by the writer, not by triggers).
            tx.execute("DELETE FROM event_hours WHERE name = ?1", [&name])?;
            tx.commit()?;
            ids.forget(&forgotten);
            write_lock(&cache).remove(&name);
            let mut sets = write_lock(&rule_sets);
            for (site, id, version) in versions {
                let mut set = sets.get(&site).map(|s| (**s).clone()).unwrap_or_default();
                set.version = set.version.max(version);
                set.rules.retain(|r| r.id != id);
                sets.insert(site, Arc::new(set));
            }
            Ok(firing)
        })
        .await
    }
}
