//! The visualizer's tables (schema version 2): auto-tracking rules with their per-site
//! version, and visualizer tokens (kept as hashes since version 4). The writes run on the writer thread inside the caller's
//! transaction; the caches are updated by the caller after the commit.
//!
//! The callers are the store's methods at the end of this file: they check the site (and, for
//! a new rule, its event's definition) against the caches, call the functions above in one
//! transaction on the writer thread, and update the caches after the commit.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::caches::{read_lock, write_lock};
use super::definitions::{change_error, insert_definition, write_definition};
use super::{encode, SqliteStore};
use crate::error::ErrorDetail;
use crate::model::{PrimaryObject, Rule};
use crate::store::{RuleSet, SavedRule, StoreError, VisualizerToken};
use crate::timestamp::now_ms;

/// Every site's rules, loaded at open. Sites without a rule and never changed are absent.
pub(super) fn load(conn: &Connection) -> Result<BTreeMap<String, Arc<RuleSet>>, StoreError> {
    let mut sets: BTreeMap<String, RuleSet> = BTreeMap::new();
    let mut versions = conn.prepare("SELECT site, version FROM rule_versions")?;
    for row in versions.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))? {
        let (site, version) = row?;
        sets.entry(site).or_default().version = version;
    }
    let mut rules = conn.prepare("SELECT id, body FROM rules ORDER BY id")?;
    for row in rules.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, body) = row?;
        let mut rule = read_body(&body)
            .map_err(|e| StoreError::Internal(format!("stored rule {id} is unreadable: {e}")))?;
        rule.id = id as u64;
        sets.entry(rule.site.clone())
            .or_default()
            .rules
            .push(Arc::new(rule));
    }
    Ok(sets.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
}

/// Inserts the rule (assigning its id) and returns the site's new version.
pub(super) fn insert(tx: &Connection, rule: &mut Rule) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO rules (site, event_name, body, created_at) VALUES (?1, ?2, '{}', ?3)",
        (&rule.site, &rule.event_name, rule.created_at),
    )?;
    let id = tx.last_insert_rowid();
    rule.id = id as u64;
    tx.execute(
        "UPDATE rules SET body = ?1 WHERE id = ?2",
        (encode(&*rule)?, id),
    )?;
    bump(tx, &rule.site)
}

/// Deletes the rule `id` of `site` and returns the site's new version.
pub(super) fn delete(tx: &Connection, site: &str, id: u64) -> Result<i64, StoreError> {
    let row = i64::try_from(id).unwrap_or(-1);
    if tx.execute("DELETE FROM rules WHERE id = ?1 AND site = ?2", (row, site))? == 0 {
        return Err(StoreError::NotFound(format!(
            "site \"{site}\" has no rule {id}"
        )));
    }
    bump(tx, site)
}

/// Deletes everything of a site in these tables.
pub(super) fn delete_site(tx: &Connection, site: &str) -> Result<(), StoreError> {
    tx.execute("DELETE FROM rules WHERE site = ?1", [site])?;
    tx.execute("DELETE FROM rule_versions WHERE site = ?1", [site])?;
    tx.execute("DELETE FROM visualizer_tokens WHERE site = ?1", [site])?;
    Ok(())
}

/// Gives the site the next value of the global counter as its version.
fn bump(tx: &Connection, site: &str) -> Result<i64, StoreError> {
    let version: i64 = tx.query_row(
        "UPDATE counters SET value = value + 1 WHERE name = 'rules_version' RETURNING value",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO rule_versions (site, version) VALUES (?1, ?2)
         ON CONFLICT (site) DO UPDATE SET version = excluded.version",
        (site, version),
    )?;
    Ok(version)
}

/// Refuses a rule for an event that exists but is not a contact event: auto-tracked
/// completions are a visitor's (shared with the PostgreSQL store).
pub(crate) fn contact_event(
    name: &str,
    existing: Option<&crate::model::EventDefinition>,
) -> Result<(), StoreError> {
    match existing {
        Some(def) if def.primary_object != PrimaryObject::Contact => {
            let message = format!(
                "event \"{name}\" is a {} event; auto-tracked events are contact events: name another event",
                def.primary_object.as_str()
            );
            Err(StoreError::Invalid(
                ErrorDetail::new("INVALID_FIELD", message)
                    .at("eventName")
                    .with("eventName", name),
            ))
        }
        _ => Ok(()),
    }
}

