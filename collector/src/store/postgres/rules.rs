//! Auto-tracking rules on PostgreSQL: SQLite's rules (`store/sqlite/rules.rs`), each site's
//! list kept in every collector's memory and reloaded on the `rules` notification. A list's
//! version comes from the `rules_version` sequence, so it never repeats, even across the
//! site's deletion and re-creation.
//!
//! A list and its version must always go together (the version is the list's ETag: a tracker
//! holding it is answered 304 and keeps its list). So every change of a site's rules locks the
//! site's row first and reads the list it leaves under that lock: changes of one site happen
//! one after the other, each version is taken after the previous commit, and what this
//! collector keeps is exactly what that version names. Locks are taken in one order
//! everywhere: the event name's ([`super::values`]), its definition's row, then sites' rows.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_postgres::Transaction;

use super::{definitions, notify, values, Caches, PgStore};
use crate::model::Rule;
use crate::store::sqlite::definitions::change_error;
use crate::store::sqlite::rules::{contact_event, read_body};
use crate::store::{read_lock, write_lock, RuleSet, SavedRule, StoreError};
use crate::timestamp::now_ms;

/// Every site's rules, by site.
pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<BTreeMap<String, Arc<RuleSet>>, StoreError> {
    // One statement, so one snapshot: each version comes with the rules it names.
    let rows = client
        .query(
            "SELECT coalesce(v.site, r.site), v.version, r.id, r.body::text
               FROM rule_versions v FULL JOIN rules r ON r.site = v.site
              ORDER BY 1, r.id",
            &[],
        )
        .await?;
    let mut sets: BTreeMap<String, RuleSet> = BTreeMap::new();
    for row in rows {
        let set = sets.entry(row.get(0)).or_default();
        set.version = row.get::<_, Option<i64>>(1).unwrap_or(0);
        if let (Some(id), Some(body)) = (row.get(2), row.get(3)) {
            set.rules.push(Arc::new(rule(id, body)?));
        }
    }
    Ok(sets.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
}

/// A stored rule (bodies SQLite wrote before the shared rule model read too: a database
/// moved from SQLite holds them).
fn rule(id: i64, body: &str) -> Result<Rule, StoreError> {
    let mut rule = read_body(body)
        .map_err(|e| StoreError::Internal(format!("stored rule {id} is unreadable: {e}")))?;
    rule.id = id as u64;
    Ok(rule)
}

/// Locks the row of `site` until the transaction ends (see the module's doc); false when
/// there is no such site. `NO KEY UPDATE`: it orders rule changes and keeps the site from
/// being deleted meanwhile, without blocking what only checks that the site exists.
async fn lock_site(tx: &Transaction<'_>, site: &str) -> Result<bool, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM sites WHERE id = $1 FOR NO KEY UPDATE",
            &[&site],
        )
        .await?
        .is_some())
}

/// The rules of `site`, oldest first.
async fn site_rules(tx: &Transaction<'_>, site: &str) -> Result<Vec<Arc<Rule>>, StoreError> {
    let mut out = Vec::new();
    for row in tx
        .query(
            "SELECT id, body::text FROM rules WHERE site = $1 ORDER BY id",
            &[&site],
        )
        .await?
    {
        out.push(Arc::new(rule(row.get(0), row.get(1))?));
    }
    Ok(out)
}

/// Gives the site the next value of `rules_version` as its version, and returns its list as
/// it now is. The caller holds the site's lock, so versions follow commits; the update takes
/// its value once it holds the row too (never a value taken before an earlier one committed).
async fn bump(tx: &Transaction<'_>, site: &str) -> Result<RuleSet, StoreError> {
    let version: i64 = tx
        .query_one(
            "INSERT INTO rule_versions (site, version) VALUES ($1, nextval('rules_version'))
             ON CONFLICT (site) DO UPDATE SET version = nextval('rules_version')
             RETURNING version",
            &[&site],
        )
        .await?
        .get(0);
    Ok(RuleSet {
        version,
        rules: site_rules(tx, site).await?,
    })
}

/// The rules firing event `name`, by site then age (as SQLite lists them).
pub(super) async fn firing(tx: &Transaction<'_>, name: &str) -> Result<Vec<Arc<Rule>>, StoreError> {
    let mut out = Vec::new();
    for row in tx
        .query(
            r#"SELECT id, body::text FROM rules WHERE event_name = $1 ORDER BY site COLLATE "C", id"#,
            &[&name],
        )
        .await?
    {
        out.push(Arc::new(rule(row.get(0), row.get(1))?));
    }
    Ok(out)
}

