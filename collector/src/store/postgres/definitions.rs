//! Event definitions on PostgreSQL: SQLite's rules (`store/sqlite/definitions.rs`), kept in
//! every collector's memory by name and reloaded on the `definitions` notification.
//!
//! A collector's copy may be a notification behind, so a change reads the stored definition
//! under a row lock, never the copy, and takes the event name's lock first (see
//! [`super::values`]), which also orders it against a rule created for the same event. Each
//! change counts the definition's enumerations again in its own transaction. Deleting a
//! definition deletes its completions with everything kept beside them (their ids, the hourly
//! counts, their contacts' last activity), and with `with_rules` the rules that fire it.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_postgres::Transaction;

use super::{notify, rules, values, PgStore};
use crate::model::{DefinitionChange, EventDefinition, Rule};
use crate::store::sqlite::definitions::change_error;
use crate::store::sqlite::event_ids::DEDUPE_ID_SQL;
use crate::store::{read_lock, write_lock, StoreError};
use crate::timestamp::now_ms;

/// Every definition, by name.
pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<BTreeMap<String, Arc<EventDefinition>>, StoreError> {
    let mut out = BTreeMap::new();
    for row in client
        .query("SELECT body::text FROM definitions", &[])
        .await?
    {
        let def = read(row.get(0))?;
        out.insert(def.name.clone(), Arc::new(def));
    }
    Ok(out)
}

fn read(body: &str) -> Result<EventDefinition, StoreError> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::Internal(format!("a stored definition is unreadable: {e}")))
}

fn encode(def: &EventDefinition) -> Result<String, StoreError> {
    serde_json::to_string(def).map_err(|e| StoreError::Internal(format!("encode: {e}")))
}

/// The stored definition `name`, locked until the transaction ends.
pub(super) async fn locked(
    tx: &Transaction<'_>,
    name: &str,
) -> Result<Option<EventDefinition>, StoreError> {
    tx.query_opt(
        "SELECT body::text FROM definitions WHERE name = $1 FOR UPDATE",
        &[&name],
    )
    .await?
    .map(|row| read(row.get(0)))
    .transpose()
}

/// Stores a new definition, assigning its id; false (nothing stored) when the name is taken.
pub(super) async fn insert(
    tx: &Transaction<'_>,
    def: &mut EventDefinition,
) -> Result<bool, StoreError> {
    let Some(row) = tx
        .query_opt(
            "INSERT INTO definitions (name, body) VALUES ($1, '{}') ON CONFLICT (name) DO NOTHING RETURNING id",
            &[&def.name],
        )
        .await?
    else {
        return Ok(false);
    };
    def.id = row.get(0);
    write(tx, def).await?;
    Ok(true)
}

/// Stores a changed definition over the one of its id.
pub(super) async fn write(tx: &Transaction<'_>, def: &EventDefinition) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE definitions SET body = $1::text::jsonb WHERE id = $2",
        &[&encode(def)?, &def.id],
    )
    .await?;
    Ok(())
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound(format!("event definition \"{name}\" does not exist"))
}

/// The newest event of each contact's timeline, or NULL: SQLite's `NEWEST_OF_CONTACT`
/// (`store/sqlite/activity.rs`) for the contact of the updated row `c`.
const NEWEST_OF_CONTACT: &str = "(SELECT max(at) FROM (
    SELECT max(e.occurred_at) AS at FROM events e
     WHERE e.object_id = c.id AND e.object_type = 'CONTACT'
    UNION ALL
    SELECT max(e.occurred_at) FROM visitors v JOIN events e ON e.vid = v.vid
     WHERE v.contact_id = c.id AND e.object_id IS NULL AND e.object_type = 'CONTACT') AS newest)";