/// Stores a new token (and forgets the expired ones).
pub(super) fn insert_token(
    tx: &Connection,
    site: String,
    expires_at: i64,
    now: i64,
) -> Result<VisualizerToken, StoreError> {
    tx.execute(
        "DELETE FROM visualizer_tokens WHERE expires_at <= ?1",
        [now],
    )?;
    let token = format!("vt_{}", crate::random::hex(2));
    tx.execute(
        "INSERT INTO visualizer_tokens (token, site, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
        (crate::auth::hash_secret(&token), &site, expires_at, now),
    )?;
    Ok(VisualizerToken {
        token,
        site,
        expires_at,
    })
}

/// Revokes the token `token`; false when there is none.
pub(super) fn revoke_token(tx: &Connection, token: &str) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "DELETE FROM visualizer_tokens WHERE token = ?1",
        [crate::auth::hash_secret(token)],
    )? > 0)
}

/// Revokes every token of `site`; how many there were.
pub(super) fn revoke_site_tokens(tx: &Connection, site: &str) -> Result<usize, StoreError> {
    Ok(tx.execute("DELETE FROM visualizer_tokens WHERE site = ?1", [site])?)
}

/// The stored token, if any.
pub(super) fn token(conn: &Connection, token: &str) -> Result<Option<VisualizerToken>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT site, expires_at FROM visualizer_tokens WHERE token = ?1")?
        .query_row([crate::auth::hash_secret(token)], |r| {
            Ok(VisualizerToken {
                token: token.to_owned(),
                site: r.get(0)?,
                expires_at: r.get(1)?,
            })
        })
        .optional()?)
}

impl SqliteStore {
    pub(super) async fn create_rule(&self, mut rule: Rule) -> Result<SavedRule, StoreError> {
        let sites = self.sites.clone();
        let definitions = self.definitions.clone();
        let rule_sets = self.rules.clone();
        self.admin(move |conn| {
            if !read_lock(&sites).contains_key(&rule.site) {
                return Err(StoreError::NotFound(format!(
                    "site \"{}\" does not exist",
                    rule.site
                )));
            }
            if let Some(set) = read_lock(&rule_sets).get(&rule.site) {
                crate::model::rule::fits(&set.rules, &rule).map_err(StoreError::Conflict)?;
            }
            let name = rule.event_name.clone();
            let existing = read_lock(&definitions).get(&name).cloned();
            contact_event(&name, existing.as_deref())?;
            let wanted = crate::model::rule::definition_for(&rule, existing.as_deref(), now_ms())
                .map_err(|e| change_error(&name, e))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let definition = match (wanted, existing) {
                (Some(mut def), None) => {
                    insert_definition(&tx, &mut def)?;
                    Arc::new(def)
                }
                (Some(def), Some(_)) => {
                    write_definition(&tx, &def)?;
                    Arc::new(def)
                }
                (None, Some(def)) => def,
                (None, None) => {
                    return Err(StoreError::Internal(format!(
                        "no definition for the rule's event {name}"
                    )))
                }
            };
            let version = insert(&tx, &mut rule)?;
            tx.commit()?;
            write_lock(&definitions).insert(name, definition.clone());
            let rule = Arc::new(rule);
            let mut sets = write_lock(&rule_sets);
            let mut set = sets
                .get(&rule.site)
                .map(|s| (**s).clone())
                .unwrap_or_default();
            set.version = version;
            set.rules.push(rule.clone());
            sets.insert(rule.site.clone(), Arc::new(set));
            Ok(SavedRule { rule, definition })
        })
        .await
    }

