//! The visualizer's tables (schema version 2): auto-tracking rules with their per-site
//! version, and visualizer tokens (kept as hashes since version 4). The writes run on the writer thread inside the caller's
//! transaction; the caches are updated by the caller after the commit.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension};

use super::encode;
use crate::model::Rule;
use crate::store::{RuleSet, StoreError, VisualizerToken};

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
        let mut rule: Rule = serde_json::from_str(&body)
            .map_err(|e| StoreError::Internal(format!("stored rule {id} is unreadable: {e}")))?;
        rule.id = id;
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
    rule.id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE rules SET body = ?1 WHERE id = ?2",
        (encode(&*rule)?, rule.id),
    )?;
    bump(tx, &rule.site)
}

/// Deletes the rule `id` of `site` and returns the site's new version.
pub(super) fn delete(tx: &Connection, site: &str, id: i64) -> Result<i64, StoreError> {
    if tx.execute("DELETE FROM rules WHERE id = ?1 AND site = ?2", (id, site))? == 0 {
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