/// Deletes the completions of `name` and what is kept beside them: their ids (so that one
/// sent again is stored again, as on SQLite), the hourly counts, and the last activity of
/// the contacts whose timelines held them, counted again without them.
async fn delete_completions(tx: &Transaction<'_>, name: &str) -> Result<(), StoreError> {
    tx.execute(
        &format!(
            "DELETE FROM event_ids WHERE id IN (SELECT {DEDUPE_ID_SQL} FROM events WHERE name = $1)"
        ),
        &[&name],
    )
    .await?;
    let contacts: Vec<i64> = tx
        .query(
            "SELECT object_id FROM events
              WHERE name = $1 AND object_type = 'CONTACT' AND object_id IS NOT NULL
             UNION
             SELECT v.contact_id FROM events e JOIN visitors v ON v.vid = e.vid
              WHERE e.name = $1 AND e.object_type = 'CONTACT' AND e.object_id IS NULL",
            &[&name],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    tx.execute("DELETE FROM events WHERE name = $1", &[&name])
        .await?;
    if !contacts.is_empty() {
        // The rows locked in id order, as anything updating several contacts should, so that
        // two such transactions wait for each other instead of deadlocking.
        tx.execute(
            &format!(
                "UPDATE contacts c SET last_activity = {NEWEST_OF_CONTACT}
                  WHERE c.id IN (SELECT id FROM contacts WHERE id = ANY($1) ORDER BY id FOR UPDATE)"
            ),
            &[&contacts],
        )
        .await?;
    }
    tx.execute("DELETE FROM event_hours WHERE name = $1", &[&name])
        .await?;
    // And the per-option counts, with their `value_counts` rows.
    values::reconcile(tx, name, None).await
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

    /// Stores a new definition, its id assigned by the database; Conflict when the name is
    /// taken (of two collectors creating one name at once, exactly one succeeds).
    pub(super) async fn create_definition(
        &self,
        mut def: EventDefinition,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        values::lock_name(&tx, &def.name).await?;
        if !insert(&tx, &mut def).await? {
            return Err(StoreError::Conflict(format!(
                "an event definition named \"{}\" already exists",
                def.name
            )));
        }
        values::reconcile(&tx, &def.name, Some(&def)).await?;
        notify(&tx, "definitions").await?;
        tx.commit().await?;
        let def = Arc::new(def);
        write_lock(&self.caches.definitions).insert(def.name.clone(), def.clone());
        Ok(def)
    }

    /// Applies `change` to the stored definition `name` (not to this collector's copy, which
    /// may not yet show another collector's change).
    pub(super) async fn change_definition(
        &self,
        name: String,
        change: DefinitionChange,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        values::lock_name(&tx, &name).await?;
        let Some(mut def) = locked(&tx, &name).await? else {
            return Err(not_found(&name));
        };
        def.apply(change, now_ms())
            .map_err(|e| change_error(&name, e))?;
        write(&tx, &def).await?;
        values::reconcile(&tx, &name, Some(&def)).await?;
        notify(&tx, "definitions").await?;
        tx.commit().await?;
        let def = Arc::new(def);
        write_lock(&self.caches.definitions).insert(name, def.clone());
        Ok(def)
    }

    /// Deletes the definition `name` and its completions. Rules firing it refuse the deletion
    /// (`RulesFire`, naming them) unless `with_rules`, which deletes them too and answers them.
    pub(super) async fn delete_definition(
        &self,
        name: String,
        with_rules: bool,
    ) -> Result<Vec<Arc<Rule>>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Held to the commit: no rule for this event is created meanwhile (creating one
        // takes this lock too), so the rules read below are all there are.
        values::lock_name(&tx, &name).await?;
        if tx
            .execute("DELETE FROM definitions WHERE name = $1", &[&name])
            .await?
            == 0
        {
            return Err(not_found(&name));
        }
        let firing = rules::firing(&tx, &name).await?;
        if !firing.is_empty() && !with_rules {
            return Err(StoreError::RulesFire(firing));
        }
        let (deleted, sets) = if firing.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            rules::delete_firing(&tx, &name, &firing).await?
        };
        delete_completions(&tx, &name).await?;
        notify(&tx, "definitions").await?;
        if !sets.is_empty() {
            notify(&tx, "rules").await?;
        }
        tx.commit().await?;
        write_lock(&self.caches.definitions).remove(&name);
        for (site, set) in sets {
            rules::install(&self.caches, site, set);
        }
        Ok(deleted)
    }
}