    pub(super) async fn delete_rule(&self, site: String, id: u64) -> Result<(), StoreError> {
        let rule_sets = self.rules.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version = delete(&tx, &site, id)?;
            tx.commit()?;
            let mut sets = write_lock(&rule_sets);
            let mut set = sets.get(&site).map(|s| (**s).clone()).unwrap_or_default();
            set.version = version;
            set.rules.retain(|r| r.id != id);
            sets.insert(site, Arc::new(set));
            Ok(())
        })
        .await
    }

    pub(super) async fn issue_visualizer_token(
        &self,
        site: String,
        expires_at: i64,
    ) -> Result<VisualizerToken, StoreError> {
        let sites = self.sites.clone();
        self.admin(move |conn| {
            if !read_lock(&sites).contains_key(&site) {
                return Err(StoreError::NotFound(format!(
                    "site \"{site}\" does not exist"
                )));
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let token = insert_token(&tx, site, expires_at, now_ms())?;
            tx.commit()?;
            Ok(token)
        })
        .await
    }

    pub(super) async fn visualizer_token(
        &self,
        token: String,
    ) -> Result<Option<VisualizerToken>, StoreError> {
        // `self::`: the argument `token` hides this file's function of the same name.
        self.read(move |conn| self::token(conn, &token)).await
    }

    pub(super) async fn revoke_visualizer_tokens(
        &self,
        token: Option<String>,
        site: Option<String>,
    ) -> Result<usize, StoreError> {
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let revoked = match (token, site) {
                (Some(token), _) => usize::from(revoke_token(&tx, &token)?),
                (None, Some(site)) => revoke_site_tokens(&tx, &site)?,
                (None, None) => 0,
            };
            tx.commit()?;
            Ok(revoked)
        })
        .await
    }
}

/// A stored rule's body: the shared rule's JSON with `site` and `created_at` (what
/// [`insert`] writes), or the shape collectors before the shared rule model wrote (until
/// schema 4: `event_name`, and `trigger` as `{"click":{"selector"}}` or
/// `{"page_view":{"matching","value"}}`), which such a database still holds.
pub(crate) fn read_body(body: &str) -> Result<Rule, serde_json::Error> {
    serde_json::from_str::<Rule>(body).or_else(|e| {
        serde_json::from_str::<legacy::Body>(body)
            .map(Rule::from)
            .map_err(|_| e)
    })
}

mod legacy {
    //! The rule body before the shared model (read only).
    use serde::Deserialize;
    use wasmtrack_core::rules::{
        self as shared, Capture, Source, Trigger as SharedTrigger, UrlMatch,
    };

    #[derive(Deserialize)]
    pub struct Body {
        site: String,
        event_name: String,
        label: String,
        trigger: Trigger,
        properties: Vec<LegacyCapture>,
        created_at: i64,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Trigger {
        Click { selector: String },
        PageView { matching: UrlMatch, value: String },
    }

    #[derive(Deserialize)]
    struct LegacyCapture {
        name: String,
        source: String,
    }

    impl From<Body> for crate::model::Rule {
        fn from(b: Body) -> Self {
            crate::model::Rule {
                site: b.site,
                created_at: b.created_at,
                rule: shared::Rule {
                    id: 0,
                    event_name: b.event_name,
                    label: b.label,
                    trigger: match b.trigger {
                        Trigger::Click { selector } => SharedTrigger::Click(selector),
                        Trigger::PageView { matching, value } => {
                            SharedTrigger::PageView(matching.with(value))
                        }
                    },
                    properties: b
                        .properties
                        .into_iter()
                        .filter_map(|c| {
                            Some(Capture {
                                source: Source::parse(&c.source)?,
                                name: c.name,
                            })
                        })
                        .collect(),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtrack_core::rules::{Source, Trigger, UrlRule};

    #[test]
    fn bodies_written_before_the_shared_rule_model_still_read() {
        let click = read_body(r##"{"id":3,"site":"demo","event_name":"clicked_buy","label":"Clicked buy","trigger":{"click":{"selector":"#buy"}},"properties":[{"name":"plan","source":"attr:data-plan"}],"created_at":5}"##).unwrap();
        assert_eq!(click.site, "demo");
        assert_eq!(click.created_at, 5);
        assert_eq!(click.event_name, "clicked_buy");
        assert_eq!(click.trigger, Trigger::Click("#buy".into()));
        assert_eq!(
            click.properties[0].source,
            Source::Attribute("data-plan".into())
        );
        let view = read_body(r#"{"id":4,"site":"demo","event_name":"viewed","label":"Viewed","trigger":{"page_view":{"matching":"startsWith","value":"/blog/"}},"properties":[],"created_at":6}"#).unwrap();
        assert_eq!(
            view.trigger,
            Trigger::PageView(UrlRule::StartsWith("/blog/".into()))
        );
        // And what is written now reads back as it was.
        let again = read_body(&serde_json::to_string(&view).unwrap()).unwrap();
        assert_eq!(again, view);
        assert!(read_body("{}").is_err());
    }
}