/// Deletes the rules firing event `name` (`firing`, read before: the caller holds the name's
/// lock, so no rule of it is created meanwhile, though one may have been deleted). Returns
/// the rules deleted and each changed site's list.
pub(super) async fn delete_firing(
    tx: &Transaction<'_>,
    name: &str,
    firing: &[Arc<Rule>],
) -> Result<(Vec<Arc<Rule>>, Vec<(String, RuleSet)>), StoreError> {
    let mut sites: Vec<&str> = firing.iter().map(|r| r.site.as_str()).collect();
    sites.dedup();
    tx.execute(
        "SELECT 1 FROM sites WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        &[&sites],
    )
    .await?;
    let mut deleted = Vec::new();
    for row in tx
        .query(
            "DELETE FROM rules WHERE event_name = $1 RETURNING id, body::text",
            &[&name],
        )
        .await?
    {
        deleted.push(Arc::new(rule(row.get(0), row.get(1))?));
    }
    deleted.sort_by(|a, b| (&a.site, a.id).cmp(&(&b.site, b.id)));
    let mut changed: Vec<&str> = deleted.iter().map(|r| r.site.as_str()).collect();
    changed.dedup();
    let mut sets = Vec::with_capacity(changed.len());
    for site in changed {
        sets.push((site.to_owned(), bump(tx, site).await?));
    }
    Ok((deleted, sets))
}

/// Keeps `set` as `site`'s list in this collector's memory, unless it already holds a newer
/// one (a notification's reload may have come first).
pub(super) fn install(caches: &Caches, site: String, set: RuleSet) {
    let mut sets = write_lock(&caches.rules);
    if sets
        .get(&site)
        .is_none_or(|held| held.version < set.version)
    {
        sets.insert(site, Arc::new(set));
    }
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

    /// Stores a rule, creating its event's definition or adding the properties it lacks, in
    /// one transaction; checks and answers as SQLite's.
    pub(super) async fn create_rule(&self, mut rule: Rule) -> Result<SavedRule, StoreError> {
        let name = rule.event_name.clone();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        values::lock_name(&tx, &name).await?;
        let existing = definitions::locked(&tx, &name).await?;
        if !lock_site(&tx, &rule.site).await? {
            return Err(StoreError::NotFound(format!(
                "site \"{}\" does not exist",
                rule.site
            )));
        }
        let current = site_rules(&tx, &rule.site).await?;
        crate::model::rule::fits(&current, &rule).map_err(StoreError::Conflict)?;
        contact_event(&name, existing.as_ref())?;
        let wanted = crate::model::rule::definition_for(&rule, existing.as_ref(), now_ms())
            .map_err(|e| change_error(&name, e))?;
        let changed = wanted.is_some();
        let definition = match (wanted, existing) {
            (Some(mut def), None) => {
                // The name's lock is held and no definition was there: the name is free.
                if !definitions::insert(&tx, &mut def).await? {
                    return Err(StoreError::Internal(format!(
                        "the definition of {name} appeared under its lock"
                    )));
                }
                def
            }
            (Some(def), Some(_)) => {
                definitions::write(&tx, &def).await?;
                def
            }
            (None, Some(def)) => def,
            (None, None) => {
                return Err(StoreError::Internal(format!(
                    "no definition for the rule's event {name}"
                )))
            }
        };
        if changed {
            values::reconcile(&tx, &name, Some(&definition)).await?;
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO rules (site, event_name, body, created_at) VALUES ($1, $2, '{}', $3) RETURNING id",
                &[&rule.site, &rule.event_name, &rule.created_at],
            )
            .await?
            .get(0);
        rule.id = id as u64;
        let body = serde_json::to_string(&rule)
            .map_err(|e| StoreError::Internal(format!("encode: {e}")))?;
        tx.execute(
            "UPDATE rules SET body = $1::text::jsonb WHERE id = $2",
            &[&body, &id],
        )
        .await?;
        let set = bump(&tx, &rule.site).await?;
        notify(&tx, "rules").await?;
        if changed {
            notify(&tx, "definitions").await?;
        }
        tx.commit().await?;
        let definition = Arc::new(definition);
        write_lock(&self.caches.definitions).insert(name, definition.clone());
        let rule = set
            .rules
            .iter()
            .find(|r| r.id == rule.id)
            .cloned()
            .unwrap_or_else(|| Arc::new(rule));
        install(&self.caches, rule.site.clone(), set);
        Ok(SavedRule { rule, definition })
    }

    /// Deletes rule `id` of `site`; NotFound when the site has no such rule.
    pub(super) async fn delete_rule(&self, site: String, id: u64) -> Result<(), StoreError> {
        let not_found = || StoreError::NotFound(format!("site \"{site}\" has no rule {id}"));
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if !lock_site(&tx, &site).await? {
            return Err(not_found());
        }
        let row = i64::try_from(id).unwrap_or(-1);
        if tx
            .execute(
                "DELETE FROM rules WHERE id = $1 AND site = $2",
                &[&row, &site],
            )
            .await?
            == 0
        {
            return Err(not_found());
        }
        let set = bump(&tx, &site).await?;
        notify(&tx, "rules").await?;
        tx.commit().await?;
        install(&self.caches, site, set);
        Ok(())
    }
}
